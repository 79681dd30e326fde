import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import { importPackage } from '../../modules/scorm/service';
import { createUser } from '../../server/auth/users';
import { createLogger } from '../../server/logger';
import { type RunningProduct, startProduct } from '../../server/runtime';
import { launchBrowser, setAndCommitScorm12, unsentScormCommits } from '../support/browser';
import { TEST_DB, testConfig } from '../support/database';
import { TestAgent } from '../support/server';
import { type PrivatePostgres, privatePostgresUnavailable, startPrivatePostgres } from './private-postgres';

const PASSWORD = 'correct horse battery staple';
// A partnership administrator may play a draft course, so no demo partnership is needed.
const LEARNER = 'outage.learner@vale-partnership.example';
const FIXTURES = path.resolve(__dirname, '../../../shared/scorm-fixtures');

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * PostgreSQL stops and starts again while the product is in use. While it is
 * down, pages answer 503 with the GOV.UK "service unavailable" page and
 * /health says so; when it is back, the server carries on by itself, and the
 * SCORM player sends the learner's data it kept meanwhile.
 */
describe(`database outage (${TEST_DB})`, function () {
  this.timeout(300_000);
  const unavailable = TEST_DB === 'postgres' ? privatePostgresUnavailable() : 'runs on the PostgreSQL pass: the embedded database lives inside the server process, so it cannot stop while the server runs';
  if (unavailable) {
    it.skip(`is skipped: ${unavailable}`);
    return;
  }

  let cluster: PrivatePostgres;
  let product: RunningProduct;
  let scormDir: string;
  let courseSlug: string;

  before(async () => {
    cluster = await startPrivatePostgres();
    scormDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lms-outage-scorm-'));
    // Quiet: every dropped connection is logged as a warning, which is expected here.
    const config = testConfig({ databaseUrl: cluster.url, scormDir, logLevel: 'error' });
    product = await startProduct(config, { logger: createLogger(config), role: 'test' });
    await createUser(product.database.pool, { email: LEARNER, name: 'Outage Learner', password: PASSWORD, roles: [{ role: 'partnership-admin', organisationId: null }] });
    courseSlug = (await importPackage(product, path.join(FIXTURES, 'singlescobasic.zip'))).courseSlug;
  });
  after(async () => {
    await product?.stop().catch(() => {});
    cluster?.destroy();
    if (scormDir) fs.rmSync(scormDir, { recursive: true, force: true });
  });

  it('answers 503 with a clear page and health while PostgreSQL is stopped, and recovers by itself when it starts', async () => {
    const learner = new TestAgent(product.url);
    await learner.signIn(LEARNER, PASSWORD);
    expect((await learner.get('/my-learning')).status).to.equal(200);

    cluster.stop();
    try {
      const health = await fetch(`${product.url}/health`);
      expect(health.status).to.equal(503);
      expect(await health.json()).to.deep.equal({ status: 'unavailable', db: 'unavailable' });

      const page = await learner.get('/my-learning');
      expect(page.status).to.equal(503);
      expect(page.text).to.contain('<h1 class="govuk-heading-l">Sorry, the service is unavailable</h1>');
      expect(page.text).to.contain('Nothing you have already saved has been lost');
      expect(page.text).to.not.match(/ECONNREFUSED|at .*\(.*:\d+:\d+\)/);

      const api = await learner.getJson('/api/v1/framework');
      expect(api.status).to.equal(503);
      expect(api.body.error.status).to.equal(503);
    } finally {
      cluster.start();
    }

    // No restart: the pool makes new connections and the same session carries on.
    await waitFor('/health to answer 200', async () => (await fetch(`${product.url}/health`)).status === 200);
    expect((await learner.get('/my-learning')).status).to.equal(200);
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
      await page.goto(`${product.url}/sign-in`);
      await page.fill('#email', LEARNER);
      await page.fill('#password', PASSWORD);
      await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/sign-in')), page.click('button[type=submit]:has-text("Sign in")')]);
      await page.goto(`${product.url}/courses/${courseSlug}/play`);
      await page.waitForFunction(() => (window as unknown as { API?: { isInitialized(): boolean } }).API?.isInitialized());
      const attemptId = await page.evaluate(() => JSON.parse(document.getElementById('scorm-player')!.getAttribute('data-player')!).attemptId as string);
      const stored = async () =>
        (await product.database.pool.query<{ data: string | null }>("select cmi->>'cmi.suspend_data' as data from scorm_sco_states where attempt_id = $1", [attemptId])).rows[0]?.data;

      cluster.stop();
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
    });
  });
});
