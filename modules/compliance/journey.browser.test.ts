import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { axeViolations, describeViolations } from '../../test/support/axe';
import { launchBrowser } from '../../test/support/browser';
import { TEST_DB } from '../../test/support/database';
import { startTestServer, type TestServer } from '../../test/support/server';
import { recordCourseCompletion } from '../evidence/api';
import { londonToday } from './service';
import { runsOnThisPass } from '../../test/support/one-pass';

/**
 * A learner's home says what to do by when, and My training groups it by course; a lead reviews
 * compliance and sees why someone is overdue; a trainer finds the register of a session that has run.
 */
describe(`training, evidence and compliance pages in a browser (${TEST_DB})`, function () {
  this.timeout(180_000);
  let server: TestServer;
  let browser: Browser;

  before(async function () {
    // The pages and the browser behave the same whatever the database; what they store is
    // checked on both passes by the HTTP suites (test/support/one-pass.ts).
    if (!runsOnThisPass('pglite')) this.skip();
    server = await startTestServer({ demo: true });
    // The demo learner has not done the catalogue's prerequisite course; take it out of this journey.
    await server.product.database.pool.query(
      `delete from course_prerequisites where course_id = (select id from courses where slug = 'responding-to-domestic-abuse')`,
    );
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  async function signIn(email: string): Promise<Page> {
    const page = await browser.newPage();
    await page.goto(`${server.url}/sign-in`);
    await page.fill('#email', email);
    await page.fill('#password', 'demo-learning-2026');
    await page.click('form[action="/sign-in"] button[type=submit]');
    await page.waitForURL((url) => !url.pathname.startsWith('/sign-in'));
    return page;
  }

  async function expectAccessible(page: Page) {
    const violations = await axeViolations(page);
    expect(violations, describeViolations(violations)).to.deep.equal([]);
  }

  it('a learner’s home says their group, status with its day in red, how much is met and what to do; after passing a course it stays right; My training groups by course and books a session', async () => {
    const page = await signIn('learner@valecounty.example');
    const main = page.locator('main');
    expect(await main.textContent())
      .to.contain('Group 2')
      .and.contain('0 of 11 met')
      .and.match(/Overdue\s+since \d+ \w+ \d{4}/);
    expect(await page.getAttribute('[data-status] .govuk-tag', 'class')).to.contain('govuk-tag--red');
    expect(await page.getAttribute('a:has-text("Start Domestic abuse awareness")', 'href')).to.equal('/courses/domestic-abuse-awareness/play');
    expect(await page.getAttribute('a:has-text("Book Responding to domestic abuse")', 'href')).to.match(/^\/training-sessions\//);
    await expectAccessible(page);

    // Passing the e-learning meets the Group 1 competencies; the Group 2 ones are still needed.
    const pool = server.product.database.pool;
    const { rows } = await pool.query<{ staffId: string; courseId: string }>(
      `select s.id as "staffId", (select id from courses where slug = 'domestic-abuse-awareness') as "courseId" from staff s join users u on u.id = s.user_id where u.email = 'learner@valecounty.example'`,
    );
    await server.product.database.transaction((client) =>
      recordCourseCompletion(client, server.product.events, {
        ...rows[0],
        achievedOn: londonToday(),
        source: 'elearning',
        sourceRef: 'journey-test',
        recordedBy: null,
      }),
    );
    await page.reload();
    const home = await main.textContent();
    expect(home)
      .to.contain('6 of 11 met')
      .and.match(/Overdue\s+since/)
      .and.not.contain('Next expiry')
      .and.not.contain('Start Domestic abuse awareness');

    await page.click('nav >> text=My training');
    expect(await page.textContent('h1')).to.equal('My training');
    expect(await page.locator('[data-step]').count(), 'one step for the one course that meets what is left').to.equal(1);
    expect(await page.locator('[data-step] li').count()).to.equal(5 + 2);
    expect(await main.textContent())
      .to.contain('What you have met')
      .and.not.contain('no sessions scheduled yet');
    await expectAccessible(page);
    await page.click('a:has-text("Book Responding to domestic abuse")');
    await page.click('button:has-text("Book a place")');
    expect(await page.textContent('main')).to.contain('You have a place on this session');
    await page.goto(`${server.url}/`);
    expect(await page.getAttribute('a:has-text("You are booked on Responding to domestic abuse")', 'href')).to.match(/^\/training-sessions\//);
    await page.close();
  });

  it('a lead opens compliance, follows a count to the filtered staff list, reaches a person’s evidence page, and prints the self-assessment figures', async () => {
    const page = await signIn('lead@valecounty.example');
    await page.click('nav >> text=Compliance');
    expect(await page.textContent('h1')).to.contain('Vale County Council');
    await expectAccessible(page);
    await page.locator('table').first().locator('a').first().click();
    expect(page.url()).to.contain('/staff?status=');
    expect(await page.textContent('h1')).to.contain('Staff');
    await expectAccessible(page);
    await page.locator('main table tbody a').first().click();
    expect(await page.textContent('h1')).to.contain('Evidence:');
    await expectAccessible(page);
    // Someone whose evidence has all lapsed: the page says why they are overdue and keeps the expired evidence apart.
    const { rows } = await server.product.database.pool.query<{ id: string; name: string }>(
      `select s.id, s.name from staff s join organisations o on o.id = s.organisation_id and o.slug = 'vale-county-council'
        where s.group_number is not null and s.leaving_date is null and (s.start_date is null or s.start_date < current_date - 100) and exists (select 1 from evidence e where e.staff_id = s.id)
          and not exists (select 1 from evidence e where e.staff_id = s.id and e.achieved_on > current_date - interval '36 months')
        order by s.name limit 1`,
    );
    await page.goto(`${server.url}/staff/${rows[0].id}/evidence`);
    expect(await page.textContent('main h2')).to.equal(`Why ${rows[0].name} is overdue`);
    expect(await page.locator('[data-outstanding] li').first().textContent()).to.match(/Expired on \d+ \w+ \d{4}/);
    expect(await page.textContent('[data-current-evidence]')).to.contain('No current evidence');
    expect(await page.textContent('[data-expired-evidence] caption')).to.equal('Expired evidence');
    expect(await page.textContent('main')).to.not.contain('framework version');
    await page.click('a:has-text("Record sign-off")');
    await expectAccessible(page);
    // The self-assessment summary: its print link works only with the module's script, and printing leaves out the menus.
    await page.goto(`${server.url}/compliance/vale-county-council/self-assessment`);
    expect(await page.textContent('h1')).to.equal('Figures for the annual self-assessment');
    expect(await page.isVisible('a.app-print-link')).to.equal(true);
    await expectAccessible(page);
    await page.emulateMedia({ media: 'print' });
    expect(await page.isVisible('.govuk-service-navigation')).to.equal(false);
    expect(await page.isVisible('a.app-print-link')).to.equal(false);
    expect(await page.isVisible('main table')).to.equal(true);
    await page.close();
  });

  it('a trainer opens My sessions, finds the demo session that has run and takes its register', async () => {
    const page = await signIn('trainer@vale-partnership.example');
    await page.click('nav >> text=My sessions');
    expect(await page.textContent('h1')).to.equal('My sessions');
    expect(await page.textContent('[data-recent]')).to.contain('Register not taken');
    await expectAccessible(page);
    await page.locator('[data-recent] a:has-text("Take the register")').first().click();
    const boxes = page.locator('input[name=attended]');
    expect(await boxes.count()).to.be.at.least(2);
    await boxes.first().check();
    await page.click('button:has-text("Save register")');
    expect(await page.textContent('main')).to.contain('Taken on');
    await page.close();
  });
});
