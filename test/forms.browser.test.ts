import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { DEMO_PASSWORD } from '../server/demo';
import { expectAccessiblePage, recordCspViolations } from './support/axe';
import { launchBrowser } from './support/browser';
import { startTestServer, type TestServer } from './support/server';
import { runsOnThisPass } from './support/one-pass';

/**
 * GOV.UK form patterns as people meet them in Chromium: the date input, a
 * time typed as people write it, the character count, an error summary whose
 * links show at once and lead to the field, what was typed kept, and no form
 * token in the address bar after a failed upload.
 */
describe('forms in the GOV.UK way, in a browser', function () {
  this.timeout(180_000);
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  const cspViolations: string[] = [];
  const failedRequests: string[] = [];

  before(async function () {
    // The browser and the pages are the same whatever the database.
    if (!runsOnThisPass('pglite')) this.skip();
    server = await startTestServer({ demo: true });
    browser = await launchBrowser();
    page = await browser.newPage();
    recordCspViolations(page, cspViolations);
    page.on('response', (r) => {
      // Pages and uploads answer a mistake with 400 or 422 on purpose; what must never fail is what the page asks for.
      if (r.status() >= 400 && !['document', 'xhr', 'fetch'].includes(r.request().resourceType())) failedRequests.push(`${r.status()} ${r.url()}`);
    });
    page.on('request', (r) => {
      if (/\.woff2?$/.test(r.url())) failedRequests.push(`font asked for: ${r.url()}`);
    });
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  const signIn = async (email: string) => {
    await page.context().clearCookies();
    await page.goto(`${server.url}/sign-in`);
    await page.fill('#email', email);
    await page.fill('#password', DEMO_PASSWORD);
    await page.click('form[action="/sign-in"] button[type=submit]');
    await page.waitForURL((url) => !url.pathname.startsWith('/sign-in'));
  };

  it('a trainer creates a session with the date input and typed times; mistakes are summarised, linked and kept', async () => {
    await signIn('trainer@vale-partnership.example');
    await page.goto(`${server.url}/training-sessions/new`);
    const nextYear = String(new Date().getFullYear() + 1);
    await page.selectOption('#courseId', { index: 1 });
    await page.fill('#date-day', '31');
    await page.fill('#date-month', '2');
    await page.fill('#date-year', nextYear);
    await page.fill('#startTime', '12pm');
    await page.fill('#venue', 'v'.repeat(201));
    // The character count says so as it is typed.
    expect(await page.textContent('#venue ~ .govuk-character-count__status')).to.contain('1 character too many');
    await page.fill('#capacity', '12');
    await Promise.all([page.waitForNavigation(), page.click('button:has-text("Create session")')]);

    const summary = page.locator('.govuk-error-summary');
    expect(await page.title()).to.match(/^Error: /);
    const links = await summary.locator('a').evaluateAll((as) => as.map((a) => [a.getAttribute('href'), a.textContent?.trim()]));
    expect(links).to.deep.equal([
      ['#date-day', 'The date of the session must be a real date'],
      ['#endTime', 'Enter the end time'],
      ['#venue', 'The venue must be 200 characters or fewer'],
    ]);
    // Shown at once in Arial, never waiting for a font that is not there.
    expect(
      await summary
        .locator('a')
        .first()
        .evaluate((a) => getComputedStyle(a).fontFamily.toLowerCase()),
    ).to.match(/^arial/);
    expect(await page.evaluate(() => [...document.fonts].map((f) => f.family))).to.deep.equal([]);
    // What was typed is still there, and the summary link takes the keyboard to the box.
    expect(await page.inputValue('#date-day')).to.equal('31');
    expect(await page.inputValue('#startTime')).to.equal('12pm');
    expect(await page.getAttribute('#date-day', 'class')).to.contain('govuk-input--error');
    expect(await page.getAttribute('#date-year', 'class')).to.not.contain('govuk-input--error');
    await summary.locator('a').first().click();
    expect(await page.evaluate(() => document.activeElement?.id)).to.equal('date-day');
    await expectAccessiblePage(page, cspViolations);

    await page.fill('#date-day', '28');
    await page.fill('#endTime', '12:30pm');
    await page.fill('#venue', 'Civic Centre, Vale');
    await Promise.all([page.waitForNavigation(), page.click('button:has-text("Create session")')]);
    expect(page.url()).to.match(/\/training-sessions\/[0-9a-f-]{36}$/);
    const main = (await page.textContent('main')) ?? '';
    expect(main).to.contain(`28 February ${nextYear} at 12pm`).and.contain(`28 February ${nextYear} at 12:30pm`);
    expect(main).to.not.match(/(^|[^\d:])0pm/);
  });

  it('an administrator’s failed SCORM upload is answered in words, with an error summary, and no token in the address', async () => {
    await signIn('admin@vale-partnership.example');
    await page.goto(`${server.url}/scorm/packages`);
    await page.setInputFiles('#package', { name: 'course.zip', mimeType: 'application/zip', buffer: Buffer.from('This is a Word document, not a zip') });
    await page.click('button:has-text("Upload package")');
    const summary = page.locator('.govuk-error-summary');
    await summary.waitFor();
    expect(await summary.textContent())
      .to.contain('The file is not a zip file')
      .and.not.contain('central directory');
    expect(await summary.locator('a').getAttribute('href')).to.equal('#package');
    expect(page.url()).to.not.contain('_csrf');
    // Without the page's script the form posts itself; the answer comes back at the form's own address.
    await page.evaluate(() => document.getElementById('scorm-upload')?.replaceWith(document.getElementById('scorm-upload')!.cloneNode(true)));
    await page.setInputFiles('#package', { name: 'course.zip', mimeType: 'application/zip', buffer: Buffer.from('still not a zip') });
    await Promise.all([page.waitForNavigation(), page.click('button:has-text("Upload package")')]);
    expect(new URL(page.url()).search).to.equal('');
    expect(await page.textContent('.govuk-error-summary')).to.contain('The file is not a zip file');
    await expectAccessiblePage(page, cspViolations);
    expect(failedRequests).to.deep.equal([]);
  });
});
