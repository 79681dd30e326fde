import { execFileSync } from 'node:child_process';
import { expect } from 'chai';
import { TEST_DB } from '../../test/support/database';
import { addUser, startTestServer, TestAgent, type TestServer } from '../../test/support/server';

const DEMO_PASSWORD = 'demo-learning-2026';

describe(`data protection: subject access and leavers’ details (${TEST_DB})`, function () {
  this.timeout(180_000);
  let server: TestServer;
  let admin: TestAgent;
  let lead: TestAgent;
  let samStaffId: string;

  before(async () => {
    server = await startTestServer({ demo: true });
    admin = new TestAgent(server.url);
    await admin.signIn('admin@vale-partnership.example', DEMO_PASSWORD);
    lead = new TestAgent(server.url);
    await lead.signIn('lead@valecounty.example', DEMO_PASSWORD);
    const { rows } = await server.product.database.pool.query<{ id: string }>(
      `select s.id from staff s join users u on u.id = s.user_id where u.email = 'learner@valecounty.example'`,
    );
    samStaffId = rows[0].id;
  });
  after(async () => server?.close());

  it('exports everything held about a person as JSON, without password hashes, and records the export', async () => {
    const res = await admin.request('GET', `/admin/people/${samStaffId}/subject-access.json`);
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-disposition')).to.contain('subject-access-sam-taylor.json');
    const text = await res.text();
    const data = JSON.parse(text);
    expect(data.person.name).to.equal('Sam Taylor');
    expect(data.staffRecord.id).to.equal(samStaffId);
    expect(data.account.email).to.equal('learner@valecounty.example');
    expect(data.records.staff_group_history.length).to.be.greaterThan(0);
    expect(data.records.user_roles.map((r: { role: string }) => r.role)).to.include('learner');
    expect(text).to.not.match(/password_hash|\$argon2/);
    // Every column of the staff record.
    expect(data.staffRecord).to.have.property('anonymised_at', null);
    const { rows } = await server.product.database.pool.query(
      `select detail from audit_log where action = 'data-protection.subject-access-exported' and subject_id = $1`,
      [samStaffId],
    );
    expect(rows.map((r) => r.detail.format)).to.deep.equal(['json']);
  });

  it('includes what e-learning saved in each of the person’s attempts', async () => {
    const pool = server.product.database.pool;
    // Sam part-way through the demo e-learning: an attempt with the bookmark the package saved.
    const { rows: attempts } = await pool.query<{ id: string }>(
      `insert into scorm_attempts (user_id, staff_id, course_id, package_version_id, status)
       select s.user_id, s.id, p.course_id, v.id, 'incomplete' from staff s, scorm_package_versions v join scorm_packages p on p.id = v.package_id
        where s.id = $1 and p.course_id is not null order by v.imported_at limit 1 returning id`,
      [samStaffId],
    );
    expect(attempts, 'the demo has e-learning').to.have.length(1);
    await pool.query(`insert into scorm_sco_states (attempt_id, sco_identifier, cmi) values ($1, 'sco-1', '{"cmi.core.lesson_location": "page-3"}')`, [
      attempts[0].id,
    ]);
    const data = await (await admin.request('GET', `/admin/people/${samStaffId}/subject-access.json`)).json();
    expect(data.scormState).to.have.length(1);
    expect(data.scormState[0]).to.deep.include({ attempt_id: attempts[0].id, sco_identifier: 'sco-1', cmi: { 'cmi.core.lesson_location': 'page-3' } });
  });

  it('exports the same as a readable PDF, to the person’s own lead too', async () => {
    const res = await lead.request('GET', `/admin/people/${samStaffId}/subject-access.pdf`);
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.equal('application/pdf');
    const pdf = Buffer.from(await res.arrayBuffer());
    const text = execFileSync('pdftotext', ['-', '-'], { input: pdf }).toString();
    expect(text).to.contain('Information held about Sam Taylor');
    expect(text).to.contain('Vale County Council');
    expect(text).to.match(/staff group history \(\d+\)/);
  });

  it('finds a person by name for the administrator', async () => {
    const page = await admin.get('/admin/data-protection?q=Sam+Tay');
    expect(page.status).to.equal(200);
    expect(page.text).to.contain(`/admin/people/${samStaffId}/subject-access.pdf`);
  });

  it('refuses a retention period that is not a whole number of months, and keeps the one in force', async () => {
    await admin.get('/admin/data-protection');
    const res = await admin.postForm('/admin/data-protection/retention', { months: 'six years' });
    expect(res.status).to.equal(400);
    const html = await res.text();
    expect(html).to.contain('Enter the retention period as a whole number of months');
    expect(html).to.contain('value="six years"');
    expect((await admin.get('/admin/data-protection')).text).to.contain('removed 6 years after their leaving date');
  });

  it('anonymises leavers past the retention period without changing any figure, and records it', async () => {
    const pool = server.product.database.pool;
    // A Vale Constabulary officer who left seven years ago, with a sign-in account and a certificate.
    const { rows: officers } = await pool.query<{ id: string; name: string }>(
      `select s.id, s.name from staff s join organisations o on o.id = s.organisation_id
        where o.slug = 'vale-police' and exists (select 1 from certificates c where c.staff_id = s.id) order by s.name limit 1`,
    );
    const officer = officers[0];
    const account = await addUser(server, 'learner', { email: 'leaver@valepolice.example' });
    await pool.query(
      `update staff set leaving_date = current_date - interval '7 years', email = 'leaver@valepolice.example', staff_number = 'P-1234', user_id = $2 where id = $1`,
      [officer.id, account.id],
    );
    await pool.query(`update evidence set note = 'Discussed the case of the officer''s neighbour' where staff_id = $1`, [officer.id]);
    const { rows: certs } = await pool.query<{ code: string }>('select code from certificates where staff_id = $1 limit 1', [officer.id]);

    const figures = async () => ({
      compliance: (await admin.getJson('/api/v1/organisations/vale-police/compliance')).body.counts,
      staff: (await pool.query(`select organisation_id, group_number, count(*)::int as n from staff group by 1, 2 order by 1, 2`)).rows,
      evidence: (await pool.query('select count(*)::int as n from evidence')).rows[0].n,
      certificates: (await pool.query(`select status, count(*)::int as n from certificates group by 1 order by 1`)).rows,
      verify: (await admin.getJson(`/api/v1/certificates/verify/${certs[0].code}`)).body.outcome,
    });
    const before = await figures();

    await admin.get('/admin/data-protection');
    expect((await admin.get('/admin/data-protection')).text).to.contain(officer.name);
    const res = await admin.postForm('/admin/data-protection/anonymise', {});
    expect(res.status).to.equal(302);
    expect((await admin.get('/admin/data-protection')).text).to.match(/Anonymised \d+ leavers?/);

    expect(await figures()).to.deep.equal(before);
    const { rows: after } = await pool.query('select name, email, staff_number, user_id, anonymised_at from staff where id = $1', [officer.id]);
    expect(after[0]).to.include({ name: 'Former member of staff', email: null, staff_number: null, user_id: null });
    const { rows: notes } = await pool.query(`select count(*)::int as n from evidence where staff_id = $1 and note is not null`, [officer.id]);
    expect(notes[0].n).to.equal(0);
    const verified = (await new TestAgent(server.url).getJson(`/api/v1/certificates/verify/${certs[0].code}`)).body;
    expect(verified.certificate.name).to.equal('Former member of staff');
    expect(JSON.stringify(verified)).to.not.contain(officer.name);

    const signIn = new TestAgent(server.url);
    await signIn.get('/sign-in');
    expect((await signIn.postForm('/sign-in', { email: 'leaver@valepolice.example', password: 'correct horse battery staple' })).status).to.not.equal(302);
    const { rows: logged } = await pool.query(`select actor_user_id, detail from audit_log where action = 'data-protection.anonymised' and subject_id = $1`, [
      officer.id,
    ]);
    expect(logged).to.have.length(1);
    expect(logged[0].detail.retentionMonths).to.equal(72);
    expect(JSON.stringify(logged)).to.not.contain(officer.name);
  });

  it('keeps leavers within the retention period, as configured', async () => {
    const pool = server.product.database.pool;
    const { rows } = await pool.query<{ id: string }>(`select id from staff where anonymised_at is null and user_id is null order by name limit 1`);
    await pool.query(`update staff set leaving_date = current_date - interval '2 years' where id = $1`, [rows[0].id]);
    await admin.get('/admin/data-protection');
    expect((await admin.postForm('/admin/data-protection/retention', { months: '36' })).status).to.equal(302);
    await admin.postForm('/admin/data-protection/anonymise', {});
    expect((await pool.query('select anonymised_at from staff where id = $1', [rows[0].id])).rows[0].anonymised_at).to.equal(null);
    await admin.postForm('/admin/data-protection/retention', { months: '12' });
    await admin.postForm('/admin/data-protection/anonymise', {});
    expect((await pool.query('select anonymised_at from staff where id = $1', [rows[0].id])).rows[0].anonymised_at).to.not.equal(null);
  });
});
