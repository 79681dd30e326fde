import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { axeViolations, describeViolations, expectAccessiblePage, recordCspViolations } from './support/axe';
import { launchBrowser } from './support/browser';
import { TEST_DB } from './support/database';
import { startTestServer, type TestServer } from './support/server';
import { runsOnThisPass } from './support/one-pass';

/** The shared layout and the pages every visitor meets, checked as a person using a browser would. */
describe(`layout and core pages in a browser (${TEST_DB})`, function () {
  this.timeout(120_000);
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  const cspViolations: string[] = [];

  before(async function () {
    // The pages and the browser are the same whatever the database (test/support/one-pass.ts).
    if (!runsOnThisPass('pglite')) this.skip();
    server = await startTestServer({ demo: true });
    browser = await launchBrowser();
    page = await browser.newPage();
    recordCspViolations(page, cspViolations);
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  for (const path of ['/', '/sign-in', '/accessibility', '/support', '/privacy', '/no-such-page']) {
    it(`${path} has no WCAG 2.2 AA violations and breaks no Content-Security-Policy rule`, async () => {
      await page.goto(`${server.url}${path}`);
      await expectAccessiblePage(page, cspViolations);
    });
  }

  it('signs in with the keyboard alone and shows the signed-in home page', async () => {
    await page.goto(`${server.url}/sign-in`);
    await page.keyboard.press('Tab'); // skip link
    await page.focus('#email');
    await page.keyboard.type('admin@vale-partnership.example');
    await page.keyboard.press('Tab');
    await page.keyboard.type('demo-learning-2026');
    await page.keyboard.press('Enter');
    await page.waitForURL(`${server.url}/`);
    expect(await page.textContent('body')).to.contain('Signed in as Priya Shah');
    const violations = await axeViolations(page);
    expect(violations, describeViolations(violations)).to.deep.equal([]);
  });

  it('shows every sign-in error in the GOV.UK error summary', async () => {
    const fresh = await browser.newPage();
    await fresh.goto(`${server.url}/sign-in`);
    await fresh.click('button[type=submit]');
    const summary = await fresh.textContent('.govuk-error-summary');
    expect(summary).to.contain('Enter your email address');
    expect(summary).to.contain('Enter your password');
    await fresh.close();
  });

  it('keeps working at 400% zoom (320 CSS pixels wide) without sideways scrolling', async () => {
    const narrow = await browser.newPage({ viewport: { width: 320, height: 640 } });
    await narrow.goto(`${server.url}/accessibility`);
    const overflow = await narrow.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).to.be.at.most(0);
    await narrow.close();
  });
});
