import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ZipArchive } from 'archiver';
import { expect } from 'chai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import yauzl from 'yauzl';
import { importPackage } from '../../modules/scorm/service';
import { axeViolations, describeViolations, recordCspViolations } from '../support/axe';
import { launchBrowser } from '../support/browser';
import { TEST_DB } from '../support/database';
import { startTestServer, type TestServer } from '../support/server';
import { ACCESS, type Who } from '../security/access-expectations';
import { COURSE, DEMO_EMAILS, DEMO_PASSWORD, type DemoFixture, demoFixture, fill, WHO } from '../security/fixture';
import { routeParams, routeTable } from '../security/routes';
import { runsOnThisPass } from '../support/one-pass';

/**
 * Every page of the product, signed in as each role, in a real browser 320
 * CSS pixels wide (a 1280-pixel screen at 400% zoom): no axe-core violation
 * at WCAG 2.2 AA, no sideways scrolling of the page at 320 or at 375 pixels
 * (a phone; wide tables scroll inside their own named box that takes the
 * focus), no Content-Security-Policy breach, and no script run from text
 * people or packages supplied. Each role's navigation fits one row on a desktop screen. Before the sweep,
 * hostile text is put everywhere such text is shown: names, job titles,
 * teams, course and SCORM manifest titles, CMI values and evidence notes.
 */

const HOSTILE = (tag: string) => `<script>window.__xss='${tag}'</script>"><img src=x onerror="window.__xss='${tag}'">`;
const FIXTURES = path.resolve(__dirname, '../../../shared/scorm-fixtures');

/** The golf example with its manifest titles replaced by hostile text, written as a new zip. */
async function hostilePackage(dir: string): Promise<string> {
  const entries: { name: string; content: Buffer }[] = [];
  await new Promise<void>((resolve, reject) => {
    yauzl.open(path.join(FIXTURES, 'singlescobasic.zip'), { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(err);
      zip.on('entry', (entry: yauzl.Entry) => {
        if (entry.fileName.endsWith('/')) return zip.readEntry();
        zip.openReadStream(entry, (e, stream) => {
          if (e || !stream) return reject(e);
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('end', () => {
            entries.push({ name: entry.fileName, content: Buffer.concat(chunks) });
            zip.readEntry();
          });
        });
      });
      zip.on('end', () => resolve());
      zip.readEntry();
    });
  });
  const manifest = entries.find((e) => e.name === 'imsmanifest.xml')!;
  const escaped = HOSTILE('manifest').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  manifest.content = Buffer.from(
    manifest.content
      .toString('utf8')
      .replace(/<title>[^<]*<\/title>/g, `<title>Golf ${escaped}</title>`)
      .replace(/identifier="com\.scorm\.golfsamples[^"]*"/, 'identifier="test.hostile.golf"'),
  );
  const file = path.join(dir, 'hostile.zip');
  const archive = new ZipArchive({ zlib: { level: 1 } });
  const out = fs.createWriteStream(file);
  const done = new Promise<void>((resolve, reject) => {
    out.on('close', () => resolve());
    archive.on('error', reject);
  });
  archive.pipe(out);
  for (const e of entries) archive.append(e.content, { name: e.name });
  await archive.finalize();
  await done;
  return file;
}

/** 400% zoom of a 1280-pixel screen, and a common phone. */
const PHONE_WIDTHS = [320, 375];

/**
 * What makes the page scroll sideways: the page itself wider than the window,
 * or a table's scrolling box that a keyboard cannot reach or a screen reader cannot name.
 */
async function sidewaysProblems(page: Page): Promise<string[]> {
  return page.evaluate(async () => {
    // Let a resize reach the page's own listeners (public/init.js) first.
    await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
    const out: string[] = [];
    const over = document.documentElement.scrollWidth - window.innerWidth;
    if (over > 0) {
      const culprit = [...document.querySelectorAll('body *')].find(
        (el) => el.getBoundingClientRect().right > window.innerWidth + 0.5 && !el.closest('.app-table-wrap'),
      );
      out.push(`scrolls sideways by ${over} px${culprit ? ` (${culprit.tagName.toLowerCase()}.${[...culprit.classList].join('.')})` : ''}`);
    }
    for (const box of document.querySelectorAll('.app-table-wrap')) {
      if (box.scrollWidth <= box.clientWidth + 1) continue;
      if ((box as HTMLElement).tabIndex < 0 || !box.getAttribute('aria-label')) out.push('a table scrolls in a box without a keyboard stop or a name');
    }
    return out;
  });
}

/** Pages worth a browser: HTML pages, not files, feeds, API answers or another site's sign-in. */
function isPage(route: string): boolean {
  const [method, p] = route.split(' ');
  return (
    method === 'GET' &&
    !/^\/(api|scorm\/content|scorm\/vendor|auth\/saml|health)/.test(p.slice(0, 40)) &&
    !/\.(pdf|zip|json|csv)$/.test(p) &&
    !ACCESS[route]?.unknownIds
  );
}

describe(`every page, as every role: WCAG 2.2 AA, 400% zoom, keyboard, and no stored script (${TEST_DB})`, function () {
  this.timeout(600_000);
  let server: TestServer;
  let fixture: DemoFixture;
  let browser: Browser;
  const contexts = {} as Record<Who, BrowserContext>;
  const pages = {} as Record<Who, Page>;
  const csp = {} as Record<Who, string[]>;
  const visits = new Map<Who, string[]>();
  let tmp: string;

  before(async function () {
    // The pages are the same HTML on either database. CI runs both passes
    // side by side and sets this on one of them so this, its longest suite,
    // runs once; run on its own, `npm test` always includes it.
    if (!runsOnThisPass('postgres')) this.skip();
    server = await startTestServer({ demo: true });
    fixture = await demoFixture(server);
    const pool = server.product.database.pool;
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lms-xss-'));

    // Hostile text wherever people or packages supply it.
    await pool.query(
      `update staff set name = $2, job_title = $3, team = $4 where id = (
         select s.id from staff s join organisations o on o.id = s.organisation_id where o.slug = 'vale-county-council' and s.id <> $1 and s.leaving_date is null order by s.name limit 1)`,
      [fixture.own.staffId, `Alex ${HOSTILE('name')}`, `Officer ${HOSTILE('job')}`, `Team ${HOSTILE('team')}`],
    );
    await pool.query('update evidence set note = $2 where id = $1', [fixture.own.evidenceId, `Note ${HOSTILE('note')}`]);
    await pool.query('update courses set summary = $2 where slug = $1', [COURSE, `Summary ${HOSTILE('course-summary')}`]).catch(() => {});
    await pool.query('update courses set title = $2 where slug = $1', [COURSE, `Awareness ${HOSTILE('course')}`]);
    await importPackage({ config: server.product.config, database: server.product.database }, await hostilePackage(tmp));
    const { rows } = await pool.query<{ manifest: { scos: { identifier: string }[] } }>(
      'select v.manifest from scorm_attempts a join scorm_package_versions v on v.id = a.package_version_id where a.id = $1',
      [fixture.own.attemptId],
    );
    const learner = fixture.agents.learner;
    await learner.get('/my-learning');
    const commit = await learner.postJson(`/scorm/attempts/${fixture.own.attemptId}/commit`, {
      sco: rows[0].manifest.scos[0].identifier,
      sequence: 1,
      cmi: {
        'cmi.core.lesson_location': `p1 ${HOSTILE('location')}`.slice(0, 255),
        'cmi.suspend_data': HOSTILE('suspend'),
        'cmi.core.lesson_status': 'incomplete',
      },
    });
    expect(commit.status, await commit.text()).to.equal(200);

    browser = await launchBrowser();
    for (const who of WHO) {
      contexts[who] = await browser.newContext({ viewport: { width: 320, height: 640 } });
      pages[who] = await contexts[who].newPage();
      csp[who] = [];
      recordCspViolations(pages[who], csp[who]);
      if (who !== 'anonymous') {
        const page = pages[who];
        await page.goto(`${server.url}/sign-in`);
        await page.fill('#email', DEMO_EMAILS[who]);
        await page.fill('#password', DEMO_PASSWORD);
        await Promise.all([page.waitForURL(`${server.url}/`), page.click('button[type=submit]')]);
      }
    }

    // Each page once, as the first role in this order that may open it (so a learner's own pages are seen with their data), and every role's home page.
    const order: Who[] = ['learner', 'org-lead', 'trainer', 'board-member', 'partnership-admin', 'anonymous'];
    for (const route of routeTable(server.product.app).filter(isPage)) {
      const rule = ACCESS[route];
      if (!rule) continue;
      const who = order.find((w) => rule.roles[w]);
      if (!who) continue;
      const url = routeParams(route).length ? fill(route, fixture.own, fixture.shared) : route.split(' ')[1];
      visits.set(who, [...(visits.get(who) ?? []), url]);
    }
    for (const who of WHO) if (!visits.get(who)?.includes('/')) visits.set(who, ['/', ...(visits.get(who) ?? [])]);
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  for (const who of WHO) {
    it(`as ${who}: every page they may open passes axe, fits 320 and 375 pixels, breaks no CSP rule and runs no supplied script`, async () => {
      const page = pages[who];
      const problems: string[] = [];
      for (const url of visits.get(who) ?? []) {
        const res = await page.goto(`${server.url}${url}`);
        if (!res || !(res.headers()['content-type'] ?? '').includes('text/html')) continue;
        if (res.status() >= 400) problems.push(`${url}: answered ${res.status()}`);
        const violations = await axeViolations(page);
        if (violations.length) problems.push(`${url}: ${describeViolations(violations)}`);
        // The page loads once; the phone width is a resize, as when a phone turns.
        for (const width of PHONE_WIDTHS) {
          if (width !== PHONE_WIDTHS[0]) await page.setViewportSize({ width, height: 640 });
          problems.push(...(await sidewaysProblems(page)).map((p) => `${url}: ${p} at ${width} px wide`));
        }
        await page.setViewportSize({ width: PHONE_WIDTHS[0], height: 640 });
        // biome-ignore lint/suspicious/noExplicitAny: the flag hostile text would set
        const xss = await page.evaluate(() => (window as any).__xss);
        if (xss) problems.push(`${url}: ran a script from supplied text (${xss})`);
        if (csp[who].length) problems.push(`${url}: ${csp[who].splice(0).join(' | ')}`);
      }
      expect(problems, problems.join('\n')).to.deep.equal([]);
      expect(visits.get(who)?.length).to.be.greaterThan(0);
    });
  }

  it('gives each role a navigation that fits one row on a desktop screen', async () => {
    const rows: string[] = [];
    for (const who of WHO.filter((w) => w !== 'anonymous')) {
      const page = pages[who];
      await page.setViewportSize({ width: 1280, height: 800 });
      await page.goto(`${server.url}/`);
      const tops = await page.$$eval('.govuk-service-navigation__item', (items) =>
        items.map((i) => `${(i as HTMLElement).offsetTop} ${i.textContent?.trim()}`),
      );
      if (new Set(tops.map((t) => t.split(' ')[0])).size > 1) rows.push(`${who}: ${tops.join(', ')}`);
      await page.setViewportSize({ width: PHONE_WIDTHS[0], height: 640 });
    }
    expect(rows, rows.join('\n')).to.deep.equal([]);
  });

  it('lists on the hub, by topic, every page a lead or administrator manages that is not in their navigation row, and each opens', async () => {
    for (const who of ['org-lead', 'partnership-admin'] as const) {
      const page = pages[who];
      await page.goto(`${server.url}/admin`);
      const topics = await page.$$eval('main h2', (hs) => hs.map((h) => h.textContent?.trim()));
      expect(topics.length, `${who}: topics`).to.be.greaterThan(1);
      const links = await page.$$eval('main dl a', (as) => as.map((a) => (a as HTMLAnchorElement).getAttribute('href') ?? ''));
      const row = await page.$$eval('.govuk-service-navigation__link', (as) => as.map((a) => (a as HTMLAnchorElement).getAttribute('href') ?? ''));
      expect(row.length, `${who}: navigation row`).to.be.at.most(7);
      for (const href of links) {
        expect(row, `${who}: ${href} is on the hub, not in the row`).to.not.include(href);
        const res = await page.request.get(`${server.url}${href}`, { maxRedirects: 2 });
        expect(res.status(), `${who}: ${href}`).to.equal(200);
      }
    }
  });

  it('shows the hostile text as text, so escaping (not only the CSP) stopped it', async () => {
    const page = pages['org-lead'];
    await page.goto(`${server.url}/staff?q=Alex`);
    expect(await page.locator('main').textContent()).to.contain("<script>window.__xss='name'</script>");
    const admin = pages['partnership-admin'];
    await admin.goto(`${server.url}/scorm/packages`);
    expect(await admin.locator('main').textContent()).to.contain("Golf <script>window.__xss='manifest'</script>");
  });

  /** Presses Tab until the focused element matches, and says whether its focus can be seen. */
  async function tabTo(page: Page, matches: (el: Element) => boolean, limit = 60): Promise<{ reached: boolean; visible: boolean; steps: string[] }> {
    const steps: string[] = [];
    for (let i = 0; i < limit; i++) {
      await page.keyboard.press('Tab');
      const state = await page.evaluate(`(${matches.toString()})(document.activeElement)`);
      const info = await page.evaluate(() => {
        const el = document.activeElement as HTMLElement;
        const style = getComputedStyle(el);
        // A date field's own segments take the focus and show Chromium's highlight.
        const date = (el as HTMLInputElement).type === 'date';
        return {
          label: `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''} ${(el.textContent ?? '').trim().slice(0, 30)}`,
          visible: date || style.outlineStyle !== 'none' || style.boxShadow !== 'none' || style.backgroundColor === 'rgb(255, 221, 0)',
        };
      });
      steps.push(info.label);
      if (state) return { reached: true, visible: info.visible, steps };
    }
    return { reached: false, visible: false, steps };
  }

  it('skips to the main content from the first Tab', async () => {
    const page = pages.learner;
    await page.goto(`${server.url}/my-training`);
    const skip = await tabTo(page, (el) => el.classList.contains('govuk-skip-link'), 1);
    expect(skip.reached, skip.steps.join(' → ')).to.equal(true);
    expect(skip.visible).to.equal(true);
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).to.equal('main-content');
  });

  it('starts a course with the keyboard alone', async () => {
    const page = pages.learner;
    await page.goto(`${server.url}/courses/${COURSE}`);
    const start = await tabTo(page, (el) => /Start or continue/.test(el.textContent ?? ''));
    expect(start.reached, start.steps.join(' → ')).to.equal(true);
    expect(start.visible, 'focus can be seen').to.equal(true);
    await Promise.all([page.waitForURL(`${server.url}/courses/${COURSE}/play`), page.keyboard.press('Enter')]);
  });

  it('books a place on a session with the keyboard alone', async () => {
    const pool = server.product.database.pool;
    // As if the learner had finished the awareness e-learning, which face-to-face courses ask for first.
    await pool.query('update evidence set course_id = (select id from courses where slug = $2) where id = $1', [fixture.own.evidenceId, COURSE]);
    const { rows } = await pool.query<{ id: string }>(
      `select t.id from training_sessions t where t.starts_at > now() and t.cancelled_at is null and t.id <> $1
          and not exists (select 1 from session_bookings b where b.session_id = t.id and b.staff_id = $2) order by t.starts_at`,
      [fixture.shared.sessionId, fixture.own.staffId],
    );
    const page = pages.learner;
    let booked = false;
    for (const { id } of rows) {
      await page.goto(`${server.url}/training-sessions/${id}`);
      if (!(await page.locator('main form[action$="/book"] button').count())) continue;
      const button = await tabTo(page, (el) => /Book a place|Join the waiting list/.test(el.textContent ?? ''), 120);
      expect(button.reached, button.steps.join(' → ')).to.equal(true);
      expect(button.visible, 'focus can be seen').to.equal(true);
      await Promise.all([page.waitForEvent('load'), page.keyboard.press('Enter')]);
      expect(await page.locator('main').textContent()).to.match(/Place booked|waiting list/);
      booked = true;
      break;
    }
    expect(booked, 'a session the learner could book').to.equal(true);
  });

  it('reaches every control of the evidence sign-off form with the keyboard, and shows errors when sent empty', async () => {
    const page = pages['org-lead'];
    await page.goto(`${server.url}/staff/${fixture.own.staffId}/evidence/sign-off`);
    // One Tab stop per control, and one per group of radios.
    const controls = await page.$$eval(
      'main form:not([method=get]) :is(input:not([type=hidden]), select, textarea, button)',
      (els) => new Set(els.map((el, i) => ((el as HTMLInputElement).type === 'radio' ? `radio:${(el as HTMLInputElement).name}` : String(i)))).size,
    );
    const seen = new Set<string>();
    let last: { reached: boolean; visible: boolean; steps: string[] } = { reached: false, visible: true, steps: [] };
    for (let i = 0; i < 200 && seen.size < controls; i++) {
      last = await tabTo(page, (el) => !!el.closest('main form') && ['INPUT', 'SELECT', 'TEXTAREA', 'BUTTON'].includes(el.tagName), 40);
      if (!last.reached) break;
      expect(last.visible, `focus can be seen on ${last.steps.at(-1)}`).to.equal(true);
      seen.add(
        await page.evaluate(() => {
          const el = document.activeElement as HTMLInputElement;
          return el.type === 'radio' ? `radio:${el.name}` : `${el.tagName}:${el.name}:${el.value}:${el.id}`;
        }),
      );
    }
    expect(seen.size, 'every control was reached').to.equal(controls);
    const submit = await page.evaluate(() => (document.activeElement as HTMLButtonElement).type === 'submit');
    if (!submit) expect((await tabTo(page, (el) => (el as HTMLButtonElement).type === 'submit' && !!el.closest('main form'))).reached).to.equal(true);
    await Promise.all([page.waitForEvent('load'), page.keyboard.press('Enter')]);
    expect(await page.locator('.govuk-error-summary').count()).to.equal(1);
  });
});
