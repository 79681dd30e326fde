import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { expectAccessiblePage, recordCspViolations } from '../../test/support/axe';
import { launchBrowser } from '../../test/support/browser';
import { startTestServer, type TestServer } from '../../test/support/server';
import { runsOnThisPass } from '../../test/support/one-pass';

/** An organisational lead imports their HR list and maps a new job title, in a real browser. */
describe('staff import journey in a browser', function () {
  this.timeout(120_000);
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  const cspViolations: string[] = [];
  let dir: string;

  const accessible = async () => {
    await expectAccessiblePage(page, cspViolations);
  };

  before(async function () {
    // The pages and the browser behave the same whatever the database; what they store is
    // checked on both passes by the HTTP suites (test/support/one-pass.ts).
    if (!runsOnThisPass('pglite')) this.skip();
    server = await startTestServer({ demo: true });
    browser = await launchBrowser();
    page = await browser.newPage();
    recordCspViolations(page, cspViolations);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'staff-browser-'));
    await page.goto(`${server.url}/sign-in`);
    await page.fill('#email', 'lead@valecounty.example');
    await page.fill('#password', 'demo-learning-2026');
    await page.click('button[type=submit]');
    await page.waitForURL(`${server.url}/`);
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('uploads a CSV, shows the preview, confirms, and the new people appear in the staff list', async () => {
    await page.click('text=Staff');
    await page.click('text=Import staff from a CSV file');
    await accessible();
    await page.click('button:has-text("Check the file")');
    expect(await page.textContent('.govuk-error-summary')).to.contain('Select a CSV file');
    await accessible();

    const file = path.join(dir, 'hr.csv');
    fs.writeFileSync(
      file,
      'name,email,job_title,staff_number,start_date\nOla Nowak,ola.nowak@valecounty.example,Housing officer,B1,01/09/2025\nPip Rees,pip.rees@valecounty.example,Outreach lead,B2,\n',
    );
    await page.setInputFiles('#file', file);
    await page.click('button:has-text("Check the file")');
    await page.waitForSelector('text=To add (2)');
    await accessible();
    await page.click('button:has-text("Confirm and import")');
    await page.waitForURL(/\/staff\?org=vale-county-council$/, { timeout: 60_000 });
    expect(await page.textContent('.govuk-notification-banner')).to.contain('Import applied: 2 added');
    expect(await page.textContent('table')).to.contain('Ola Nowak');
    await accessible();
  });

  it('maps the unknown job title from the unmapped list and shows the change in the person’s history', async () => {
    await page.click('a:has-text("Unmapped job titles")');
    await accessible();
    const form = page.locator('form', { hasText: 'Outreach lead' });
    await form.locator('select').selectOption('2');
    await form.locator('button').click();
    await page.waitForSelector('text="Outreach lead" is now Group 2');
    await page.goto(`${server.url}/staff?q=Pip`);
    await page.click('a:has-text("Pip Rees")');
    expect(await page.textContent('.govuk-summary-list')).to.contain('Group 2');
    expect(await page.textContent('table')).to.contain('Job title "Outreach lead" mapped to Group 2');
    await page.click('button:has-text("Change group")');
    expect(await page.textContent('.govuk-error-summary')).to.contain('Enter the reason');
    await accessible();
  });
});
