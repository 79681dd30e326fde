import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { DEMO_PASSWORD } from '../../server/demo';
import { expectAccessiblePage, recordCspViolations } from '../../test/support/axe';
import { launchBrowser } from '../../test/support/browser';
import { TEST_DB } from '../../test/support/database';
import { startTestServer, type TestServer } from '../../test/support/server';
import { runScan } from './scan';
import { runsOnThisPass } from '../../test/support/one-pass';

/** The reminder pages as leads, administrators and staff meet them: accessible, and within the CSP. */
describe(`reminder pages in a browser (${TEST_DB})`, function () {
  this.timeout(120_000);
  let server: TestServer;
  let browser: Browser;
  const cspViolations: string[] = [];

  before(async function () {
    // The pages and the browser behave the same whatever the database; what they store is
    // checked on both passes by the HTTP suites (test/support/one-pass.ts).
    if (!runsOnThisPass('postgres')) this.skip();
    server = await startTestServer({ demo: true });
    const { pool } = server.product.database;
    await runScan({ pool, mailer: server.product.mailer, config: server.product.config }, { force: true });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  async function signedIn(email: string): Promise<Page> {
    const page = await browser.newPage();
    recordCspViolations(page, cspViolations);
    await page.goto(`${server.url}/sign-in`);
    await page.fill('#email', email);
    await page.fill('#password', DEMO_PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForURL(`${server.url}/`);
    return page;
  }

  async function expectAccessible(page: Page): Promise<void> {
    await expectAccessiblePage(page, cspViolations);
  }

  it('the administrator reads the outbox and a message, and sees an organisation’s sent and scheduled reminders', async () => {
    const page = await signedIn('admin@vale-partnership.example');
    await page.goto(`${server.url}/admin/outbox`);
    expect(await page.textContent('h1')).to.equal('Outbox');
    await expectAccessible(page);
    // The second table (each table now sits in its own scrolling box, so nth-of-type no longer tells them apart).
    // The message opens in a new page: read it once it has loaded, not the outbox while it is being left.
    await Promise.all([page.waitForURL(/\/admin\/outbox\/[^/]+$/), page.locator('table').nth(1).locator('tbody tr:first-child a').click()]);
    expect(await page.textContent('body')).to.contain('Dear ');
    await expectAccessible(page);
    await page.goto(`${server.url}/reminders`);
    await expectAccessible(page);
    await page.goto(`${server.url}/reminders/vale-county-council`);
    expect(await page.textContent('body')).to.contain('Scheduled next');
    await expectAccessible(page);
    await page.close();
  });

  it('the lead corrects a mistake in the policy form using the error summary', async () => {
    const page = await signedIn('lead@valecounty.example');
    await page.goto(`${server.url}/reminders/vale-county-council/policy`);
    await expectAccessible(page);
    await page.fill('#digestTime', '8am');
    await page.click('button:has-text("Save")');
    expect(await page.textContent('.govuk-error-summary')).to.contain('Enter a time as HH:MM');
    await expectAccessible(page);
    await page.fill('#digestTime', '08:30');
    await page.click('button:has-text("Save")');
    await page.waitForURL(`${server.url}/reminders/vale-county-council`);
    expect(await page.textContent('body')).to.contain('at 08:30');
    await page.close();
  });

  it('a member of staff sees their own reminders', async () => {
    const page = await signedIn('learner@valecounty.example');
    await page.goto(`${server.url}/my-reminders`);
    expect(await page.textContent('h1')).to.equal('My reminders');
    await expectAccessible(page);
    await page.close();
  });
});
