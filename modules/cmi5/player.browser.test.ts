import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { Browser, BrowserContext, Frame, Page } from 'playwright-core';
import { expectAccessiblePage, recordCspViolations } from '../../test/support/axe';
import { launchBrowser } from '../../test/support/browser';
import { addCmi5Course, type TestAu } from '../../test/support/cmi5-packages';
import { TEST_DB } from '../../test/support/database';
import { runsOnThisPass } from '../../test/support/one-pass';
import { startTestServer, type TestServer } from '../../test/support/server';
import { waitFor } from '../../test/support/wait';

const LEARNER = 'learner@valecounty.example';
const PASSWORD = 'demo-learning-2026';

/** What the test calls on the AU: the @xapi/cmi5 client, as an AU's own buttons would. */
interface AuWindow {
  au: {
    initialize(): Promise<unknown>;
    progress(percent: number): Promise<unknown>;
    complete(): Promise<unknown>;
    pass(score: number): Promise<unknown>;
    fail(score: number): Promise<unknown>;
    terminate(): Promise<unknown>;
    getLaunchParameters(): { actor: { account: { homePage: string; name: string } }; activityId: string; registration: string };
    getLaunchData(): { returnURL: string; contextTemplate: Record<string, unknown>; launchMode: string };
    xapi: {
      setState(p: Record<string, unknown>): Promise<unknown>;
      getState(p: Record<string, unknown>): Promise<{ data: unknown }>;
      sendStatement(p: { statement: Record<string, unknown> }): Promise<unknown>;
    };
  };
}

describe(`cmi5 AU on the @xapi/cmi5 client in Chromium (${TEST_DB})`, function () {
  // The player and the LRS behave the same on either database (cmi5.test.ts runs the rules on both): one pass runs this.
  if (!runsOnThisPass('pglite')) return;
  this.timeout(180_000);
  let server: TestServer;
  let browser: Browser;
  let learner: BrowserContext;
  let tmp: string;
  const sql = async <T>(text: string, params: unknown[] = []) => (await server.product.database.pool.query(text, params)).rows as T[];

  const addCourse = (slug: string, aus: TestAu[]) => addCmi5Course(server, tmp, slug, `Recognising coercive control (${slug})`, aus);

  before(async () => {
    server = await startTestServer({ demo: true });
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cmi5-browser-'));
    await addCourse('coercive-control', [{ id: 'https://example.org/au/quiz', title: 'Quiz', moveOn: 'CompletedAndPassed', masteryScore: '0.8' }]);
    await addCourse('coercive-control-2', [{ id: 'https://example.org/au/quiz', title: 'Quiz', moveOn: 'Passed', masteryScore: '0.8' }]);
    browser = await launchBrowser();
    learner = await browser.newContext();
    const page = await learner.newPage();
    await page.goto(`${server.url}/sign-in`);
    await page.fill('#email', LEARNER);
    await page.fill('#password', PASSWORD);
    await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/sign-in')), page.click('button[type=submit]:has-text("Sign in")')]);
    await page.close();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  /** Opens the course's player and waits for the AU in its frame to have loaded the client. */
  async function openAu(page: Page, slug: string, from?: () => Promise<void>): Promise<Frame> {
    if (from) await from();
    else await page.goto(`${server.url}/courses/${slug}/play`);
    const frame = await (await page.waitForSelector('#cmi5-frame')).contentFrame();
    if (!frame) throw new Error('no AU frame');
    await frame.waitForFunction(() => !!(window as unknown as AuWindow).au);
    expect(new URL(frame.url()).hostname, 'the AU plays on its own origin').to.equal('content.localhost');
    return frame;
  }

  it('launches, records progress, is abandoned and resumed, then completes and passes; the result and certificate follow, and the AU cannot write as another learner', async () => {
    const csp: string[] = [];
    let page = await learner.newPage();
    recordCspViolations(page, csp);
    let frame = await openAu(page, 'coercive-control');
    await frame.evaluate(async () => {
      const { au } = window as unknown as AuWindow;
      await au.initialize();
      await au.progress(40);
      const p = au.getLaunchParameters();
      await au.xapi.setState({ agent: p.actor, activityId: p.activityId, registration: p.registration, stateId: 'bookmark', state: { page: 2 } });
    });
    // The learner closes the window without finishing: no "terminated".
    await page.close();

    // My training offers to resume it, as it does a SCORM course.
    page = await learner.newPage();
    frame = await openAu(page, 'coercive-control', async () => {
      await page.goto(`${server.url}/my-training`);
      await page.click('a:has-text("Resume Recognising coercive control (coercive-control)")');
    });
    const resumed = await frame.evaluate(async () => {
      const { au } = window as unknown as AuWindow;
      await au.initialize();
      const p = au.getLaunchParameters();
      return (await au.xapi.getState({ agent: p.actor, activityId: p.activityId, registration: p.registration, stateId: 'bookmark' })).data;
    });
    expect(resumed, 'the next launch resumes where the first left off').to.deep.equal({ page: 2 });
    const verbs = await sql<{ verb: string }>('select verb from cmi5_statements order by stored');
    expect(verbs.map((v) => v.verb.split('/').pop())).to.deep.equal(['launched', 'initialized', 'progressed', 'abandoned', 'launched', 'initialized']);

    // An attacker's script in the AU: statements for another learner or registration, through the library's own authenticated client.
    const refused = await frame.evaluate(async () => {
      const { au } = window as unknown as AuWindow;
      const p = au.getLaunchParameters();
      const template = au.getLaunchData().contextTemplate;
      // No named functions here: the test runner's compiler would wrap them in a helper the page does not have.
      const cases: [string, unknown, string][] = [
        ['otherActor', { objectType: 'Agent', account: { homePage: p.actor.account.homePage, name: '00000000-0000-4000-8000-000000000000' } }, p.registration],
        ['byEmail', { objectType: 'Agent', mbox: 'mailto:someone.else@valecounty.example' }, p.registration],
        ['otherRegistration', p.actor, '11111111-1111-4111-8111-111111111111'],
      ];
      const outcome: Record<string, unknown> = {};
      for (const [name, actor, registration] of cases) {
        try {
          await au.xapi.sendStatement({
            statement: {
              actor,
              verb: { id: 'http://adlnet.gov/expapi/verbs/experienced' },
              object: { objectType: 'Activity', id: p.activityId },
              context: { ...template, registration },
            },
          });
          outcome[name] = 'accepted';
        } catch (e) {
          outcome[name] = (e as { response?: { status: number } }).response?.status;
        }
      }
      return outcome;
    });
    expect(refused).to.deep.equal({ otherActor: 403, byEmail: 403, otherRegistration: 403 });

    await frame.evaluate(async () => {
      const { au } = window as unknown as AuWindow;
      await au.complete();
      await au.pass(0.9);
      await au.terminate();
      window.location.href = au.getLaunchData().returnURL;
    });
    // The AU returns to its returnURL; the player shows the result.
    await page.waitForURL(/\/courses\/coercive-control\/result$/);
    await page.waitForSelector('#cmi5-result-finished');
    expect(await page.textContent('#cmi5-result-finished')).to.include('You have passed Recognising coercive control (coercive-control)');
    expect(await page.textContent('#cmi5-status')).to.include('Passed');
    const [certificate] = await sql<{ n: number }>(
      "select count(*)::int as n from certificates c join courses k on k.id = c.course_id where k.slug = 'coercive-control'",
    );
    expect(certificate.n).to.equal(1);
    await page.setViewportSize({ width: 375, height: 800 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth), 'fits a phone').to.be.at.most(375);
    await expectAccessiblePage(page, csp);
    await page.close();
  });

  it('shows "not passed" after a failed AU, and a failed AU never counts as done', async () => {
    const page = await learner.newPage();
    const frame = await openAu(page, 'coercive-control-2');
    await frame.evaluate(async () => {
      const { au } = window as unknown as AuWindow;
      await au.initialize();
      await au.fail(0.3);
      await au.terminate();
      window.location.href = au.getLaunchData().returnURL;
    });
    await page.waitForURL(/\/courses\/coercive-control-2\/result$/);
    await page.waitForSelector('#cmi5-result-failed');
    expect(await page.textContent('#cmi5-result-failed')).to.include('You have not passed');
    expect(await page.isVisible('#cmi5-result-finished')).to.equal(false);
    const evidence = await waitFor(
      async () =>
        (await sql<{ n: number }>("select count(*)::int as n from evidence e join courses k on k.id = e.course_id where k.slug = 'coercive-control-2'"))[0],
      'the evidence count',
    );
    expect(evidence.n).to.equal(0);
    await page.close();
  });
});
