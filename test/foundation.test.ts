import fs from 'node:fs';
import os from 'node:os';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { expect } from 'chai';
import { createApp } from '../server/app';
import { openDatabase } from '../server/db';
import { createEventBus } from '../server/events';
import { createLogger } from '../server/logger';
import { createMailer } from '../server/mail';
import { createMetrics } from '../server/metrics';
import { loadModules } from '../server/module';
import { createApiToken, findUserByEmail } from '../server/auth/users';
import { ConfigError, loadConfig } from '../server/config';
import { TEST_DB, testConfig } from './support/database';
import { runNode } from './support/process';
import { startTestServer, type TestServer, TestAgent } from './support/server';

describe(`foundation (${TEST_DB})`, () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ demo: true });
  });
  after(async () => server?.close());

  it('answers /health with the database status', async () => {
    const res = await fetch(`${server.url}/health`);
    expect(res.status).to.equal(200);
    expect(await res.json()).to.deep.equal({ status: 'ok', db: 'ok' });
  });

  it('shows a GOV.UK-styled 404 page for an unknown page and JSON for an unknown API path', async () => {
    const page = await fetch(`${server.url}/no-such-page`, { headers: { accept: 'text/html' } });
    expect(page.status).to.equal(404);
    const html = await page.text();
    expect(html).to.contain('govuk-heading-l');
    expect(html).to.contain('Page not found');
    const api = await fetch(`${server.url}/api/v1/no-such-thing`);
    expect(api.status).to.equal(404);
    expect(await api.json()).to.have.nested.property('error.status', 404);
  });

  it('refuses API calls without a token or session, and accepts a bearer token', async () => {
    const anon = await fetch(`${server.url}/api/v1/organisations`);
    expect(anon.status).to.equal(401);
    const user = await findUserByEmail(server.product.database.pool, 'admin@vale-partnership.example');
    const token = await createApiToken(server.product.database.pool, user!.id);
    const res = await fetch(`${server.url}/api/v1/organisations`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).to.equal(200);
    const body = (await res.json()) as { organisations: { slug: string; sector: string; inArea: boolean; name: string }[] };
    expect(body.organisations.map((o) => o.sector)).to.include.members(['local-authority', 'health', 'police', 'probation', 'housing', 'voluntary']);
    expect(body.organisations.find((o) => o.slug === 'northshire-council')?.inArea).to.equal(false);
    const bad = await fetch(`${server.url}/api/v1/organisations`, { headers: { authorization: 'Bearer not-a-real-token' } });
    expect(bad.status).to.equal(401);
  });

  it('signs a demo user in with the printed password and refuses a wrong one', async () => {
    const agent = new TestAgent(server.url);
    await agent.get('/sign-in');
    const wrong = await agent.postForm('/sign-in', { email: 'lead@valecounty.example', password: 'wrong password here' });
    expect(wrong.status).to.equal(401);
    expect(await wrong.text()).to.contain('Enter a correct email address and password');
    await agent.signIn('lead@valecounty.example', 'demo-learning-2026');
    const home = await agent.get('/');
    expect(home.text).to.contain('Signed in as Tom Bradley');
  });

  it('refuses a form post without the CSRF token', async () => {
    const agent = new TestAgent(server.url);
    await agent.get('/sign-in');
    const res = await agent.request('POST', '/sign-in', {
      body: new URLSearchParams({ email: 'lead@valecounty.example', password: 'demo-learning-2026' }),
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
    });
    expect(res.status).to.equal(403);
  });

  it('answers malformed JSON with a JSON 400, not a stack trace', async () => {
    const res = await fetch(`${server.url}/api/v1/organisations`, { method: 'POST', body: '{"broken', headers: { 'content-type': 'application/json' } });
    expect(res.status).to.equal(400);
    const body = await res.text();
    expect(body).to.not.match(/at .*\.ts:\d+/);
    expect(JSON.parse(body)).to.have.nested.property('error.status', 400);
  });
});

describe('configuration', () => {
  it('fails fast with a message naming the bad variable', () => {
    expect(() => loadConfig({ PORT: 'eighty', DATA_DIR: os.tmpdir() })).to.throw(ConfigError, /PORT/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x', SESSION_SECRET: 'x'.repeat(40) })).to.throw(ConfigError, /DATABASE_URL/);
    expect(() => loadConfig({ DATABASE_URL: 'postgres://x/y' })).to.throw(ConfigError, /SESSION_SECRET/);
    expect(() => loadConfig({ PUBLIC_URL: 'not a url', DATA_DIR: os.tmpdir() })).to.throw(ConfigError, /PUBLIC_URL/);
    // A folder everyone writes in is never taken over (made 0700) as the data directory.
    expect(() => loadConfig({ DATA_DIR: os.tmpdir() })).to.throw(ConfigError, /DATA_DIR: .* is a folder others share/);
  });

  it('turns /metrics on only with a token long enough to guess at no better than chance', () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lms-config-'));
    expect(loadConfig({ DATA_DIR: dataDir, METRICS_TOKEN: 'x'.repeat(40) }).metricsToken, 'a token alone does not turn metrics on').to.equal(undefined);
    expect(() => loadConfig({ DATA_DIR: dataDir, METRICS: 'true' })).to.throw(ConfigError, /METRICS_TOKEN: required when METRICS=true/);
    expect(() => loadConfig({ DATA_DIR: dataDir, METRICS: 'true', METRICS_TOKEN: 'short' })).to.throw(
      ConfigError,
      /METRICS_TOKEN: must be at least 32 characters/,
    );
    expect(loadConfig({ DATA_DIR: dataDir, METRICS: 'true', METRICS_TOKEN: 'x'.repeat(40) }).metricsToken).to.equal('x'.repeat(40));
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('takes a read replica only beside a primary, and only as a PostgreSQL address', () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lms-config-'));
    const primary = { DATA_DIR: dataDir, DATABASE_URL: 'postgres://db/lms', SESSION_SECRET: 's'.repeat(40) };
    expect(loadConfig(primary).databaseReplicaUrl, 'no replica: every read goes to the primary').to.equal(undefined);
    expect(loadConfig({ ...primary, DATABASE_REPLICA_URL: 'postgres://replica/lms' }).databaseReplicaUrl).to.equal('postgres://replica/lms');
    expect(() => loadConfig({ ...primary, DATABASE_REPLICA_URL: 'mysql://replica/lms' })).to.throw(
      ConfigError,
      /DATABASE_REPLICA_URL: must start with postgres/,
    );
    expect(() => loadConfig({ DATA_DIR: dataDir, DATABASE_REPLICA_URL: 'postgres://replica/lms' })).to.throw(
      ConfigError,
      /DATABASE_REPLICA_URL: needs DATABASE_URL/,
    );
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('takes e-learning content from an origin of its own: CONTENT_URL is checked, and needed in production on a public address', () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lms-config-'));
    const base = { DATA_DIR: dataDir, PUBLIC_URL: 'https://training.example.org.uk' };
    expect(loadConfig({ ...base, CONTENT_URL: 'https://elearning-content.example.net/' }).contentUrl).to.equal('https://elearning-content.example.net');
    // Cookies are shared between ports of one host, so another port is not another origin enough.
    expect(() => loadConfig({ ...base, CONTENT_URL: 'https://training.example.org.uk:8443' })).to.throw(
      ConfigError,
      /CONTENT_URL: must have a host name other than/,
    );
    expect(() => loadConfig({ ...base, CONTENT_URL: 'http://elearning-content.example.net' })).to.throw(ConfigError, /CONTENT_URL: must be https/);
    expect(() => loadConfig({ ...base, CONTENT_URL: 'https://elearning-content.example.net/packages' })).to.throw(
      ConfigError,
      /CONTENT_URL: must be only a scheme/,
    );
    expect(() => loadConfig({ ...base, CONTENT_URL: 'not a url' })).to.throw(ConfigError, /CONTENT_URL/);
    expect(() => loadConfig({ ...base, NODE_ENV: 'production' })).to.throw(ConfigError, /CONTENT_URL: required/);
    // The embedded default needs nothing: content.localhost on the same server.
    expect(loadConfig({ DATA_DIR: dataDir, NODE_ENV: 'production' }).contentUrl).to.equal(undefined);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('npm start exits at once with a readable message on a bad variable', async () => {
    const { code, output } = await runNode(['server/main.ts'], { PORT: 'eighty' });
    expect(code).to.not.equal(0);
    expect(output).to.contain('PORT');
    expect(output).to.not.match(/at .*\(.*:\d+:\d+\)/);
  });
});

describe('when the database is down', () => {
  it('answers /health with 503 and pages with a plain "service unavailable" page', async () => {
    const config = testConfig({ databaseUrl: 'postgres://postgres@127.0.0.1:1/nothing' });
    const logger = createLogger(config);
    const database = await openDatabase(config, logger, { role: 'test' });
    const modules = loadModules();
    const mailer = createMailer(config, database.pool, logger);
    const events = createEventBus(logger);
    const metrics = createMetrics({ processDefaults: false });
    const app = createApp({
      config,
      database,
      logger,
      modules,
      contextFor: (m) => ({ config, database, logger, mailer, events, metrics, view: (n) => path.join(m.viewsDir, `${n}.hbs`) }),
      metrics,
      ready: async () => ({ database: await database.ping(), migrations: false }),
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const { port } = server.address() as AddressInfo;
    try {
      const health = await fetch(`http://127.0.0.1:${port}/health`);
      expect(health.status).to.equal(503);
      expect(await health.json()).to.deep.equal({ status: 'unavailable', db: 'unavailable' });
      const page = await fetch(`http://127.0.0.1:${port}/`, { headers: { accept: 'text/html' } });
      expect(page.status).to.equal(503);
      const html = await page.text();
      expect(html).to.contain('Sorry, the service is unavailable');
      expect(html).to.not.contain('ECONNREFUSED');
    } finally {
      server.close();
      await database.close();
    }
  });
});
