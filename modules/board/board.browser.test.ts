import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { expectAccessiblePage, recordCspViolations } from '../../test/support/axe';
import { launchBrowser } from '../../test/support/browser';
import { TEST_DB } from '../../test/support/database';
import { addUser, startTestServer, TEST_PASSWORD, type TestServer } from '../../test/support/server';
import { londonToday } from '../../server/london';
import { lastEndedQuarter, previousQuarter } from './quarters';
import { takeSnapshot } from './store';
import { runsOnThisPass } from '../../test/support/one-pass';

/** The board's pages as a person sees them: charts with text alternatives, tables, no script, WCAG 2.2 AA. */
describe(`board pages in a browser (${TEST_DB})`, function () {
  this.timeout(120_000);
  let server: TestServer;
  let browser: Browser;
  let boardEmail: string;
  let adminEmail: string;
  const csp: string[] = [];

  before(async function () {
    // The pages and the browser behave the same whatever the database; what they store is
    // checked on both passes by the HTTP suites (test/support/one-pass.ts).
    if (!runsOnThisPass('postgres')) this.skip();
    server = await startTestServer();
    const pool = server.product.database.pool;
    // Two organisations with staff in the first two groups; some have evidence for Group 1.
    await pool.query(`insert into partnership (id, name, area_name) values (1, 'Test Partnership', 'Testshire') on conflict (id) do nothing`);
    const { rows: orgs } = await pool.query<{ id: string }>(
      `insert into organisations (slug, name, sector, in_area) values ('test-council', 'Test Council', 'local-authority', true), ('test-police', 'Test Police', 'police', true), ('far-charity', 'Far Charity', 'voluntary', false) returning id`,
    );
    const { rows: staff } = await pool.query<{ id: string }>(
      `insert into staff (organisation_id, name, job_title, group_number, group_source, start_date)
       select o.id, 'Person ' || o.k || '-' || g.n, 'Officer', 1 + (g.n % 2), 'import', current_date - 500
         from unnest($1::uuid[]) with ordinality o(id, k) cross join generate_series(1, 24) g(n) returning id`,
      [orgs.slice(0, 2).map((o) => o.id)],
    );
    await pool.query(
      `insert into evidence (staff_id, competency_id, achieved_on, source, note)
       select s.id, c.id, current_date - 20, 'sign-off', 'test'
         from unnest($1::uuid[]) s(id) cross join competencies c join frameworks f on f.id = c.framework_id and f.status = 'published'
        where c.group_number = 1`,
      [staff.filter((_s, i) => i % 3 !== 0).map((s) => s.id)],
    );
    const last = lastEndedQuarter(londonToday());
    for (const q of [previousQuarter(last), last]) await takeSnapshot(pool, q, { userId: null });
    boardEmail = (await addUser(server, 'board-member')).email;
    adminEmail = (await addUser(server, 'partnership-admin')).email;
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  async function signIn(email: string): Promise<Page> {
    const page = await browser.newPage();
    recordCspViolations(page, csp);
    await page.goto(`${server.url}/sign-in`);
    await page.fill('#email', email);
    await page.fill('#password', TEST_PASSWORD);
    await page.click('form[action="/sign-in"] button[type=submit]');
    await page.waitForURL((url) => !url.pathname.startsWith('/sign-in'));
    return page;
  }

  it('a board member goes from the navigation to the figures, by sector and by organisation, each chart with its text alternative', async () => {
    const page = await signIn(boardEmail);
    await page.click('nav >> text=Board');
    expect(await page.textContent('h1')).to.equal('Training coverage across the partnership');
    const chart = page.locator('svg[role="img"]').first();
    expect(await chart.getAttribute('aria-label')).to.match(/^Share of staff compliant, due soon and overdue by staff group\. All groups: \d+% compliant/);
    expect(await page.locator('table caption', { hasText: 'Staff in each group and how many are compliant' }).count()).to.equal(1);
    // The sector and organisation pages share one template: the second is checked with axe.
    await page.click('text=By sector');
    expect(await page.textContent('main')).to.contain('Police');
    await page.click('text=By organisation');
    expect(await page.textContent('main')).to.contain('Test Council');
    expect(await page.textContent('main')).to.not.contain('Person 1-');
    await expectAccessiblePage(page, csp);
    await page.close();
  });

  it('an administrator manages the figures, declares a headcount and reads the licensing page, all accessible', async () => {
    const page = await signIn(adminEmail);
    // The administrator's /board has everything a board member's has, plus the forms.
    await page.goto(`${server.url}/board`);
    expect(await page.textContent('main')).to.contain('Take snapshot');
    await expectAccessiblePage(page, csp);
    await page.goto(`${server.url}/organisations/test-council/headcount`);
    await page.fill('#staff1', 'many');
    await page.click('button:has-text("Save headcount")');
    expect(await page.textContent('.govuk-error-summary')).to.contain('Staff in Group 1 must be a whole number');
    await expectAccessiblePage(page, csp);
    await page.goto(`${server.url}/board/licensing`);
    expect(await page.textContent('main')).to.contain('Far Charity');
    await expectAccessiblePage(page, csp);
    await page.close();
  });
});
