import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import pg from 'pg';
import type { Browser } from 'playwright-core';
import { importPackage } from '../../modules/scorm/service';
import { createUser } from '../../server/auth/users';
import { createLogger } from '../../server/logger';
import { prepare } from '../../server/runtime';
import { launchBrowser, setAndCommitScorm12, unsentScormCommits } from '../support/browser';
import { TEST_DB, testConfig } from '../support/database';
import { type ServerProcess, startServerProcess } from '../support/process';
import { TestAgent } from '../support/server';
import { type SmtpReceiver, startSmtpReceiver } from '../support/smtp';
import { type PrivatePostgres, privatePostgresUnavailable, startPrivatePostgres } from './private-postgres';

const PASSWORD = 'correct horse battery staple';
// A partnership administrator may play a draft course, so no demo partnership is needed.
const LEARNER = 'outage.learner@vale-partnership.example';
const FIXTURES = path.resolve(__dirname, '../../../shared/scorm-fixtures');
const SESSION_SECRET = 'outage-test-secret-outage-test-secret-0123456789';
// What the product's connections call themselves in pg_stat_activity (server/db, server/jobs).
const LISTENER = 'da-training job queue listener';

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * PostgreSQL goes away, in every way it does in real life, while the product
 * runs as an operator runs it: `npm start`'s entry point in a process of its
 * own, default settings (background jobs on), sending email. While the
 * database is away pages answer 503 with the GOV.UK "service unavailable"
 * page; when it is back the same process carries on by itself: requests, the
 * job queue (its notifications and its polling) and email; and a job that
 * fell due meanwhile runs once. The SCORM player keeps a learner's data in the
 * browser meanwhile and sends it afterwards.
 */
describe(`database outage, background jobs on (${TEST_DB})`, function () {
  this.timeout(300_000);
  const unavailable =
    TEST_DB === 'postgres'
      ? privatePostgresUnavailable()
      : 'runs on the PostgreSQL pass: the embedded database lives inside the server process, so it cannot stop while the server runs';
  if (unavailable) {
    it.skip(`is skipped: ${unavailable}`);
    return;
  }

  let cluster: PrivatePostgres;
  let smtp: SmtpReceiver;
  let server: ServerProcess;
  let pid: number;
  /** The test's own connections to the private cluster, to look and to cut. */
  let admin: pg.Pool;
  let scormDir: string;
  let courseSlug: string;

  before(async () => {
    cluster = await startPrivatePostgres();
    smtp = await startSmtpReceiver();
    scormDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lms-outage-scorm-'));
    // The learner and the course are added through the product's own code before it starts.
    const config = testConfig({ databaseUrl: cluster.url, scormDir });
    const prepared = await prepare(config, { logger: createLogger({ env: 'test', logLevel: 'silent' }), role: 'test' });
    try {
      await createUser(prepared.database.pool, {
        email: LEARNER,
        name: 'Outage Learner',
        password: PASSWORD,
        roles: [{ role: 'partnership-admin', organisationId: null }],
      });
      courseSlug = (await importPackage(prepared, path.join(FIXTURES, 'singlescobasic.zip'))).courseSlug;
    } finally {
      await prepared.database.close();
    }
    // Default settings, as `npm start` with a DATABASE_URL: jobs on, polling every 30 seconds,
    // log level info (so the test can read which jobs ran).
    server = await startServerProcess({ DATABASE_URL: cluster.url, SESSION_SECRET, SCORM_DIR: scormDir, SMTP_URL: smtp.url, LOG_LEVEL: 'info' });
    pid = server.child.pid!;
    admin = new pg.Pool({ connectionString: cluster.url, max: 2 });
    // The test's own connections are cut too; that is expected.
    admin.on('error', () => {});
    await waitFor('the job queue to listen', () => listenerPid());
  });
  after(async () => {
    await admin?.end().catch(() => {});
    // stop() also fails the test if the server logged a rejection nobody handled.
    if (server) {
      const { code } = await server.stop();
      expect(code, 'the server stops cleanly afterwards').to.equal(0);
    }
    cluster?.destroy();
    await smtp?.close();
    if (scormDir) fs.rmSync(scormDir, { recursive: true, force: true });
  });

  /** The same process, still running. */
  function stillRunning(): void {
    expect(server.child.exitCode, `the server exited:\n${server.output().slice(-3000)}`).to.equal(null);
    expect(server.child.pid).to.equal(pid);
  }
  async function listenerPid(): Promise<number | undefined> {
    const { rows } = await admin.query<{ pid: number }>('select pid from pg_stat_activity where application_name = $1', [LISTENER]);
    return rows[0]?.pid;
  }
  async function expectUnavailable(learner: TestAgent): Promise<void> {
    const health = await fetch(`${server.url}/health`);
    expect(health.status).to.equal(503);
    expect(await health.json()).to.deep.equal({ status: 'unavailable', db: 'unavailable' });
    // Not ready for traffic, but alive: an orchestrator waits rather than restarting it.
    const ready = await fetch(`${server.url}/health/ready`);
    expect(ready.status).to.equal(503);
    expect(await ready.json()).to.deep.equal({ status: 'unavailable', db: 'unavailable', migrations: 'unknown' });
    expect((await fetch(`${server.url}/health/live`)).status).to.equal(200);
    const page = await learner.get('/my-learning');
    expect(page.status).to.equal(503);
    expect(page.text).to.contain('<h1 class="govuk-heading-l">Sorry, the service is unavailable</h1>');
    expect(page.text).to.contain('Nothing you have already saved has been lost');
    expect(page.text).to.not.match(/ECONNREFUSED|at .*\(.*:\d+:\d+\)/);
    const api = await learner.getJson('/api/v1/framework');
    expect(api.status).to.equal(503);
    expect(api.body.error.status).to.equal(503);
  }
  async function expectServing(learner: TestAgent): Promise<void> {
    // No restart: the pool makes new connections and the same session carries on.
    await waitFor('/health to answer 200', async () => (await fetch(`${server.url}/health`)).status === 200);
    expect((await fetch(`${server.url}/health/ready`)).status).to.equal(200);
    expect((await learner.get('/my-learning')).status).to.equal(200);
    stillRunning();
  }
  /**
   * Another instance (or the CLI) queues an email and wakes the queue as Agenda does, with a
   * NOTIFY: the outbox job runs within seconds, long before the next poll, and the mail is sent.
   */
  async function notifiedJobSendsEmail(label: string): Promise<void> {
    await waitFor('the job queue to listen again', () => listenerPid());
    const subject = `After the outage: ${label}`;
    await admin.query(`insert into outbound_messages (to_address, subject, text_body, status) values ('someone@valecounty.example', $1, 'x', 'queued')`, [
      subject,
    ]);
    const { rows } = await admin.query<{ id: string }>(
      `update agenda_jobs set next_run_at = now(), locked_at = null where name = 'outbox: deliver' returning id`,
    );
    await admin.query('select pg_notify($1, $2)', [
      'agenda:jobs',
      JSON.stringify({
        jobId: rows[0].id,
        jobName: 'outbox: deliver',
        nextRunAt: new Date().toISOString(),
        priority: 0,
        timestamp: new Date().toISOString(),
        source: 'outage test',
      }),
    ]);
    await waitFor(`the email "${subject}"`, async () => smtp.received.some((m) => m.subject === subject), 15_000);
    await sleep(500);
    expect(smtp.received.filter((m) => m.subject === subject)).to.have.length(1);
  }

  for (const mode of ['fast', 'immediate'] as const) {
    it(`answers 503 while PostgreSQL is stopped (${mode}) and carries on by itself, jobs and email too, when it starts`, async () => {
      const learner = new TestAgent(server.url);
      await learner.signIn(LEARNER, PASSWORD);
      expect((await learner.get('/my-learning')).status).to.equal(200);
      cluster.stop(mode);
      try {
        await expectUnavailable(learner);
        stillRunning();
      } finally {
        cluster.start();
      }
      await expectServing(learner);
      await notifiedJobSendsEmail(`${mode} stop`);
    });
  }

  it('stays down longer than the pool waits for a connection, answering each request within that wait, and recovers', async () => {
    const learner = new TestAgent(server.url);
    await learner.signIn(LEARNER, PASSWORD);
    cluster.stop('fast');
    try {
      // DATABASE_POOL_WAIT_SECONDS defaults to 5: stay away past it, asking all the while.
      const until = Date.now() + 6500;
      while (Date.now() < until) {
        const started = Date.now();
        expect((await learner.get('/my-learning')).status).to.equal(503);
        expect(Date.now() - started, 'a request during the outage is answered within the pool wait').to.be.below(5500);
        await sleep(500);
      }
      stillRunning();
    } finally {
      cluster.start();
    }
    await expectServing(learner);
  });

  it('listens again after its listening connection is cut, and after every connection is terminated (a failover)', async () => {
    const learner = new TestAgent(server.url);
    await learner.signIn(LEARNER, PASSWORD);
    const first = await listenerPid();
    await admin.query('select pg_terminate_backend($1)', [first]);
    await waitFor('a new listening connection', async () => {
      const now = await listenerPid();
      return now !== undefined && now !== first;
    });
    await notifiedJobSendsEmail('listener cut');
    stillRunning();

    await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where application_name like 'da-training%'`);
    await expectServing(learner);
    await notifiedJobSendsEmail('every connection terminated');
  });

  it('runs a reminder scan that fell due during the outage once, afterwards', async () => {
    const scans = () =>
      server
        .output()
        .split('\n')
        .filter((l) => l.includes('"msg":"reminder scan"')).length;
    // The scan falls due two seconds from now; the notification makes the queue take it
    // at once and wait for its time, which comes while the database is away.
    const { rows } = await admin.query<{ id: string }>(
      `update agenda_jobs set next_run_at = now() + interval '2 seconds', locked_at = null where name = 'reminders: scan' returning id`,
    );
    await admin.query('select pg_notify($1, $2)', [
      'agenda:jobs',
      JSON.stringify({
        jobId: rows[0].id,
        jobName: 'reminders: scan',
        nextRunAt: new Date(Date.now() + 2000).toISOString(),
        priority: 0,
        timestamp: new Date().toISOString(),
      }),
    ]);
    await sleep(300);
    const before = scans();
    const outageStarted = new Date();
    cluster.stop('fast');
    try {
      await sleep(3500);
      stillRunning();
      expect(scans(), 'no scan could run while the database was away').to.equal(before);
    } finally {
      cluster.start();
    }
    // The queue's next poll (JOBS_POLL_SECONDS, 30 by default) finds it due and runs it,
    // after the queue's connections have come back: on a busy machine, well after 30 s.
    await waitFor('the reminder scan to run', async () => scans() > before, 120_000);
    await sleep(1000);
    expect(scans(), 'the scan ran once').to.equal(before + 1);
    const job = (
      await admin.query<{ locked_at: Date | null; last_finished_at: Date; next_run_at: Date }>(
        `select locked_at, last_finished_at, next_run_at from agenda_jobs where name = 'reminders: scan'`,
      )
    ).rows[0];
    expect(job.locked_at, 'and let go of its lock').to.equal(null);
    expect(job.last_finished_at.getTime()).to.be.greaterThan(outageStarted.getTime());
    expect(job.next_run_at.getTime(), 'and is next due on its own schedule').to.be.greaterThan(Date.now() + 60_000);
  });

  describe('the SCORM player in a browser', () => {
    let browser: Browser;
    before(async () => {
      browser = await launchBrowser();
    });
    after(async () => {
      await browser?.close();
    });

    it('keeps the learner’s unsent data while the database is down and sends it once it is back', async () => {
      const page = await (await browser.newContext()).newPage();
      page.on('dialog', (d) => d.accept());
      await page.goto(`${server.url}/sign-in`);
      await page.fill('#email', LEARNER);
      await page.fill('#password', PASSWORD);
      await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/sign-in')), page.click('button[type=submit]:has-text("Sign in")')]);
      await page.goto(`${server.url}/courses/${courseSlug}/play`);
      await page.waitForFunction(() => (window as unknown as { API?: { isInitialized(): boolean } }).API?.isInitialized());
      const attemptId = await page.evaluate(() => JSON.parse(document.getElementById('scorm-player')!.getAttribute('data-player')!).attemptId as string);
      const stored = async () =>
        (await admin.query<{ data: string | null }>("select cmi->>'cmi.suspend_data' as data from scorm_sco_states where attempt_id = $1", [attemptId])).rows[0]
          ?.data;

      cluster.stop('immediate');
      try {
        const committed = await setAndCommitScorm12(page, { 'cmi.core.lesson_location': 'page-7', 'cmi.suspend_data': 'written while the database was down' });
        expect(committed, 'the commit fails while the database is down').to.equal('false');
        expect(await unsentScormCommits(page), 'the player keeps the unsent data in the browser').to.equal(1);
      } finally {
        cluster.start();
      }

      // The player tries again by itself; nothing is clicked or reloaded.
      await waitFor('the kept data to reach the database', async () => (await stored()) === 'written while the database was down');
      await page.waitForFunction(() => Object.keys(localStorage).filter((k) => k.startsWith('scorm-unsent:')).length === 0);
      stillRunning();
    });
  });
});
