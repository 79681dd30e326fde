import { expect } from 'chai';
import { createApiToken, findUserByEmail } from '../../server/auth/users';
import { DEMO_PASSWORD } from '../../server/demo';
import { startTestServer, TestAgent, type TestServer } from '../../test/support/server';

describe('the framework: pages, API and new versions', () => {
  let server: TestServer;
  let admin: TestAgent;
  const sql = async <T = Record<string, unknown>>(text: string, params: unknown[] = []) => (await server.product.database.pool.query(text, params)).rows as T[];

  before(async () => {
    server = await startTestServer({ demo: true });
    admin = new TestAgent(server.url);
    await admin.signIn('admin@vale-partnership.example', DEMO_PASSWORD);
  });
  after(() => server?.close());

  it('serves the published framework as JSON to an API token holder', async () => {
    const user = await findUserByEmail(server.product.database.pool, 'board@vale-partnership.example');
    const token = await createApiToken(server.product.database.pool, user!.id);
    const res = await fetch(`${server.url}/api/v1/framework`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).to.equal(200);
    const body = await res.json();
    expect(body.version).to.equal(1);
    expect(body.groups.map((g: { competencies: unknown[] }) => g.competencies.length)).to.deep.equal([6, 5, 4, 6]);
    expect(body.groups[2]).to.include.keys(
      'number',
      'name',
      'level',
      'includesGroups',
      'competencies',
      'evidenceExamples',
      'learningOpportunities',
      'exampleRoles',
    );
    expect(body.groups[2].includesGroups).to.deep.equal([1, 2]);
    expect(body.groups[0].competencies[0]).to.have.keys('id', 'number', 'text');
    expect((await fetch(`${server.url}/api/v1/framework`)).status).to.equal(401);
  });

  it('shows a learner the framework and what their group (Group 2) requires: Group 1 and Group 2 competencies', async () => {
    const learner = new TestAgent(server.url);
    await learner.signIn('learner@valecounty.example', DEMO_PASSWORD);
    const page = await learner.get('/framework');
    expect(page.status).to.equal(200);
    expect(page.text).to.include('Honour Based Abuse').and.include('Organisational Leaders');
    expect(page.text).not.to.include('Manage the framework');
    const mine = await learner.get('/framework/my-group');
    expect(mine.text).to.include('Staff Group 2 (Responder)').and.include('You need to show 11 competencies');
    expect(mine.text).to.include('Ensure effective administration of domestic abuse processes.');
    expect(mine.text).not.to.include('Ensure record systems are robust and fit for purpose');
    expect((await learner.get('/admin/framework')).status).to.equal(403);
  });

  it('lets an administrator draft, edit, preview and publish a new version, keeping old evidence and lineage', async () => {
    const [v1c1] = await sql<{ id: string; lineage: string }>(
      `select c.id, c.lineage from competencies c join frameworks f on f.id = c.framework_id where f.version = 1 and c.group_number = 1 and c.number = 1`,
    );
    const [learnerStaff] = await sql<{ id: string }>(`select id from staff where email = 'learner@valecounty.example'`);
    const [evidence] = await sql<{ id: string }>(
      `insert into evidence (staff_id, competency_id, achieved_on, source, note) values ($1, $2, current_date, 'sign-off', 'signed off in supervision') returning id`,
      [learnerStaff.id, v1c1.id],
    );

    expect((await admin.postForm('/admin/framework/draft', {})).status).to.equal(302);
    let page = await admin.get('/admin/framework');
    expect(page.text).to.include('Draft version 2');
    const draft = async (group: number, number: number) =>
      (
        await sql<{ id: string; text: string; lineage: string }>(
          `select c.id, c.text, c.lineage from competencies c join frameworks f on f.id = c.framework_id where f.status = 'draft' and c.group_number = $1 and c.number = $2 and not c.retired`,
          [group, number],
        )
      )[0];

    const first = await draft(1, 1);
    const empty = await admin.postForm(`/admin/framework/draft/competencies/${first.id}/edit`, { text: '  ' });
    expect(empty.status).to.equal(400);
    expect(await empty.text())
      .to.include('There is a problem')
      .and.include('Enter the competency');
    await admin.postForm(`/admin/framework/draft/competencies/${first.id}/edit`, { text: 'Know what domestic abuse, sexual abuse and sexual violence are.' });
    await admin.postForm('/admin/framework/draft/groups/1/competencies/new', { text: 'Respond proportionately to disclosures of sexual abuse.' });
    const sixth = await draft(1, 6);
    await admin.postForm(`/admin/framework/draft/competencies/${sixth.id}/retire`, {});
    const g3first = await draft(3, 1);
    await admin.postForm(`/admin/framework/draft/competencies/${g3first.id}/down`, {});
    expect((await draft(3, 2)).id).to.equal(g3first.id);

    const groupForm = await admin.get('/admin/framework/draft/groups/3/edit');
    const textarea = (name: string) => {
      const m = groupForm.text.match(new RegExp(`name="${name}"[^>]*>([\\s\\S]*?)</textarea>`));
      return (m?.[1] ?? '')
        .replace(/&#x27;/g, "'")
        .replace(/&amp;/g, '&')
        .replace(/&quot;/g, '"');
    };
    await admin.postForm('/admin/framework/draft/groups/3/edit', {
      name: 'Staff Group 3',
      level: 'Decision Makers',
      includesGroups: ['1', '2'],
      summary: textarea('summary'),
      description: textarea('description'),
      exampleRoles: textarea('exampleRoles'),
      evidenceExamples: textarea('evidenceExamples'),
      delivery: textarea('delivery'),
      theme: `${textarea('theme')}\nSexual abuse`,
      resource: textarea('resource'),
    });

    page = await admin.get('/admin/framework/draft/publish');
    expect(page.text).to.include('Group texts changed: opportunities for learning.');
    expect(page.text).to.include('What changes for whom');
    expect(page.text).to.include('Respond proportionately to disclosures of sexual abuse.');
    expect(page.text).to.include('(was: Know what domestic abuse and sexual violence is.)');
    expect(page.text).to.match(/Retired<\/h3>\s*<ul[^>]*><li>6\. Ensure effective administration/);
    const [{ n: staffInGroups123 }] = await sql<{ n: string }>(`select count(*) as n from staff where group_number in (1, 2, 3) and leaving_date is null`);
    expect(page.text).to.include(`Current staff affected: <strong>${staffInGroups123}</strong>`);

    expect((await admin.postForm('/admin/framework/draft/publish', {})).status).to.equal(302);
    const versions = await sql<{ version: number; status: string }>('select version, status from frameworks order by version');
    expect(versions).to.deep.equal([
      { version: 1, status: 'superseded' },
      { version: 2, status: 'published' },
    ]);
    const [stillAttached] = await sql<{ competency_id: string }>('select competency_id from evidence where id = $1', [evidence.id]);
    expect(stillAttached.competency_id).to.equal(v1c1.id);
    const [v2c1] = await sql<{ lineage: string; text: string }>(
      `select c.lineage, c.text from competencies c join frameworks f on f.id = c.framework_id where f.version = 2 and c.group_number = 1 and c.number = 1`,
    );
    expect(v2c1).to.deep.equal({ lineage: v1c1.lineage, text: 'Know what domestic abuse, sexual abuse and sexual violence are.' });
    const [audit] = await sql<{ n: string }>(`select count(*) as n from audit_log where action = 'framework.published'`);
    expect(Number(audit.n)).to.equal(1);

    const api = await admin.getJson('/api/v1/framework');
    expect(api.body.version).to.equal(2);
    const g1 = api.body.groups[0].competencies.map((c: { text: string }) => c.text);
    expect(g1).to.have.length(6);
    expect(g1).to.include('Respond proportionately to disclosures of sexual abuse.');
    expect(g1).not.to.include('Ensure effective administration of domestic abuse processes.');
    expect(api.body.groups[2].learningOpportunities.at(-1)).to.deep.equal({ kind: 'theme', text: 'Sexual abuse' });
    expect(api.body.groups[2].evidenceExamples).to.have.length(7);
    expect(api.body.groups[2].competencies[1].text).to.equal('The provision of training and supervision to develop and promote domestic abuse awareness');
  });
});
