import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { TEST_DB } from '../../test/support/database';
import { addUser, startTestServer, TestAgent, type TestServer } from '../../test/support/server';
import { runStaffImport } from './cli';

const DEMO_PASSWORD = 'demo-learning-2026';

describe('staff records, groups and CSV import', function () {
  // Starting the product with the demo partnership can take a while on a busy machine.
  this.timeout(90_000);
  let server: TestServer;
  let lead: TestAgent;
  let admin: TestAgent;
  const q = async <T = Record<string, unknown>>(sql: string, params: unknown[] = []) => (await server.product.database.pool.query(sql, params)).rows as T[];
  const staffCount = async (slug = 'vale-county-council') =>
    (await q<{ n: number }>('select count(*)::int as n from staff s join organisations o on o.id = s.organisation_id where o.slug = $1', [slug]))[0].n;

  async function upload(agent: TestAgent, csv: Buffer | string, fields: Record<string, string> = {}): Promise<Response> {
    await agent.get('/staff/import');
    const form = new FormData();
    form.append('_csrf', agent.csrfToken ?? '');
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    form.append('file', new Blob([new Uint8Array(typeof csv === 'string' ? Buffer.from(csv) : csv)], { type: 'text/csv' }), 'staff.csv');
    return agent.request('POST', '/staff/import', { body: form });
  }

  before(async () => {
    server = await startTestServer({ demo: true });
    lead = new TestAgent(server.url);
    await lead.signIn('lead@valecounty.example', DEMO_PASSWORD);
    admin = new TestAgent(server.url);
    await admin.signIn('admin@vale-partnership.example', DEMO_PASSWORD);
  });
  after(() => server?.close());

  it('maps demo staff from their job titles, keeps the demo learner in Group 2 and lists unmapped titles for the lead', async () => {
    const [learner] = await q<{ group_number: number; group_source: string }>(
      `select group_number, group_source from staff where email = 'learner@valecounty.example'`,
    );
    expect(learner).to.deep.equal({ group_number: 2, group_source: 'partnership-mapping' });
    const list = await lead.get('/staff');
    expect(list.status).to.equal(200);
    expect(list.text).to.contain('Sam Taylor').and.to.contain('3 job titles have no staff group');
    const unmapped = await lead.get('/staff/unmapped-roles');
    expect(unmapped.text).to.contain('Community connector').and.to.contain('Family navigator');
    const [history] = await q<{ n: number }>(
      `select count(*)::int as n from staff_group_history h join staff s on s.id = h.staff_id where s.email = 'learner@valecounty.example'`,
    );
    expect(history.n).to.be.greaterThan(0);
  });

  it('maps an unknown title for the organisation only, moving its holders with history', async () => {
    const res = await lead.postForm('/staff/unmapped-roles', { org: 'vale-county-council', jobTitle: 'Community connector', group: '2' });
    expect(res.status).to.equal(302);
    const [rowan] = await q<{ id: string; group_number: number; group_source: string }>(
      `select id, group_number, group_source from staff where name = 'Rowan Hughes'`,
    );
    expect(rowan).to.include({ group_number: 2, group_source: 'organisation-mapping' });
    const page = await lead.get(`/staff/${rowan.id}`);
    expect(page.text).to.contain('Community connector').and.to.contain('mapped to Group 2').and.to.contain('Organisation job title mapping');
    expect((await lead.get('/staff/unmapped-roles')).text).not.to.contain('<label class="govuk-label govuk-label--s" for="group-0">Community connector');
    const missing = await lead.postForm('/staff/unmapped-roles', { org: 'vale-county-council', jobTitle: 'Family navigator', group: '' });
    expect(missing.status).to.equal(400);
    expect(await missing.text()).to.contain('Select a group for &quot;Family navigator&quot;');
  });

  it('lets the lead override one person’s group only with a reason, and keeps that through later mappings', async () => {
    const [sam] = await q<{ id: string }>(`select id from staff where email = 'learner@valecounty.example'`);
    const noReason = await lead.postForm(`/staff/${sam.id}/group`, { group: '3', reason: '' });
    expect(noReason.status).to.equal(400);
    expect(await noReason.text()).to.contain('Enter the reason for changing the group');
    expect((await q<{ group_number: number }>('select group_number from staff where id = $1', [sam.id]))[0].group_number).to.equal(2);

    const told: { staffId: string; from: number | null; to: number | null }[] = [];
    server.product.events.on('staff.group-changed', async ({ staffId, from, to }) => {
      told.push({ staffId, from, to });
    });
    expect((await lead.postForm(`/staff/${sam.id}/group`, { group: '3', reason: 'Leads the housing safeguarding panel' })).status).to.equal(302);
    expect(told).to.deep.equal([{ staffId: sam.id, from: 2, to: 3 }]);
    const page = await lead.get(`/staff/${sam.id}`);
    expect(page.text).to.contain('Leads the housing safeguarding panel').and.to.contain('Group 2 to Group 3').and.to.contain('Set by organisational lead');
    // A later partnership mapping of the same title leaves the override alone.
    await admin.get('/admin/job-roles');
    expect((await admin.postForm('/admin/job-roles', { jobTitle: 'Housing officer', group: '2' })).status).to.equal(302);
    expect((await q<{ group_number: number }>('select group_number from staff where id = $1', [sam.id]))[0].group_number).to.equal(3);
  });

  it('never shows or changes another organisation’s staff to an org-lead (404 whatever the id)', async () => {
    const [officer] = await q<{ id: string }>(`select s.id from staff s join organisations o on o.id = s.organisation_id where o.slug = 'vale-police' limit 1`);
    expect((await lead.get(`/staff/${officer.id}`)).status).to.equal(404);
    expect((await lead.postForm(`/staff/${officer.id}/group`, { group: '4', reason: 'sneaky' })).status).to.equal(404);
    expect((await lead.get('/staff?org=vale-police')).status).to.equal(404);
    expect((await lead.get('/staff/unmapped-roles?org=vale-police')).status).to.equal(404);
    expect((await lead.postForm('/staff/unmapped-roles', { org: 'vale-police', jobTitle: 'Anything', group: '1' })).status).to.equal(404);
    expect((await lead.get('/admin/job-roles')).status).to.equal(403);
    const policeUpload = await upload(lead, 'name\nSomeone\n', { org: 'vale-police' });
    expect(policeUpload.status).to.equal(404);
    // An admin's import for the police is invisible to the council's lead.
    const adminUpload = await upload(admin, 'name,email\nPolice Person,pp@valepolice.example\n', { org: 'vale-police' });
    const batch = adminUpload.headers.get('location')!;
    expect((await admin.get(batch)).status).to.equal(200);
    expect((await lead.get(batch)).status).to.equal(404);
    expect((await lead.postForm(batch, {})).status).to.equal(404);
    expect((await admin.get(`/staff/${officer.id}`)).status).to.equal(200);
  });

  it('imports from the browser: preview writes nothing, confirm applies, the same file again changes nothing', async () => {
    const before = await staffCount();
    const file =
      'name,email,job_title,team,staff_number,start_date,leaving_date,volunteer\n' +
      'Ada Brook,ada.brook@valecounty.example,Housing officer,Housing,HR001,01/04/2025,,no\n' +
      'Ben Cho,ben.cho@valecounty.example,Councillor,Members,HR002,2022-05-01,,no\n' +
      'Cara Dunn,cara.dunn@valecounty.example,Play worker,Early help,HR003,,,yes\n';
    const res = await upload(lead, file, { fullList: '' });
    expect(res.status).to.equal(302);
    const preview = await lead.get(res.headers.get('location')!);
    expect(preview.text).to.contain('To add (3)').and.to.contain('Ada Brook').and.to.contain('No group: job title not mapped').and.to.contain('Play worker');
    expect(await staffCount()).to.equal(before);

    const confirm = await lead.postForm(res.headers.get('location')!, {});
    expect(confirm.status).to.equal(302);
    expect(await staffCount()).to.equal(before + 3);
    const [ben] = await q<{ group_number: number; is_volunteer: boolean }>(`select group_number, is_volunteer from staff where staff_number = 'HR002'`);
    expect(ben.group_number).to.equal(4);
    expect((await q<{ is_volunteer: boolean }>(`select is_volunteer from staff where staff_number = 'HR003'`))[0].is_volunteer).to.equal(true);
    expect((await lead.postForm(res.headers.get('location')!, {})).status).to.equal(409);

    const again = await upload(lead, file);
    const againPreview = await lead.get(again.headers.get('location')!);
    expect(againPreview.text)
      .to.contain('This same file was imported on')
      .and.to.contain('Importing this file would change nothing')
      .and.not.to.contain('Confirm and import');
    expect(await staffCount()).to.equal(before + 3);
  });

  it('shows row errors (bad rows, duplicate emails, unknown organisation) and will not import until they are fixed', async () => {
    const before = await staffCount();
    const res = await upload(
      lead,
      'name,email,organisation\nGood Row,good@valecounty.example,vale-county-council\n,blank@valecounty.example,\nDup One,dup@valecounty.example,\nDup Two,DUP@valecounty.example,\nElsewhere,else@valecounty.example,Nowhere Council\n',
    );
    const page = await lead.get(res.headers.get('location')!);
    expect(page.text).to.contain('3 rows have problems');
    // The error summary names each row's problem and links to it: no empty bullet points.
    const summary = page.text.slice(page.text.indexOf('govuk-error-summary__list'), page.text.indexOf('</ul>', page.text.indexOf('govuk-error-summary__list')));
    expect(summary).to.match(/<a href="#problem-row-3">Row 3: The name is missing/);
    expect(summary).not.to.match(/<li>\s*<\/li>/);
    expect(page.text).to.contain('The name is missing').and.to.contain('also on row 4').and.to.contain('&quot;Nowhere Council&quot; is not one we know');
    expect(page.text).not.to.contain('Confirm and import');
    expect((await lead.postForm(res.headers.get('location')!, {})).status).to.equal(409);
    expect(await staffCount()).to.equal(before);
  });

  it('keeps the form token out of the address bar, and refuses an upload whose form carries no token or a forged one', async () => {
    // A failed upload is answered at the form's own address, which holds no token.
    const failed = await upload(lead, '');
    expect(failed.status).to.equal(400);
    expect(new URL(failed.url).search).to.equal('');
    expect(await failed.text())
      .to.contain('<a href="#file">Select a CSV file</a>')
      .and.not.to.contain('_csrf=');
    expect((await lead.get('/staff/import')).text).to.contain('action="/staff/import"');
    // An attacker's page posts the lead's browser a file: without the token, with a wrong one, or with it only in the address.
    const batches = async () => (await q<{ n: number }>('select count(*)::int as n from staff_import_batches'))[0].n;
    const [before, batchesBefore] = [await staffCount(), await batches()];
    const forged = async (token: string | undefined, query = '') => {
      const form = new FormData();
      if (token !== undefined) form.append('_csrf', token);
      form.append('org', 'vale-county-council');
      form.append('file', new Blob(['name\nMallory Forged\n'], { type: 'text/csv' }), 'staff.csv');
      return lead.request('POST', `/staff/import${query}`, { body: form });
    };
    for (const res of [await forged(undefined), await forged('x'.repeat(32)), await forged(undefined, `?_csrf=${encodeURIComponent(lead.csrfToken ?? '')}`)]) {
      expect(res.status).to.equal(403);
      expect(await res.text()).to.contain('This form has expired');
    }
    expect(await batches()).to.equal(batchesBefore);
    expect(await staffCount()).to.equal(before);
    // A multipart POST to any route that is not an upload is refused, token or not.
    const elsewhere = new FormData();
    elsewhere.append('_csrf', lead.csrfToken ?? '');
    elsewhere.append('jobTitle', 'Forged');
    expect((await lead.request('POST', '/staff/unmapped-roles', { body: elsewhere })).status).to.equal(403);
  });

  it('refuses a file in the wrong encoding with a message asking for CSV UTF-8', async () => {
    const res = await upload(lead, Buffer.concat([Buffer.from('name\nRen'), Buffer.from([0xe9]), Buffer.from('e Blanc\n')]));
    expect(res.status).to.equal(400);
    const text = await res.text();
    expect(text).to.contain('CSV UTF-8').and.to.contain('govuk-error-summary');
  });

  it('applies an import in one transaction: a row the database rejects leaves nothing imported', async () => {
    await q(`create function staff_test_refuse() returns trigger language plpgsql as $$ begin
               if new.name = 'Refused Row' then raise exception 'refused for the test'; end if; return new; end $$`);
    await q('create trigger staff_test_refuse before insert on staff for each row execute function staff_test_refuse()');
    try {
      const before = await staffCount();
      const res = await upload(lead, 'name,email\nFirst Fine,first.fine@valecounty.example\nRefused Row,refused@valecounty.example\n');
      expect((await lead.postForm(res.headers.get('location')!, {})).status).to.equal(500);
      expect(await staffCount()).to.equal(before);
      const [batch] = await q<{ status: string }>('select status from staff_import_batches where id = $1', [res.headers.get('location')!.split('/').pop()]);
      expect(batch.status).to.equal('previewed');
    } finally {
      await q('drop trigger staff_test_refuse on staff');
      await q('drop function staff_test_refuse()');
    }
  });

  it('marks staff missing from a full list as leavers: they keep their history but leave current lists', async () => {
    const org = 'vale-homes';
    const homesLead = new TestAgent(server.url);
    const user = await addUser(server, 'org-lead', { organisationSlug: org });
    await homesLead.signIn(user.email);
    const current = await q<{ name: string; email: string; staff_number: string; job_title: string }>(
      `select s.name, s.email, s.staff_number, s.job_title from staff s join organisations o on o.id = s.organisation_id where o.slug = $1 order by s.staff_number`,
      [org],
    );
    const [leaver, ...stay] = current;
    const file = `name,email,staff_number,job_title\n${stay.map((s) => `${s.name},${s.email},${s.staff_number},${s.job_title}`).join('\n')}\n`;
    const res = await upload(homesLead, file, { fullList: 'yes' });
    const preview = await homesLead.get(res.headers.get('location')!);
    expect(preview.text).to.contain('To mark as leavers (1)').and.to.contain(leaver.name).and.to.contain('To add (0)');
    expect((await homesLead.postForm(res.headers.get('location')!, {})).status).to.equal(302);
    const list = await homesLead.get('/staff');
    expect(list.text).not.to.contain(leaver.name);
    expect((await homesLead.get('/staff?leavers=yes')).text).to.contain(leaver.name);
    const [row] = await q<{ id: string; leaving_date: string }>(
      `select id, to_char(leaving_date, 'YYYY-MM-DD') as leaving_date from staff where staff_number = $1`,
      [leaver.staff_number],
    );
    expect(row.leaving_date).to.match(/^\d{4}-\d{2}-\d{2}$/);
    expect((await homesLead.get(`/staff/${row.id}`)).text)
      .to.contain('has left')
      .and.to.contain('Group history');
  });

  it('imports from the command line: a preview without --yes writes nothing; --yes applies; errors exit non-zero', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'staff-import-'));
    const file = path.join(dir, 'probation.csv');
    fs.writeFileSync(file, 'name,email,job_title,staff_number\nPia Quinn,pia@valeprobation.example,Probation officer,P100\n');
    const ctx = server.product.rootContext;
    const lines: string[] = [];
    const before = await staffCount('vale-probation');
    await runStaffImport(ctx, ['--org', 'vale-probation', file], (l) => lines.push(l));
    expect(lines.join('\n')).to.contain('To add: 1').and.to.contain('Pia Quinn, Probation officer (Group 2)').and.to.contain('run the same command with --yes');
    expect(await staffCount('vale-probation')).to.equal(before);
    await runStaffImport(ctx, ['--org', 'vale-probation', file, '--yes'], () => {});
    expect(await staffCount('vale-probation')).to.equal(before + 1);

    const usage = async (args: string[]) =>
      runStaffImport(ctx, args, () => {}).then(
        () => undefined,
        (e: Error) => e,
      );
    expect(await usage(['--org', 'no-such-org', file]))
      .to.include({ name: 'UsageError' })
      .and.to.have.property('message')
      .that.contains('No organisation with the slug "no-such-org"');
    expect((await usage(['--org', 'vale-probation', path.join(dir, 'missing.csv')]))?.message).to.contain('There is no file at');
    fs.writeFileSync(file, 'name,email\n,bad\n');
    expect((await usage(['--org', 'vale-probation', file, '--yes']))?.message).to.contain('Nothing was imported');

    if (TEST_DB === 'postgres') {
      // The real command, as an operator runs it, against the same database (one spawn: it costs seconds).
      fs.writeFileSync(file, 'name,email\nRay Shaw,ray@valeprobation.example\n');
      const run = (args: string[]) =>
        spawnSync(path.resolve(__dirname, '../../node_modules/.bin/tsx'), ['scripts/cli.ts', 'staff:import', ...args], {
          cwd: path.resolve(__dirname, '../..'),
          env: { ...process.env, DATABASE_URL: server.testDb.databaseUrl, SESSION_SECRET: 'cli-test-secret-cli-test-secret-0123456789' },
          encoding: 'utf8',
        });
      const preview = run(['--org', 'vale-probation', file]);
      expect(preview.status, preview.stderr).to.equal(0);
      expect(preview.stdout).to.contain('Ray Shaw');
      expect(await staffCount('vale-probation')).to.equal(before + 1);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
