import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { SMTPServer } from 'smtp-server';
import { runScan } from '../modules/reminders/scan';
import { importPackage } from '../modules/scorm/service';
import { createUser } from '../server/auth/users';
import { createJobs } from '../server/jobs';
import { createLogger } from '../server/logger';
import { createMailer } from '../server/mail';
import { type Prepared, prepare } from '../server/runtime';
import { createTestDatabase, TEST_DB, type TestDatabase, testConfig } from './support/database';
import { type ServerProcess, startServerProcess } from './support/process';
import { TEST_PASSWORD, TestAgent } from './support/server';

const FIXTURE = path.resolve(__dirname, '../../shared/scorm-fixtures/singlescobasic.zip');
const SECRET = 'scale-out-secret-scale-out-secret-0123456789';

/**
 * docs/scaling.md: several stateless instances behind a load balancer, with
 * sessions, jobs and the outbox in PostgreSQL and SCORM content on shared
 * storage. Two real server processes on one database show it: a learner
 * signed in on one is served by the other, a commit made through one is what
 * the other plays back, and reminders scanned for by both instances' job
 * workers and by two operators at once (scans in this process) reach each
 * person once.
 */
describe('scale-out: two app instances on one PostgreSQL database', function () {
  this.timeout(90_000);
  let db: TestDatabase;
  let a: ServerProcess;
  let b: ServerProcess;
  let smtp: SMTPServer;
  let smtpUrl: string;
  const received: string[] = [];
  const scormDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lms-scale-out-'));
  const learner = 'sam.learner@valecounty.example';
  const colleague = 'jo.colleague@valecounty.example';
  let courseSlug: string;

  before(async function () {
    // PGlite is one process's database; several instances need a database server.
    if (TEST_DB !== 'postgres') this.skip();
    smtp = new SMTPServer({
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData(stream, session, cb) {
        stream.resume();
        stream.on('end', () => {
          received.push(...session.envelope.rcptTo.map((r) => r.address));
          cb();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    smtpUrl = `smtp://127.0.0.1:${(smtp.server.address() as { port: number }).port}`;

    db = await createTestDatabase();
    const config = testConfig({ databaseUrl: db.databaseUrl, scormDir });
    await prepare(config, { database: db.database, role: 'test' });
    const pool = db.database.pool;
    await pool.query(`insert into partnership (id, name, area_name) values (1, 'Vale Domestic Abuse Partnership', 'Vale County')`);
    const org = (
      await pool.query<{ id: string }>(
        `insert into organisations (slug, name, sector) values ('vale-county-council', 'Vale County Council', 'local-authority') returning id`,
      )
    ).rows[0].id;
    const userId = await createUser(pool, { email: learner, name: 'Sam Learner', password: TEST_PASSWORD, roles: [{ role: 'learner', organisationId: null }] });
    // Two people whose Group 1 training was never done: each is owed one overdue reminder.
    await pool.query(
      `insert into staff (organisation_id, user_id, name, email, job_title, start_date, group_number, group_source)
       values ($1, $2, 'Sam Learner', $3, 'Receptionist', current_date - 700, 1, 'import'),
              ($1, null, 'Jo Colleague', $4, 'Receptionist', current_date - 700, 1, 'import')`,
      [org, userId, learner, colleague],
    );
    const imported = await importPackage({ config, database: db.database }, FIXTURE);
    courseSlug = imported.courseSlug;
    await pool.query(`update reminder_defaults set policy = '{"scanTime": "00:00"}'`);
    await pool.query(`update courses set status = 'published', group_numbers = '{1}' where id = $1`, [imported.courseId]);

    const env = {
      DATABASE_URL: db.databaseUrl!,
      SESSION_SECRET: SECRET,
      SCORM_DIR: scormDir,
      JOBS: 'true',
      JOBS_POLL_SECONDS: '1',
      SMTP_URL: smtpUrl,
      DEMO_DATA: 'false',
    };
    [a, b] = await Promise.all([startServerProcess(env), startServerProcess(env)]);
  });

  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await db?.drop();
    if (smtp) await new Promise<void>((resolve) => smtp.close(() => resolve()));
    fs.rmSync(scormDir, { recursive: true, force: true });
  });

  it('serves a learner signed in on one instance from the other, and plays back on one what was committed on the other', async () => {
    const agent = new TestAgent(a.url);
    await agent.signIn(learner);
    // The same browser, its next request landing on the other instance.
    const onB = await agent.get(`${b.url}/my-learning`);
    expect(onB.status).to.equal(200);
    expect(onB.text).to.include('Sam Learner');

    const player = async (base: string) => {
      const page = await agent.get(`${base}/courses/${courseSlug}/play`);
      expect(page.status).to.equal(200);
      const attr = /data-player="([^"]+)"/.exec(page.text)?.[1] ?? '';
      const html = attr
        .replace(/&quot;/g, '"')
        .replace(/&#x([0-9a-f]+);/gi, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16)))
        .replace(/&amp;/g, '&');
      return JSON.parse(html) as {
        attemptId: string;
        commitUrl: string;
        csrfToken: string;
        commitToken: string;
        scos: { identifier: string; cmi: Record<string, string> }[];
      };
    };
    const onA = await player(a.url);
    const commit = await agent.postJson(onA.commitUrl, {
      sco: onA.scos[0].identifier,
      sequence: 1,
      cmi: { 'cmi.core.lesson_status': 'incomplete', 'cmi.core.lesson_location': 'page-7', 'cmi.suspend_data': 'q1=a' },
    });
    expect(commit.status).to.equal(200);
    expect(await commit.json()).to.include({ stored: true });

    const resumed = await player(b.url);
    expect(resumed.attemptId).to.equal(onA.attemptId);
    expect(resumed.scos[0].cmi['cmi.core.lesson_location']).to.equal('page-7');
    expect(resumed.scos[0].cmi['cmi.suspend_data']).to.equal('q1=a');

    // The commit token instance A gave the player is good on instance B too: they share SESSION_SECRET.
    const withToken = await fetch(`${b.url}${onA.commitUrl}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'x-commit-token': onA.commitToken },
      body: JSON.stringify({ sco: onA.scos[0].identifier, sequence: 2, cmi: { 'cmi.core.lesson_location': 'page-8' } }),
    });
    expect(await withToken.json()).to.include({ stored: true });
    expect((await player(a.url)).scos[0].cmi['cmi.core.lesson_location']).to.equal('page-8');
  });

  it('sends each reminder once when both instances run their job workers and two operators scan at the same time', async () => {
    const pool = db.database.pool;
    // The instances' own workers scan as they start (the scan time is set to midnight below, so it is always due).
    for (let i = 0; i < 60 && received.length < 2; i++) await new Promise((r) => setTimeout(r, 250));
    expect(received, 'the instances scanned and sent').to.have.length(2);
    expect((await pool.query('select 1 from reminder_scan_runs')).rowCount, 'the scan recorded by an instance').to.equal(1);
    // Two operators force the scan at the same moment while both instances keep polling.
    const mailer = createMailer({ smtpUrl, mailFrom: 'Training <training@test.example>' }, pool, createLogger({ env: 'test', logLevel: 'silent' }));
    const deps = { pool, mailer, config: { publicUrl: 'http://127.0.0.1', sessionSecret: SECRET } };
    await Promise.all([runScan(deps, { force: true }), runScan(deps, { force: true })]);
    await new Promise((r) => setTimeout(r, 1500));
    expect(received.filter((to) => to === learner)).to.have.length(1);
    expect(received.filter((to) => to === colleague)).to.have.length(1);
    const { rows } = await pool.query<{ n: number }>(`select count(*)::int as n from outbound_messages where category = 'reminder'`);
    expect(rows[0].n).to.equal(2);
  });
});

/**
 * A deploy starts every instance at once, often onto a database that has
 * never seen this release. Each applies the migrations it lacks and prepares
 * the job queue's tables; without locks around both, instances fail at start
 * (a table already exists, or PostgreSQL refuses Agenda's CREATE OR REPLACE
 * FUNCTION run twice at the same moment).
 */
describe('scale-out: several instances starting at the same moment on a new database', function () {
  this.timeout(60_000);
  let db: TestDatabase;
  const instances: Prepared[] = [];

  before(async function () {
    if (TEST_DB !== 'postgres') this.skip();
    db = await createTestDatabase();
  });

  after(async () => {
    await Promise.all(instances.map((i) => i.database.close()));
    await db?.drop();
  });

  it('starts every instance with each migration applied once, and a job queued by one runs once', async () => {
    const config = testConfig({ databaseUrl: db.databaseUrl });
    instances.push(...(await Promise.all([1, 2, 3, 4].map(() => prepare(config, { role: 'test' })))));
    const recorded = await db.database.pool.query<{ n: string; distinct: string }>(
      'select count(*) as n, count(distinct (module, name)) as distinct from schema_migrations',
    );
    expect(Number(recorded.rows[0].n)).to.be.greaterThan(30);
    expect(recorded.rows[0].n).to.equal(recorded.rows[0].distinct);

    const ran: number[] = [];
    const queues = await Promise.all(
      instances.map(async (instance, n) => {
        const jobs = await createJobs(instance.database.pool, instance.logger, 1);
        jobs.define('say hello', async () => {
          ran.push(n);
        });
        await jobs.start();
        return jobs;
      }),
    );
    try {
      await queues[0].now('say hello', {});
      for (let waited = 0; ran.length === 0 && waited < 10_000; waited += 100) await new Promise((r) => setTimeout(r, 100));
      await new Promise((r) => setTimeout(r, 1500));
      expect(ran).to.have.length(1);
    } finally {
      await Promise.all(queues.map((q) => q.stop()));
    }
  });
});
