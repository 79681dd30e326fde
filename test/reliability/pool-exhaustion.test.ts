import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import pg from 'pg';
import { createUser } from '../../server/auth/users';
import { ConfigError, loadConfig } from '../../server/config';
import { createLogger } from '../../server/logger';
import { type RunningProduct, startProduct } from '../../server/runtime';
import { createTestDatabase, TEST_DB, type TestDatabase, testConfig } from '../support/database';
import { TestAgent } from '../support/server';

const PASSWORD = 'correct horse battery staple';
const EMAIL = 'busy.admin@vale-partnership.example';
const STATEMENT_TIMEOUT_SECONDS = 2;
const POOL_WAIT_SECONDS = 1;

/**
 * Something holds a lock every page needs (a long maintenance statement, a
 * stuck transaction) while 200 people ask for pages at once: far more than
 * the pool has connections. Every one of them gets an answer, the page or a
 * 503, within the configured limits (DATABASE_STATEMENT_TIMEOUT_SECONDS for
 * a statement, DATABASE_POOL_WAIT_SECONDS for a connection), never a hang;
 * and pages work again as soon as the lock goes.
 */
describe(`200 slow requests at once (${TEST_DB})`, function () {
  this.timeout(120_000);
  let testDb: TestDatabase;
  let product: RunningProduct;
  let holder: pg.Client;

  before(async () => {
    testDb = await createTestDatabase();
    // The product opens its own pool with the limits, as it does from the environment.
    const config = testConfig({
      databaseUrl: testDb.databaseUrl ?? testDb.database.url,
      statementTimeoutSeconds: STATEMENT_TIMEOUT_SECONDS,
      databasePoolWaitSeconds: POOL_WAIT_SECONDS,
    });
    product = await startProduct(config, { logger: createLogger({ env: 'test', logLevel: 'silent' }), role: 'test' });
    // As under NODE_ENV=production: templates compiled once, not read and compiled again for
    // each of the 200 answers, which on a test machine takes longer than the limits themselves.
    product.app.enable('view cache');
    await createUser(product.database.pool, {
      email: EMAIL,
      name: 'Busy Admin',
      password: PASSWORD,
      roles: [{ role: 'partnership-admin', organisationId: null }],
    });
  });
  after(async () => {
    await holder?.end().catch(() => {});
    await product?.stop();
    await testDb?.drop();
  });

  it('reads both limits from the environment, with defaults, and refuses a bad value naming it', () => {
    // A folder of its own: the embedded default makes DATA_DIR private, and refuses a shared one such as the temporary folder.
    const base = { DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'lms-pool-config-')) };
    const defaults = loadConfig(base);
    expect(defaults.statementTimeoutSeconds).to.equal(60);
    expect(defaults.databasePoolWaitSeconds).to.equal(5);
    const set = loadConfig({ ...base, DATABASE_STATEMENT_TIMEOUT_SECONDS: '15', DATABASE_POOL_WAIT_SECONDS: '2' });
    expect([set.statementTimeoutSeconds, set.databasePoolWaitSeconds]).to.deep.equal([15, 2]);
    expect(() => loadConfig({ ...base, DATABASE_STATEMENT_TIMEOUT_SECONDS: '0' })).to.throw(ConfigError, /DATABASE_STATEMENT_TIMEOUT_SECONDS/);
    expect(() => loadConfig({ ...base, DATABASE_POOL_WAIT_SECONDS: 'soon' })).to.throw(ConfigError, /DATABASE_POOL_WAIT_SECONDS/);
    fs.rmSync(base.DATA_DIR, { recursive: true, force: true });
  });

  it('answers every one with the page or a 503 within the limits, and serves pages again when the lock goes', async () => {
    const agent = new TestAgent(product.url);
    await agent.signIn(EMAIL, PASSWORD);
    expect((await agent.get('/my-learning')).status).to.equal(200);

    holder = new pg.Client({ connectionString: product.database.url });
    await holder.connect();
    await holder.query('begin');
    // Every signed-in page reads its session first.
    await holder.query('lock table sessions in access exclusive mode');
    const started = Date.now();
    const answers = await Promise.all(
      Array.from({ length: 200 }, async () => {
        const res = await agent.get('/my-learning');
        return { status: res.status, ms: Date.now() - started, text: res.text };
      }),
    );
    const slowest = Math.max(...answers.map((a) => a.ms));
    const statuses = [...new Set(answers.map((a) => a.status))].sort();
    expect(
      statuses.every((s) => s === 200 || s === 503),
      `statuses ${statuses.join(', ')}`,
    ).to.equal(true);
    expect(answers.filter((a) => a.status === 503).length, 'the lock is still held, so most cannot be served').to.be.greaterThan(150);
    expect(answers.find((a) => a.status === 503)?.text).to.contain('Sorry, the service is unavailable');
    // A statement, then the driver's own limit (five seconds later), then the wait for a
    // connection; with room for a busy machine. Without the limits they would wait for the lock.
    expect(slowest, 'the slowest answer').to.be.below((STATEMENT_TIMEOUT_SECONDS + 5 + POOL_WAIT_SECONDS + 10) * 1000);

    await holder.query('rollback');
    await holder.end();
    expect((await agent.get('/my-learning')).status).to.equal(200);
  });
});
