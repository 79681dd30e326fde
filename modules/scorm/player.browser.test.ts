import path from 'node:path';
import { expect } from 'chai';
import type { Browser, Frame, Page } from 'playwright-core';
import { axeViolations, describeViolations } from '../../test/support/axe';
import { launchBrowser, setAndCommitScorm12, unsentScormCommits } from '../../test/support/browser';
import { TEST_DB } from '../../test/support/database';
import { startTestServer, type TestServer } from '../../test/support/server';
import { createCourse } from '../courses/api';
import { importPackage } from './service';
import { waitFor } from '../../test/support/wait';
import { runsOnThisPass } from '../../test/support/one-pass';

const FIXTURES = path.resolve(__dirname, '../../../shared/scorm-fixtures');
const LEARNER = 'learner@valecounty.example';
const PASSWORD = 'demo-learning-2026';

describe(`SCORM player in Chromium (${TEST_DB})`, function () {
  this.timeout(120_000);
  let server: TestServer;
  let browser: Browser;

  const sql = async <T>(text: string, params: unknown[] = []) => (await server.product.database.pool.query(text, params)).rows as T[];

  async function addGolfCourse(slug: string, zip: string): Promise<void> {
    await server.product.database.transaction((client) =>
      createCourse(client, {
        slug,
        title: `Golf (${slug})`,
        description: '',
        audience: 'professionals',
        delivery: 'elearning',
        groupNumbers: [1],
        passMark: null,
        validityMonths: null,
        contentWarning: null,
        status: 'published',
        finishedAttempt: 'review-or-retake',
        competencyLineages: ['g1c1', 'g1c2'],
        prerequisiteIds: [],
      }),
    );
    await importPackage({ config: server.product.config, database: server.product.database }, path.join(FIXTURES, zip), { courseSlug: slug });
  }

  before(async function () {
    // The pages and the browser behave the same whatever the database; what they store is
    // checked on both passes by the HTTP suites (test/support/one-pass.ts).
    if (!runsOnThisPass('postgres')) this.skip();
    server = await startTestServer({ demo: true });
    await addGolfCourse('golf-12', 'singlescobasic.zip');
    await addGolfCourse('golf-2004', 'RuntimeBasicCalls_SCORM20043rdEdition.zip');
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  let signedIn: Awaited<ReturnType<import('playwright-core').BrowserContext['storageState']>>;

  /** A fresh tab of the learner's signed-in browser (signing in once: password hashing is slow on purpose). */
  async function signedInPage(): Promise<Page> {
    if (!signedIn) {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(`${server.url}/sign-in`);
      await page.fill('#email', LEARNER);
      await page.fill('#password', PASSWORD);
      await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/sign-in')), page.click('button[type=submit]:has-text("Sign in")')]);
      signedIn = await context.storageState();
      await context.close();
    }
    const context = await browser.newContext({ storageState: signedIn });
    const page = await context.newPage();
    page.on('dialog', (d) => d.accept()); // "resume where you left off?" and similar prompts
    return page;
  }

  /**
   * The golf launch page, once it has loaded its first content page: on the content
   * origin, inside the page there that gives it the SCORM API, inside the player frame.
   */
  async function launchFrame(page: Page): Promise<Frame> {
    const handle = await page.waitForSelector('#scorm-frame');
    await page.waitForFunction(() => /\/scorm\/run\/.*launchpage\.html/.test((document.getElementById('scorm-frame') as HTMLIFrameElement).src));
    const wrapper = (await handle.contentFrame())!;
    expect(new URL(wrapper.url()).hostname, 'the content plays on its own origin').to.equal('content.localhost');
    const sco = await wrapper.waitForSelector('#sco');
    await wrapper.waitForFunction(() => /launchpage\.html/.test((document.getElementById('sco') as HTMLIFrameElement).src));
    const frame = (await sco.contentFrame())!;
    await frame.waitForSelector('#butNext');
    await frame.waitForFunction(() => !!(document.getElementById('contentFrame') as HTMLIFrameElement).src);
    return frame;
  }

  async function currentPageIndex(frame: Frame): Promise<number> {
    return frame.evaluate(() => (window as unknown as { currentPage: number }).currentPage);
  }

  /** Moves to the quiz, answers every question correctly, and submits. */
  async function finishGolf(frame: Frame): Promise<void> {
    const last = await frame.evaluate(() => (window as unknown as { pageArray: string[] }).pageArray.length - 1);
    while ((await currentPageIndex(frame)) < last) await frame.click('#butNext');
    const quiz = frame.childFrames()[0];
    await quiz.waitForFunction(
      () =>
        typeof (window as unknown as { SubmitAnswers?: unknown }).SubmitAnswers === 'function' &&
        (window as unknown as { test: { Questions: unknown[] } }).test.Questions.length > 0,
    );
    await quiz.evaluate(() => {
      type Q = { Id: string; Type: string; Answers: string[]; CorrectAnswer: unknown };
      const w = window as unknown as { test: { Questions: Q[] }; SubmitAnswers(): void };
      for (const q of w.test.Questions) {
        if (q.Type === 'choice') (document.getElementById(`question_${q.Id}_${q.Answers.indexOf(String(q.CorrectAnswer))}`) as HTMLInputElement).checked = true;
        else if (q.Type === 'true-false')
          (document.getElementById(`question_${q.Id}_${q.CorrectAnswer ? 'True' : 'False'}`) as HTMLInputElement).checked = true;
        else (document.getElementById(`question_${q.Id}_Text`) as HTMLInputElement).value = String(q.CorrectAnswer);
      }
      w.SubmitAnswers();
    });
    await frame.click('#butExit');
  }

  async function attemptFor(slug: string) {
    return (
      await sql<{ id: string; status: string; score: number | null; completed_at: Date | null }>(
        `select a.id, a.status, a.score, a.completed_at from scorm_attempts a join courses c on c.id = a.course_id join users u on u.id = a.user_id
          where c.slug = $1 and u.email = $2 order by a.started_at desc limit 1`,
        [slug, LEARNER],
      )
    )[0];
  }

  it('a learner completes the SCORM 1.2 golf example: passed with the score it reported, and evidence recorded', async () => {
    const page = await signedInPage();
    await page.goto(`${server.url}/courses/golf-12/play`);
    expect(await page.textContent('h1')).to.contain('Golf (golf-12)');
    const frame = await launchFrame(page);
    await finishGolf(frame);
    const attempt = await waitFor(async () => {
      const a = await attemptFor('golf-12');
      return a?.completed_at && a.status === 'passed' ? a : undefined;
    }, 'the attempt to finish');
    expect(attempt.status).to.equal('passed');
    expect(attempt.score).to.equal(100);
    const evidence = await sql<{ n: number }>(`select count(*) as n from evidence where source = 'elearning' and source_ref = $1`, [attempt.id]);
    expect(evidence[0].n).to.equal(2);
    // The result and the next step are on screen, above the content frame, without scrolling down to them.
    const result = page.locator('#scorm-result-finished');
    await result.waitFor({ state: 'visible' });
    expect(await result.textContent())
      .to.contain('You have passed Golf (golf-12)')
      .and.contain('Your certificate is ready');
    expect(await result.locator('a[href="/my-certificates"]').count()).to.equal(1);
    expect(await result.locator('a[href="/my-training"]').count()).to.equal(1);
    const box = (await result.boundingBox())!;
    expect(box.y, 'the result starts inside the window').to.be.at.least(0).and.below(page.viewportSize()!.height);
    expect(await page.evaluate(() => document.activeElement?.id)).to.equal('scorm-result-finished');
    await page.goto(`${server.url}/my-learning`);
    const row = page.locator('tr', { hasText: 'Golf (golf-12)' });
    expect(await row.textContent()).to.match(/Passed[\s\S]*100%/);
    await page.context().close();
  });

  it('closing the page mid-module and coming back resumes the SCORM 2004 golf example where the learner was, then completes it', async () => {
    let page = await signedInPage();
    await page.goto(`${server.url}/courses/golf-2004/play`);
    let frame = await launchFrame(page);
    for (let i = 0; i < 4; i++) await frame.click('#butNext');
    expect(await currentPageIndex(frame)).to.equal(4);
    await page.close({ runBeforeUnload: true });
    await waitFor(async () => {
      const rows = await sql<{ cmi: Record<string, string> }>(
        `select s.cmi from scorm_sco_states s join scorm_attempts a on a.id = s.attempt_id join courses c on c.id = a.course_id where c.slug = 'golf-2004'`,
      );
      return rows[0]?.cmi['cmi.location'] === '4' && rows[0].cmi['cmi.exit'] === 'suspend';
    }, 'the suspended location to be stored');
    await page.context().close();

    page = await signedInPage();
    await page.goto(`${server.url}/courses/golf-2004/play`);
    frame = await launchFrame(page);
    expect(await currentPageIndex(frame)).to.equal(4);
    expect(
      await frame.evaluate(() => (window.parent as unknown as { API_1484_11: { GetValue(n: string): string } }).API_1484_11.GetValue('cmi.entry')),
    ).to.equal('resume');
    await finishGolf(frame);
    // Its Exit button sends adl.nav.request exitAll: the player returns to the course page.
    await page.waitForURL(`${server.url}/courses/golf-2004`);
    const attempt = await waitFor(async () => {
      const a = await attemptFor('golf-2004');
      return a?.completed_at && a.status === 'passed' ? a : undefined;
    }, 'the 2004 attempt to finish');
    expect(attempt.status).to.equal('passed');
    expect(attempt.score).to.equal(100);
    const evidence = await sql<{ n: number }>(`select count(*) as n from evidence where source_ref = $1`, [attempt.id]);
    expect(evidence[0].n).to.equal(2);
    await page.goto(`${server.url}/my-learning`);
    expect(await page.locator('tr', { hasText: 'Golf (golf-2004)' }).textContent()).to.match(/Passed[\s\S]*100%/);
    await page.context().close();
  });
  it('commits with the commit token, and when it is turned down carries on through the session and renews it', async () => {
    // The SCORM 2004 golf example: the upload test below counts the versions of the 1.2 one.
    await addGolfCourse('golf-token', 'RuntimeBasicCalls_SCORM20043rdEdition.zip');
    const page = await signedInPage();
    const commits: { token: string | undefined; answer: Promise<Record<string, unknown>> }[] = [];
    let forged = false;
    // The first commit goes out with a token the server cannot know, as an expired one would be.
    await page.route('**/scorm/attempts/*/commit', (route) => {
      const headers = route.request().headers();
      if (forged || !headers['x-commit-token']) return route.continue();
      forged = true;
      return route.continue({ headers: { ...headers, 'x-commit-token': 'not-a-genuine-token' } });
    });
    page.on('request', (request) => {
      if (!/\/scorm\/attempts\/[^/]+\/commit$/.test(request.url())) return;
      commits.push({
        token: request.headers()['x-commit-token'],
        answer: request.response().then(async (res) => (res ? ((await res.json()) as Record<string, unknown>) : {})),
      });
    });
    await page.goto(`${server.url}/courses/golf-token/play`);
    const given = JSON.parse((await page.getAttribute('#scorm-player', 'data-player'))!).commitToken as string;
    const frame = await launchFrame(page);
    await frame.click('#butNext');
    await waitFor(async () => commits.length >= 1, 'the first commit');
    expect(commits[0].token, 'the player sent the token it was given').to.equal(given);
    const first = await commits[0].answer;
    expect(first).to.include({ stored: true });
    expect(first.commitToken, 'the session answered, with a fresh token').to.be.a('string').and.not.equal(given);
    await frame.click('#butNext');
    await waitFor(async () => commits.length >= 2, 'a second commit');
    expect(commits[1].token).to.equal(first.commitToken);
    const second = await commits[1].answer;
    expect(second).to.include({ stored: true });
    expect(second, 'the token alone was enough').to.not.have.property('commitToken');
    const stored = await sql<{ loc: string }>(
      `select s.cmi->>'cmi.location' as loc from scorm_sco_states s join scorm_attempts a on a.id = s.attempt_id join courses c on c.id = a.course_id where c.slug = 'golf-token'`,
    );
    expect(stored[0].loc).to.equal(String(await currentPageIndex(frame)));
    await page.context().close();
  });

  it('keeps what the learner did when their session ends mid-module, and sends it once they sign in again', async () => {
    // A browser of its own, so ending its session leaves the other tests' signed-in browser alone.
    const context = await browser.newContext();
    const page = await context.newPage();
    page.on('dialog', (d) => d.accept());
    const signIn = async () => {
      await page.goto(`${server.url}/sign-in`);
      await page.fill('#email', LEARNER);
      await page.fill('#password', PASSWORD);
      await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/sign-in')), page.click('button[type=submit]:has-text("Sign in")')]);
    };
    await signIn();
    // As if the commit token had expired too: every commit has to go the session way.
    await page.route('**/scorm/attempts/*/commit', (route) => {
      const { 'x-commit-token': _dropped, ...headers } = route.request().headers();
      return route.continue({ headers });
    });
    await page.goto(`${server.url}/courses/domestic-abuse-awareness/play`);
    await page.waitForFunction(() => (window as unknown as { API?: { isInitialized(): boolean } }).API?.isInitialized());
    const attemptId = await page.evaluate(() => JSON.parse(document.getElementById('scorm-player')!.getAttribute('data-player')!).attemptId as string);
    const cookie = (await context.cookies()).find((c) => c.name === 'dal.sid')!;
    const sid = decodeURIComponent(cookie.value)
      .replace(/^s:/, '')
      .replace(/\.[^.]*$/, '');
    expect((await sql('delete from sessions where sid = $1 returning sid', [sid])).length, 'the session ended').to.equal(1);

    // Data the demo module resumes from: it rewrites its own suspend data as it starts again.
    const committed = await setAndCommitScorm12(page, { 'cmi.core.lesson_location': '3', 'cmi.suspend_data': '{"page":3}' });
    expect(committed, 'the commit is refused, not taken for a success').to.equal('false');
    const unsent = () => unsentScormCommits(page);
    expect(await unsent()).to.equal(1);
    // The player tries again after five seconds; refused again, it still keeps the data.
    await page.waitForTimeout(6500);
    expect(await unsent(), 'kept through a refused retry').to.equal(1);

    await signIn();
    await page.goto(`${server.url}/courses/domestic-abuse-awareness/play`);
    const stored = await waitFor(async () => {
      const rows = await sql<{ location: string | null }>("select cmi->>'cmi.core.lesson_location' as location from scorm_sco_states where attempt_id = $1", [
        attemptId,
      ]);
      return rows[0]?.location === '3' ? rows[0].location : undefined;
    }, 'the kept data to reach the server');
    expect(stored).to.equal('3');
    // Waited for in the page: the player reloads itself once the kept data is stored.
    await page.waitForFunction(() => Object.keys(localStorage).filter((k) => k.startsWith('scorm-unsent:')).length === 0);
    // The module starts again where the kept data left it.
    await page.waitForFunction(() => (window as unknown as { API?: { isInitialized(): boolean } }).API?.isInitialized());
    expect(await page.evaluate(() => (window as unknown as { API: { LMSGetValue(k: string): string } }).API.LMSGetValue('cmi.core.lesson_location'))).to.equal(
      '3',
    );
    await context.close();
  });

  it('has no WCAG 2.2 AA problems axe can find on the catalogue, course, player and my-learning pages', async () => {
    const page = await signedInPage();
    for (const url of ['/courses', '/courses/domestic-abuse-awareness', '/courses/domestic-abuse-awareness/play', '/my-learning']) {
      await page.goto(`${server.url}${url}`);
      const violations = await axeViolations(page);
      expect(violations, `${url}\n${describeViolations(violations)}`).to.deep.equal([]);
    }
    await page.context().close();
  });
  it('lets an administrator upload a package in the browser with a progress bar, and shows a refusal inline', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.url}/sign-in`);
    await page.fill('#email', 'admin@vale-partnership.example');
    await page.fill('#password', PASSWORD);
    await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/sign-in')), page.click('button[type=submit]:has-text("Sign in")')]);
    await page.goto(`${server.url}/scorm/packages`);
    await page.setInputFiles('#package', path.join(FIXTURES, 'invalid.zip'));
    await page.click('button:has-text("Upload package")');
    await page.waitForSelector('#package-error:not([hidden])');
    expect(await page.textContent('#package-error')).to.contain('no imsmanifest.xml');
    // Sent by the page's script (XHR with upload progress), not a plain form post: the page did not change.
    expect(page.url()).to.equal(`${server.url}/scorm/packages`);
    expect(await page.getAttribute('#upload-progress', 'max')).to.equal('100');
    await page.fill('#course', 'golf-12');
    await page.setInputFiles('#package', path.join(FIXTURES, 'singlescobasic.zip'));
    await Promise.all([page.waitForURL(`${server.url}/courses/golf-12`), page.click('button:has-text("Upload package")')]);
    expect(await page.textContent('.govuk-notification-banner')).to.contain('as version 2');
    await context.close();
  });
});
