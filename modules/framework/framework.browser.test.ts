import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { DEMO_PASSWORD } from '../../server/demo';
import { expectAccessiblePage, recordCspViolations } from '../../test/support/axe';
import { launchBrowser } from '../../test/support/browser';
import { sixGroupFramework } from '../../test/support/frameworks';
import { startTestServer, type TestServer } from '../../test/support/server';
import { runsOnThisPass } from '../../test/support/one-pass';

/** The framework and organisation pages as an administrator meets them, checked for WCAG 2.2 AA and CSP. */
describe('framework and organisation pages in a browser', function () {
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
    await page.goto(`${server.url}/sign-in`);
    await page.fill('#email', 'admin@vale-partnership.example');
    await page.fill('#password', DEMO_PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForURL(`${server.url}/`);
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  /** Clicks something that loads a new page and waits for it, so checks never run on the page being left. */
  async function go(selector: string) {
    await Promise.all([page.waitForNavigation(), page.click(selector)]);
  }

  async function expectAccessible() {
    await expectAccessiblePage(page, cspViolations);
  }

  it('drafts a competency change, previews who it affects and publishes it, on accessible pages', async () => {
    await page.goto(`${server.url}/framework`);
    await expectAccessible();
    await go('text=Manage the framework');
    await go('text=Start a draft of the next version');
    await expectAccessible();
    await go('text=Add a competency to Staff Group 2');
    await go('button:has-text("Add the competency")');
    expect(await page.textContent('.govuk-error-summary')).to.contain('Enter the competency');
    await expectAccessible();
    await page.fill('#text', 'Respond proportionately to sexual abuse, as the strategy asks.');
    await go('button:has-text("Add the competency")');
    await go('text=Check what changes and publish');
    expect(await page.textContent('main')).to.contain('Respond proportionately to sexual abuse, as the strategy asks.');
    await expectAccessible();
    await go('button:has-text("Publish version 2")');
    expect(await page.textContent('.govuk-notification-banner')).to.contain('Version 2 of the framework is published');
  });

  it('shows organisation settings and their errors accessibly', async () => {
    await page.goto(`${server.url}/admin/organisations`);
    await expectAccessible();
    await go('text=Northshire District Council');
    expect(await page.textContent('main')).to.contain('Seats used');
    await expectAccessible();
    await go('text=Change the settings of Northshire District Council');
    await page.fill('#refresher1', '0');
    await go('button:has-text("Save settings")');
    expect(await page.textContent('.govuk-error-summary')).to.contain('between 1 and 120');
    await expectAccessible();
    await page.goto(`${server.url}/admin/organisations/northshire-council/licences/new`);
    await go('button:has-text("Add licence")');
    expect(await page.textContent('.govuk-error-summary')).to.contain('Enter the start date');
    await expectAccessible();
  });

  it('imports another partnership’s framework: each problem in the error summary, then a preview of who it affects, on accessible pages, on a phone too', async () => {
    await page.setViewportSize({ width: 375, height: 800 });
    await page.goto(`${server.url}/admin/framework`);
    await go('text=Import a framework document');
    await expectAccessible();
    const broken = sixGroupFramework();
    broken.groups[1].includesGroups = [2];
    broken.groups[2].competencies[1].number = 1;
    await page.setInputFiles('#document', { name: 'ours.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(broken)) });
    await go('button:has-text("Check the file and make a draft")');
    const problems = await page.locator('.govuk-error-summary__list li').allTextContents();
    expect(problems.map((p) => p.trim())).to.deep.equal([
      'Group 2 includes itself (groups[1].includesGroups[0])',
      'Group 3 has more than one competency numbered 1 (groups[2].competencies[1].number)',
    ]);
    expect(await page.textContent('#document-error')).to.contain('The file has 2 problems, listed above');
    await expectAccessible();
    await page.setInputFiles('#document', { name: 'ours.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(sixGroupFramework())) });
    await go('button:has-text("Check the file and make a draft")');
    expect(await page.textContent('main')).to.contain('The framework goes from 4 staff groups to 6.');
    await expectAccessible();
    await page.setViewportSize({ width: 1280, height: 800 });
  });
});
