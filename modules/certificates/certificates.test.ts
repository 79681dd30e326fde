import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import yauzl from 'yauzl';
import { DEMO_PASSWORD } from '../../server/demo';
import { addUser, startTestServer, TestAgent, type TestServer } from '../../test/support/server';
import { recordCourseCompletion } from '../evidence/api';
import { ALPHABET, formatCode, generateCode } from './codes';
import { issueMissingCertificates } from './issue';
import { VERIFY_LIMIT } from './index';
import { addMonths, todayInLondon } from './rules';

interface Row {
  id: string;
  code: string;
  kind: string;
  achievement: string;
  person_name: string;
  issued_on: string;
  expires_on: string | null;
  status: string;
}

describe('certificates', function () {
  // The demo partnership takes a while to load on a busy machine.
  this.timeout(180_000);
  let server: TestServer;
  let learnerStaffId: string;
  let colleagueStaffId: string;
  let group1CourseId: string;
  let responderCourseId: string;
  const today = todayInLondon();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lms-certificates-'));

  const pool = () => server.product.database.pool;
  let ref = 0;
  const complete = (staffId: string, courseId: string, achievedOn: string) =>
    server.product.database.transaction((client) =>
      recordCourseCompletion(client, server.product.events, {
        staffId,
        courseId,
        achievedOn,
        source: 'elearning',
        sourceRef: `attempt-${++ref}`,
        recordedBy: null,
      }),
    );
  const certificatesOf = async (staffId: string) =>
    (await pool().query<Row>('select * from certificates where staff_id = $1 and replaced_by is null order by created_at', [staffId])).rows;
  const signedIn = async (email: string, password = DEMO_PASSWORD) => {
    const agent = new TestAgent(server.url);
    await agent.signIn(email, password);
    return agent;
  };
  // Signing in costs a password hash check; each person signs in once for the file.
  let learner: TestAgent;
  let lead: TestAgent;

  before(async () => {
    server = await startTestServer({ demo: true });
    const { rows: staff } = await pool().query<{ id: string; email: string }>(
      `select s.id, s.email from staff s join organisations o on o.id = s.organisation_id
        where o.slug = 'vale-county-council' and s.team = 'Frontline services' order by s.email = 'learner@valecounty.example' desc, s.name limit 2`,
    );
    learnerStaffId = staff[0].id;
    colleagueStaffId = staff[1].id;
    const course = async (slug: string, title: string, groups: number[]) => {
      const { rows } = await pool().query<{ id: string }>(`insert into courses (slug, title, delivery) values ($1, $2, 'elearning') returning id`, [
        slug,
        title,
      ]);
      await pool().query(
        `insert into course_competencies (course_id, competency_lineage)
         select $1, c.lineage from competencies c join frameworks f on f.id = c.framework_id and f.status = 'published' where c.group_number = any($2::int[])`,
        [rows[0].id, groups],
      );
      return rows[0].id;
    };
    group1CourseId = await course('da-awareness', 'Domestic abuse awareness', [1]);
    responderCourseId = await course('da-responder', 'Responding to domestic abuse', [1, 2]);
    learner = await signedIn('learner@valecounty.example');
    lead = await signedIn('lead@valecounty.example');
  });

  after(async () => {
    await server?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('issues a course certificate on completion, expiring after the organisation refresher interval for the person’s group', async () => {
    await complete(colleagueStaffId, group1CourseId, '2026-01-15');
    const cert = (await certificatesOf(colleagueStaffId)).find((c) => c.kind === 'course')!;
    expect(cert).to.include({ achievement: 'Domestic abuse awareness', issued_on: '2026-01-15', status: 'valid' });
    // Vale County Council keeps the default 36 months for every group.
    expect(cert.expires_on).to.equal('2029-01-15');
  });

  it('issues the framework certificate once every competency of the person’s group (and the groups it includes) is evidenced', async () => {
    await complete(learnerStaffId, responderCourseId, today);
    const certs = await certificatesOf(learnerStaffId);
    expect(certs.filter((c) => c.achievement === 'Responding to domestic abuse')).to.have.length(1);
    expect(certs.filter((c) => c.achievement === 'Group 2 Responder level')).to.have.length(1);
    // A second completion the same day changes nothing.
    await complete(learnerStaffId, responderCourseId, today);
    expect(await certificatesOf(learnerStaffId)).to.have.length(certs.length);
  });

  it('makes one certificate when two completions of the same achievement arrive at once', async () => {
    const { rows } = await pool().query<{ id: string }>(
      `select s.id from staff s join organisations o on o.id = s.organisation_id where o.slug = 'vale-police' and s.group_number = 1 limit 1`,
    );
    await Promise.all([complete(rows[0].id, group1CourseId, today), complete(rows[0].id, group1CourseId, today)]);
    // One course certificate, and one framework certificate: the course covers all of Group 1.
    expect((await certificatesOf(rows[0].id)).map((c) => c.achievement).sort()).to.deep.equal(['Domestic abuse awareness', 'Group 1 Awareness level']);
  });

  it('lets the learner download their certificate as a real A4 landscape PDF with the facts printed as text', async () => {
    const page = await learner.get('/my-certificates');
    expect(page.status).to.equal(200);
    expect(page.text).to.include('Group 2 Responder level');
    const cert = (await certificatesOf(learnerStaffId)).find((c) => c.achievement === 'Group 2 Responder level')!;
    const res = await learner.request('GET', `/my-certificates/${cert.id}.pdf`);
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.match(/application\/pdf/);
    const file = path.join(tmp, 'certificate.pdf');
    fs.writeFileSync(file, Buffer.from(await res.arrayBuffer()));

    execFileSync('pdftoppm', ['-png', '-r', '40', '-singlefile', file, path.join(tmp, 'page')]);
    const png = fs.readFileSync(path.join(tmp, 'page.png'));
    // A4 landscape at 40 dpi: about 468 x 331 pixels, wider than tall.
    const width = png.readUInt32BE(16);
    const height = png.readUInt32BE(20);
    expect(width).to.be.within(460, 475);
    expect(height).to.be.within(325, 336);

    const text = execFileSync('pdftotext', ['-layout', file, '-']).toString();
    expect(text).to.include('Sam Taylor');
    expect(text).to.include('Vale County Council');
    expect(text).to.include('Group 2 Responder level');
    expect(text).to.include('Vale Domestic Abuse Partnership (demo)');
    expect(text).to.include(formatCode(cert.code));
    expect(text).to.include(new Date(`${cert.issued_on}T12:00:00Z`).toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric' }));
    expect(text).to.include(new Date(`${cert.expires_on}T12:00:00Z`).toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric' }));
    expect(execFileSync('pdffonts', [file]).toString()).to.match(/DejaVuSans\s.*yes/);

    // Someone else's certificate is not theirs to download.
    const colleagues = (await certificatesOf(colleagueStaffId))[0];
    expect((await learner.request('GET', `/my-certificates/${colleagues.id}.pdf`)).status).to.equal(404);
  });

  it('verifies valid, expired and revoked certificates, and tells a typo apart from an unknown code', async () => {
    const visitor = new TestAgent(server.url);
    const valid = (await certificatesOf(colleagueStaffId)).find((c) => c.achievement === 'Domestic abuse awareness')!;
    await complete(colleagueStaffId, responderCourseId, addMonths(today, -40));
    const expired = (await certificatesOf(colleagueStaffId)).find((c) => c.achievement === 'Responding to domestic abuse')!;

    const validPage = await visitor.get(`/verify?code=${formatCode(valid.code).toLowerCase().replace(/-/g, ' ')}`);
    expect(validPage.status).to.equal(200);
    expect(validPage.text).to.include('This certificate is valid');
    expect(validPage.text).to.include('Domestic abuse awareness');
    expect((await visitor.get(`/verify?code=${expired.code}`)).text).to.include('This certificate has expired');
    expect((await visitor.getJson(`/api/v1/certificates/verify/${expired.code}`)).body.outcome).to.equal('expired');

    const position = 5;
    const wrong = ALPHABET[(ALPHABET.indexOf(valid.code[position]) + 1) % ALPHABET.length];
    const typo = valid.code.slice(0, position) + wrong + valid.code.slice(position + 1);
    const typoPage = await visitor.get(`/verify?code=${typo}`);
    expect(typoPage.status).to.equal(400);
    expect(typoPage.text).to.include('This code has a typo');
    expect(typoPage.text).to.include('govuk-error-summary');
    expect((await visitor.getJson(`/api/v1/certificates/verify/${typo}`)).body.outcome).to.equal('typo');

    let unknown = generateCode();
    while (unknown === valid.code) unknown = generateCode();
    expect((await visitor.get(`/verify?code=${unknown}`)).text).to.include('No certificate has this code');
    const unknownJson = await visitor.getJson(`/api/v1/certificates/verify/${unknown}`);
    expect(unknownJson.status).to.equal(404);
    expect(unknownJson.body.outcome).to.equal('not-found');

    // The lead revokes it with a reason; verification then says revoked.
    await lead.get(`/certificates/${valid.id}`);
    const missingReason = await lead.postForm(`/certificates/${valid.id}/revoke`, { reason: ' ' });
    expect(missingReason.status).to.equal(400);
    expect(await missingReason.text()).to.include('Enter why you are revoking this certificate');
    const revoked = await lead.postForm(`/certificates/${valid.id}/revoke`, { reason: 'Issued for the wrong person' });
    expect(revoked.status).to.equal(302);
    expect((await visitor.get(`/verify?code=${valid.code}`)).text).to.include('This certificate has been revoked');
    expect((await visitor.getJson(`/api/v1/certificates/verify/${valid.code}`)).body.outcome).to.equal('revoked');
  });

  it('shows the public only name, achievement, dates and issuing partnership: no email, staff number, organisation or internal ids', async () => {
    const cert = (await certificatesOf(learnerStaffId)).find((c) => c.achievement === 'Responding to domestic abuse')!;
    const { rows } = await pool().query<{ email: string; staff_number: string; organisation_id: string; organisation_name: string }>(
      'select s.email, s.staff_number, s.organisation_id, o.name as organisation_name from staff s join organisations o on o.id = s.organisation_id where s.id = $1',
      [learnerStaffId],
    );
    const person = rows[0];
    const visitor = new TestAgent(server.url);
    const json = await visitor.getJson(`/api/v1/certificates/verify/${cert.code}`);
    expect(json.body).to.deep.equal({
      outcome: 'valid',
      message: 'This certificate is valid.',
      certificate: {
        name: 'Sam Taylor',
        achievement: 'Responding to domestic abuse',
        issuedOn: cert.issued_on,
        expiresOn: cert.expires_on,
        issuedBy: 'Vale Domestic Abuse Partnership (demo)',
      },
    });
    const page = (await visitor.get(`/verify?code=${cert.code}`)).text;
    expect(page).to.include('Sam Taylor');
    for (const secret of [
      person.email,
      person.staff_number,
      person.organisation_id,
      person.organisation_name,
      learnerStaffId,
      cert.id,
      'Housing officer',
      'Frontline services',
    ]) {
      expect(page, secret).not.to.include(secret);
      expect(JSON.stringify(json.body), secret).not.to.include(secret);
    }
  });

  it('reissues after a change of name with a new code, and the old code shows the new certificate', async () => {
    const cert = (await certificatesOf(learnerStaffId)).find((c) => c.achievement === 'Responding to domestic abuse')!;
    await pool().query(`update staff set name = 'Sam Taylor-Reid' where id = $1`, [learnerStaffId]);
    await lead.get(`/certificates/${cert.id}`);
    const res = await lead.postForm(`/certificates/${cert.id}/reissue`, { reason: 'Name changed on marriage' });
    expect(res.status).to.equal(302);
    const newId = res.headers.get('location')!.split('/').pop()!;
    const { rows } = await pool().query<Row>('select * from certificates where id = $1', [newId]);
    expect(rows[0].code).not.to.equal(cert.code);
    expect(rows[0]).to.include({ person_name: 'Sam Taylor-Reid', issued_on: cert.issued_on, expires_on: cert.expires_on });

    const visitor = new TestAgent(server.url);
    const old = await visitor.getJson(`/api/v1/certificates/verify/${cert.code}`);
    expect(old.body.outcome).to.equal('valid');
    expect(old.body.certificate.name).to.equal('Sam Taylor-Reid');
    expect((await visitor.getJson(`/api/v1/certificates/verify/${rows[0].code}`)).body.certificate.name).to.equal('Sam Taylor-Reid');
    // The learner's page lists the reissued certificate once, with its new code.
    const learnerPage = (await learner.get('/my-certificates')).text;
    expect(learnerPage).to.include(formatCode(rows[0].code));
    expect(learnerPage).not.to.include(formatCode(cert.code));
  });

  it('keeps a lead to their own organisation: another organisation’s certificate is not found, and cannot be revoked', async () => {
    const { rows } = await pool().query<{ id: string }>(
      `select c.id from certificates c join organisations o on o.id = c.organisation_id where o.slug = 'vale-police' limit 1`,
    );
    expect((await lead.get(`/certificates/${rows[0].id}`)).status).to.equal(404);
    expect((await lead.request('GET', `/certificates/${rows[0].id}.pdf`)).status).to.equal(404);
    const res = await lead.postForm(`/certificates/${rows[0].id}/revoke`, { reason: 'Not mine to revoke' });
    expect(res.status).to.equal(404);
    const after = await pool().query<{ status: string }>('select status from certificates where id = $1', [rows[0].id]);
    expect(after.rows[0].status).to.equal('valid');
    expect((await lead.get('/certificates')).text).not.to.include('Vale Constabulary');
    // A learner cannot reach the leads' pages at all.
    expect((await learner.get('/certificates')).status).to.equal(403);
    const police = await addUser(server, 'org-lead', { organisationSlug: 'vale-police' });
    const policeLead = new TestAgent(server.url);
    await policeLead.signIn(police.email);
    expect((await policeLead.get(`/certificates/${rows[0].id}`)).status).to.equal(200);
    // The partnership administrator sees every organisation's certificates.
    const admin = await signedIn('admin@vale-partnership.example');
    const all = (await admin.get('/certificates')).text;
    expect(all).to.include('Vale Constabulary');
    expect(all).to.include('Vale County Council');
  });

  it('lets a lead download every certificate of a team as one zip', async () => {
    const { rows } = await pool().query<{ id: string }>(`select id from organisations where slug = 'vale-county-council'`);
    const list = await lead.get('/certificates');
    expect(list.text).to.include('Frontline services');
    const res = await lead.request('GET', `/certificates/download.zip?team=${encodeURIComponent(`${rows[0].id}:Frontline services`)}`);
    expect(res.status).to.equal(200);
    const zip = Buffer.from(await res.arrayBuffer());
    const names = await new Promise<string[]>((resolve, reject) => {
      yauzl.fromBuffer(zip, { lazyEntries: true }, (err, file) => {
        if (err || !file) return reject(err);
        const found: string[] = [];
        file.on('entry', (entry: yauzl.Entry) => {
          found.push(entry.fileName);
          file.readEntry();
        });
        file.on('end', () => resolve(found));
        file.readEntry();
      });
    });
    // Everyone's in the team except revoked ones: Sam's framework and reissued course certificates, the colleague's expired one ...
    const { rows: expected } = await pool().query<{ n: number }>(
      `select count(*) as n from certificates c join staff s on s.id = c.staff_id
        where c.organisation_id = $1 and s.team = 'Frontline services' and c.replaced_by is null and c.status = 'valid'`,
      [rows[0].id],
    );
    expect(names).to.have.length(expected[0].n);
    expect(names.filter((n) => n.startsWith('sam-taylor-reid-responding-to-domestic-abuse-'))).to.have.length(1);
    expect(
      names.some((n) => n.startsWith('sam-taylor-group-2-responder-level-')),
      names.join(),
    ).to.equal(true);
    expect(names.every((n) => n.endsWith('.pdf'))).to.equal(true);
  });

  it('issues missing certificates in a sweep that is safe to run again', async () => {
    const { rows } = await pool().query<{ id: string }>(
      `select s.id from staff s join organisations o on o.id = s.organisation_id
        where o.slug = 'vale-homes' and s.group_number = 1 and not exists (select 1 from evidence e where e.staff_id = s.id) limit 1`,
    );
    // Evidence recorded without the event (an import, or before this module was installed).
    await pool().query(
      `insert into evidence (staff_id, competency_id, achieved_on, source, source_ref, course_id)
       select $1, c.id, $3::date, 'face-to-face', 'register-1', $2 from course_competencies cc
         join competencies c on c.lineage = cc.competency_lineage join frameworks f on f.id = c.framework_id and f.status = 'published'
        where cc.course_id = $2`,
      [rows[0].id, group1CourseId, today],
    );
    const first = await issueMissingCertificates(pool(), today);
    expect(first.course).to.be.at.least(1);
    expect(first.framework).to.be.at.least(1);
    expect((await certificatesOf(rows[0].id)).map((c) => c.achievement).sort()).to.deep.equal(['Domestic abuse awareness', 'Group 1 Awareness level']);
    expect(await issueMissingCertificates(pool(), today)).to.deep.equal({ course: 0, framework: 0 });
  });

  it('lets people keep their certificates when they move to another organisation in the partnership', async () => {
    const { rows } = await pool().query<{ user_id: string }>('select user_id from staff where id = $1', [learnerStaffId]);
    await pool().query('update staff set leaving_date = $2 where id = $1', [learnerStaffId, addMonths(today, -1)]);
    await pool().query(
      `insert into staff (organisation_id, user_id, name, email, job_title, group_number, group_source)
       select id, $1, 'Sam Taylor-Reid', 'sam.taylor@valepolice.example', 'Police officer', 2, 'import' from organisations where slug = 'vale-police'`,
      [rows[0].user_id],
    );
    const page = (await learner.get('/my-certificates')).text;
    expect(page).to.include('Group 2 Responder level');
    expect(page).to.include('Responding to domestic abuse');
  });

  it('limits how many codes one address can check', async () => {
    const visitor = new TestAgent(server.url);
    let last = 0;
    for (let i = 0; i <= VERIFY_LIMIT; i++) last = (await visitor.request('GET', `/api/v1/certificates/verify/${generateCode()}`)).status;
    expect(last).to.equal(429);
    expect((await visitor.get('/verify?code=ABCD')).status).to.equal(429);
    // The empty form still opens.
    expect((await visitor.get('/verify')).status).to.equal(200);
  });
});
