import fs from 'node:fs';
import { expect } from 'chai';
import { DEMO_PASSWORD } from '../../server/demo';
import { sixGroupFramework, threeLevelFramework } from '../../test/support/frameworks';
import { startTestServer, TestAgent, type TestServer } from '../../test/support/server';
import { refreshFigures } from '../board/api';
import { groupEvidencedInFull } from '../certificates/api';
import { londonToday } from '../../server/london';
import { type FrameworkDocument, SOMERSET_FILE } from './document';

/**
 * Another partnership's framework, end to end: the Somerset default exported
 * as a document, bad documents refused with a message for each problem, then
 * a six-group framework imported, checked and published, and everything that
 * counts groups following it; then a three-level one whose groups do not
 * build on each other, which drops three of those groups.
 */
describe('framework documents: export, import and any number of groups', () => {
  let server: TestServer;
  let admin: TestAgent;
  let lead: TestAgent;
  let learner: TestAgent;
  const sql = async <T = Record<string, unknown>>(text: string, params: unknown[] = []) => (await server.product.database.pool.query(text, params)).rows as T[];
  const versions = () => sql<{ version: number; status: string }>('select version, status from frameworks order by version');

  async function upload(content: string | Buffer, name = 'framework.json'): Promise<{ status: number; text: string }> {
    await admin.get('/admin/framework/import');
    const form = new FormData();
    form.append('_csrf', admin.csrfToken ?? '');
    form.append('document', new Blob([new Uint8Array(Buffer.from(content))], { type: 'application/json' }), name);
    const res = await admin.request('POST', '/admin/framework/import', { body: form });
    return { status: res.status, text: await res.text() };
  }

  /** The error summary's items, as a person reads them. */
  const summary = (html: string) =>
    [...(html.match(/govuk-error-summary__list">([\s\S]*?)<\/ul>/)?.[1] ?? '').matchAll(/<a [^>]*>([^<]*)<\/a>/g)].map((m) =>
      m[1]
        .replace(/&#x27;/g, "'")
        .replace(/&quot;/g, '"')
        .replace(/&amp;/g, '&'),
    );

  before(async () => {
    server = await startTestServer({ demo: true });
    admin = new TestAgent(server.url);
    await admin.signIn('admin@vale-partnership.example', DEMO_PASSWORD);
    lead = new TestAgent(server.url);
    await lead.signIn('lead@valecounty.example', DEMO_PASSWORD);
    learner = new TestAgent(server.url);
    await learner.signIn('learner@valecounty.example', DEMO_PASSWORD);
  });
  after(() => server?.close());

  it('exports the default framework as the very document it was loaded from', async () => {
    const res = await admin.request('GET', '/admin/framework/versions/1/framework.json');
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-disposition')).to.equal('attachment; filename=framework-version-1.json');
    expect(await res.json()).to.deep.equal(JSON.parse(fs.readFileSync(SOMERSET_FILE, 'utf8')));
    expect((await admin.request('GET', '/admin/framework/versions/99/framework.json')).status).to.equal(404);
    expect((await learner.request('GET', '/admin/framework/versions/1/framework.json')).status).to.equal(403);
  });

  it('refuses a bad document with a message for each problem, and changes nothing', async () => {
    const six = sixGroupFramework();
    const broken: FrameworkDocument = JSON.parse(JSON.stringify(six));
    broken.groups[1].includesGroups = [2];
    broken.groups[4].includesGroups = [6];
    broken.groups[2].competencies[1].number = 1;
    const thirteen = { ...six, groups: Array.from({ length: 13 }, (_, i) => ({ ...six.groups[0], number: i + 1 })) };
    const cases: [string | Buffer, string[]][] = [
      ['{"name": "Ours", "groups": [', ['The file is not a JSON document: Unexpected end of JSON input']],
      [Buffer.alloc(5 * 1024 * 1024, 32), ['The file must be 2 MB or smaller']],
      [
        JSON.stringify(thirteen),
        ['The framework has 13 groups; a framework can have at most 12 (groups)', 'The number of group 13 must be 12 or less (groups[12].number)'],
      ],
      [
        JSON.stringify(broken),
        [
          'Group 2 includes itself (groups[1].includesGroups[0])',
          'Group 3 has more than one competency numbered 1 (groups[2].competencies[1].number)',
          'Groups include each other in a circle: group 5 includes group 6, which includes group 5 (groups[4].includesGroups)',
        ],
      ],
    ];
    for (const [content, problems] of cases) {
      const res = await upload(content);
      expect(res.status).to.equal(400);
      expect(res.text).to.include('<title>Error: Import a framework');
      expect(summary(res.text)).to.deep.equal(problems);
    }
    expect(await versions()).to.deep.equal([{ version: 1, status: 'published' }]);
  });

  it('imports a six-group framework as a draft, shows what changes for whom, and publishes it', async () => {
    const res = await upload(JSON.stringify(sixGroupFramework()));
    expect(res.status).to.equal(302);
    const preview = await admin.get('/admin/framework/draft/publish');
    expect(preview.text).to.include('The framework goes from 4 staff groups to 6.');
    expect(preview.text).to.include('Group 5: Leadership (1 competency)').and.include('Group 6: Strategic leadership (2 competencies)');
    expect(preview.text).to.include('Set the organisation’s strategy on VAWDASV.');
    expect(preview.text).not.to.include('Groups this version does not have');
    // A second import would overwrite the draft: refused.
    expect(summary((await upload(JSON.stringify(threeLevelFramework()))).text)).to.deep.equal([
      'There is already a draft. Publish or discard it before importing a framework',
    ]);

    // The editor keeps the draft's inclusions free of circles too.
    await admin.get('/admin/framework/draft/groups/1/edit');
    const circle = await admin.postForm('/admin/framework/draft/groups/1/edit', { name: 'Group 1', level: 'Awareness', includesGroups: ['6'] });
    expect(circle.status).to.equal(400);
    expect(summary(await circle.text())).to.deep.equal([
      'Groups would include each other in a circle: group 1 includes group 6, which includes group 5, which includes group 1',
    ]);

    expect((await admin.postForm('/admin/framework/draft/publish', {})).status).to.equal(302);
    expect(await versions()).to.deep.equal([
      { version: 1, status: 'superseded' },
      { version: 2, status: 'published' },
    ]);
    const framework = await admin.get('/framework');
    expect(framework.text).to.include('Six-group VAWDASV training framework').and.include('Group 6: Strategic leadership');
    // Group 4 includes Group 3, which includes Group 2, which includes Group 1.
    expect(framework.text).to.include('All competencies for Group 1 and Group 2 and Group 3, plus:');
  });

  it('lets every list of groups offer all six, and counts requirements, refreshers, certificates and the board by them', async () => {
    const [sam] = await sql<{ id: string }>(`select id from staff where email = 'learner@valecounty.example'`);
    // Job titles: the new groups' example roles become mappings.
    const roles = await admin.get('/admin/job-roles');
    expect(roles.text).to.include('<option value="6" >Group 6: Strategic leadership</option>');
    expect(roles.text).to.match(/Group 5: Leadership<\/caption>[\s\S]*?Service director/);
    // A lead places a person in Group 6, which needs Groups 1, 5 and 6.
    await lead.get(`/staff/${sam.id}`);
    expect((await lead.postForm(`/staff/${sam.id}/group`, { group: '6', reason: 'Chairs the regional board' })).status).to.equal(302);
    expect((await lead.postForm(`/staff/${sam.id}/group`, { group: '7', reason: 'No such group' })).status).to.equal(400);
    const mine = await learner.get('/framework/my-group');
    expect(mine.text).to.include('You need to show 5 competencies').and.include('Make sure staff are trained for their role.');
    expect(mine.text).not.to.include('Ask about abuse where there are indicators.');
    const certificate = await groupEvidencedInFull(server.product.database.pool, sam.id, londonToday());
    expect(certificate?.required.map((c) => `${c.groupNumber}.${c.number}`)).to.deep.equal(['1.1', '1.2', '5.1', '6.1', '6.2']);
    // A refresher interval for each of the six groups.
    const settings = await lead.get('/admin/organisations/vale-county-council/settings');
    expect(settings.text).to.include('Group 6 (Strategic leadership)');
    const months = Object.fromEntries([1, 2, 3, 4, 5, 6].map((g) => [`refresher${g}`, String(12 + g)]));
    const saved = await lead.postForm('/admin/organisations/vale-county-council/settings', {
      ...months,
      inductionDays: '90',
      dueSoonDays: '60',
      usesRcnIntercollegiate: 'no',
    });
    expect(saved.status).to.equal(302);
    const [{ refresher_months }] = await sql<{ refresher_months: Record<string, number> }>(
      `select refresher_months from organisations where slug = 'vale-county-council'`,
    );
    expect(refresher_months['6']).to.equal(18);
    // The board's figures and charts have a row for each group.
    const figures = await refreshFigures(server.product.database.pool, londonToday());
    expect(figures.groups).to.deep.equal([1, 2, 3, 4, 5, 6]);
    const board = new TestAgent(server.url);
    await board.signIn('board@vale-partnership.example', DEMO_PASSWORD);
    expect((await board.get('/board')).text).to.match(/Share of staff compliant[^"]*Group 6: [^.]*\./);
  });

  it('moves to a three-level framework whose groups do not build on each other, placing staff of the groups it drops again', async () => {
    expect((await upload(JSON.stringify(threeLevelFramework()))).status).to.equal(302);
    const preview = await admin.get('/admin/framework/draft/publish');
    expect(preview.text).to.include('Groups this version does not have');
    expect(preview.text).to.match(/Group 6: Strategic leadership<\/th><td[^>]*>1<\/td>/);
    expect((await admin.postForm('/admin/framework/draft/publish', {})).status).to.equal(302);

    expect(await sql(`select 1 from staff where group_number > 3`)).to.deep.equal([]);
    expect(await sql(`select 1 from job_role_mappings where group_number > 3`)).to.deep.equal([]);
    const [sam] = await sql<{ group_number: number; reason: string }>(
      `select s.group_number, h.reason from staff s join staff_group_history h on h.staff_id = s.id
        where s.email = 'learner@valecounty.example' order by h.changed_at desc limit 1`,
    );
    // A housing officer: placed again by the job title, in the practitioner level.
    expect(sam).to.deep.equal({ group_number: 2, reason: 'Group 6 is not in framework version 3' });
    const mine = await learner.get('/framework/my-group');
    expect(mine.text).to.include('You need to show 2 competencies').and.include('Complete a risk assessment.');
    expect(mine.text).not.to.include('Describe what domestic abuse is.');
    const staffPage = await lead.get('/staff?org=vale-county-council');
    expect(staffPage.text).to.include('Group 3: Manager').and.not.include('Group 4:');
    expect((await refreshFigures(server.product.database.pool, londonToday())).groups).to.deep.equal([1, 2, 3]);
  });
});
