import { expect } from 'chai';
import { createJobs } from '../server/jobs';
import { createLogger } from '../server/logger';
import { startProduct } from '../server/runtime';
import { TEST_DB } from './support/database';
import { startTestServer, TestAgent, type TestServer } from './support/server';
import { waitFor } from './support/wait';

const TOKEN = 'metrics-token-for-tests-0123456789abcdef';
const DEMO_PASSWORD = 'demo-learning-2026';

/** GET /metrics as Prometheus would, with the token (null: no authorization header at all). */
function scrape(server: TestServer, token: string | null = TOKEN): Promise<Response> {
  return fetch(`${server.url}/metrics`, token === null ? {} : { headers: { authorization: `Bearer ${token}` } });
}

/** The value of one sample line (metric name with its labels, as Prometheus prints them), or 0 when absent. */
function sample(text: string, name: string, labels: Record<string, string>): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const inside = /\{(.*)\}/.exec(line)?.[1] ?? '';
    if (wanted.every((w) => inside.split(',').includes(w))) return Number(line.split(' ').pop());
  }
  return 0;
}

/**
 * What an operator's Prometheus sees, and what an outsider sees of it: the
 * metrics are off unless turned on, and then only for the token; the numbers
 * move with real use; and routes are named by their patterns, so no learner's
 * or attempt's id ever reaches the monitoring system.
 */
describe(`metrics and health endpoints (${TEST_DB})`, function () {
  this.timeout(180_000);
  let server: TestServer;

  before(async () => {
    server = await startTestServer({ demo: true, config: { metricsToken: TOKEN } });
  });
  after(async () => server?.close());

  it('answers liveness and readiness apart, and /health as before', async () => {
    const live = await fetch(`${server.url}/health/live`);
    expect(live.status).to.equal(200);
    expect(await live.json()).to.deep.equal({ status: 'ok' });
    const ready = await fetch(`${server.url}/health/ready`);
    expect(ready.status).to.equal(200);
    expect(await ready.json()).to.deep.equal({ status: 'ok', db: 'ok', migrations: 'ok' });
    expect(await (await fetch(`${server.url}/health`)).json()).to.deep.equal({ status: 'ok', db: 'ok' });
  });

  it('is not ready while a migration this code has is missing from the database', async () => {
    const pool = server.product.database.pool;
    const { rows } = await pool.query<{ module: string; name: string }>(
      "delete from schema_migrations where module = 'core' and name = '001_core.sql' returning module, name",
    );
    try {
      const ready = await fetch(`${server.url}/health/ready`);
      expect(ready.status).to.equal(503);
      expect(await ready.json()).to.deep.equal({ status: 'unavailable', db: 'ok', migrations: 'pending' });
    } finally {
      await pool.query('insert into schema_migrations (module, name) values ($1, $2)', [rows[0].module, rows[0].name]);
    }
  });

  it('refuses /metrics without the token, or with a wrong one', async () => {
    for (const token of [null, '', 'wrong', TOKEN.slice(0, -1), `${TOKEN}x`]) {
      const res = await scrape(server, token);
      expect(res.status, `token ${JSON.stringify(token)}`).to.equal(401);
      expect(await res.text()).to.not.contain('lms_');
    }
    const basic = await fetch(`${server.url}/metrics`, { headers: { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` } });
    expect(basic.status).to.equal(401);
  });

  it('counts a sign-in page view and a SCORM commit, labelling routes by pattern and never by id', async () => {
    const before = await (await scrape(server)).text();
    const learner = new TestAgent(server.url);
    await learner.signIn('learner@valecounty.example', DEMO_PASSWORD);
    const page = await learner.get('/courses/domestic-abuse-awareness/play');
    expect(page.status).to.equal(200);
    const attemptId = page.text.match(/\/scorm\/attempts\/([0-9a-f-]{36})\/commit/)![1];
    const sco = page.text.match(/&quot;identifier&quot;:&quot;([^&]+)&quot;/)![1];
    const committed = await learner.postJson(`/scorm/attempts/${attemptId}/commit`, {
      sco,
      sequence: 1,
      sessionId: 's1',
      cmi: { 'cmi.core.lesson_location': '2' },
    });
    expect(committed.status).to.equal(200);

    const res = await scrape(server);
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.match(/^text\/plain; version=0\.0\.4/);
    const after = await res.text();
    const signInViews = (text: string) => sample(text, 'lms_http_request_duration_seconds_count', { method: 'GET', route: '/sign-in', status_class: '2xx' });
    expect(signInViews(after)).to.be.greaterThan(signInViews(before));
    const stored = (text: string) => sample(text, 'lms_scorm_commits_total', { outcome: 'stored' });
    expect(stored(after)).to.equal(stored(before) + 1);
    expect(
      sample(after, 'lms_http_request_duration_seconds_count', { method: 'POST', route: '/scorm/attempts/:id/commit', status_class: '2xx' }),
    ).to.be.greaterThan(0);
    expect(after).to.match(/^lms_db_pool_connections \d+/m);
    expect(after).to.match(/^lms_db_pool_waiting_clients \d+/m);
    expect(after).to.match(/^process_resident_memory_bytes /m);
    // No id, slug or address ever becomes a label value.
    expect(after).to.not.contain(attemptId);
    expect(after).to.not.contain('domestic-abuse-awareness');
    expect(after).to.not.match(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/);
  });

  it('counts job runs and failures by job name, and the jobs waiting', async () => {
    // A silent logger: the failing job is meant to fail.
    const jobs = await createJobs(server.product.database.pool, createLogger({ env: 'test', logLevel: 'silent' }), 1);
    server.product.metrics.watchJobs(jobs, server.product.database.pool);
    jobs.define('metrics test: works', async () => {});
    jobs.define('metrics test: breaks', async () => {
      throw new Error('broken on purpose');
    });
    await jobs.start();
    try {
      await jobs.now('metrics test: works');
      await jobs.now('metrics test: breaks');
      const text = await waitFor(
        async () => {
          const t = await (await scrape(server)).text();
          return (
            sample(t, 'lms_job_runs_total', { job: 'metrics test: breaks' }) >= 1 && sample(t, 'lms_job_runs_total', { job: 'metrics test: works' }) >= 1 && t
          );
        },
        'both jobs to run',
        60_000,
      );
      expect(sample(text, 'lms_job_failures_total', { job: 'metrics test: breaks' })).to.equal(1);
      expect(sample(text, 'lms_job_failures_total', { job: 'metrics test: works' })).to.equal(0);
      expect(text).to.match(/^lms_jobs_waiting \d+/m);
    } finally {
      await jobs.stop();
    }
  });

  it('answers /metrics as any unknown page (404) when metrics are off, the default', async () => {
    // A second server on the same database, configured as a default installation is.
    const off = await startProduct(
      { ...server.product.config, metricsToken: undefined },
      { database: server.product.database, role: 'test', logger: server.product.logger },
    );
    try {
      expect((await fetch(`${off.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).to.equal(404);
      expect((await fetch(`${off.url}/metrics`)).status).to.equal(404);
    } finally {
      // Its HTTP server only: the database is the first server's, closed by its own close().
      await new Promise((resolve) => off.server.close(resolve));
    }
  });
});
