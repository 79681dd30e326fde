import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { DEMO_PASSWORD } from '../../server/demo';
import { expectAccessiblePage, recordCspViolations } from '../../test/support/axe';
import { launchBrowser } from '../../test/support/browser';
import { runsOnThisPass } from '../../test/support/one-pass';
import { startTestServer, type TestServer } from '../../test/support/server';
import { signedCredential } from '../credentials/api';
import { recordCourseCompletion } from '../evidence/api';
import { formatCode } from './codes';
import { todayInLondon } from './rules';
import { findCurrentByCode } from './store';

/** An employer checking a certificate, and a lead revoking one, on accessible pages under the strict CSP. */
describe('certificate pages in a browser', function () {
  this.timeout(180_000);
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let certificate: { id: string; code: string };
  const cspViolations: string[] = [];

  before(async function () {
    // The pages and the browser are the same whatever the database (test/support/one-pass.ts).
    if (!runsOnThisPass('pglite')) this.skip();
    server = await startTestServer({ demo: true });
    const pool = server.product.database.pool;
    const { rows: staff } = await pool.query<{ id: string }>(`select id from staff where email = 'learner@valecounty.example'`);
    const { rows: course } = await pool.query<{ id: string }>(
      `insert into courses (slug, title, delivery) values ('awareness', 'Domestic abuse awareness', 'elearning') returning id`,
    );
    await pool.query(
      `insert into course_competencies (course_id, competency_lineage)
       select $1, c.lineage from competencies c join frameworks f on f.id = c.framework_id and f.status = 'published' where c.group_number = 1`,
      [course[0].id],
    );
    await server.product.database.transaction((client) =>
      recordCourseCompletion(client, server.product.events, {
        staffId: staff[0].id,
        courseId: course[0].id,
        achievedOn: todayInLondon(),
        source: 'elearning',
        sourceRef: 'a1',
        recordedBy: null,
      }),
    );
    certificate = (await pool.query<{ id: string; code: string }>(`select id, code from certificates where kind = 'course'`)).rows[0];
    browser = await launchBrowser();
    page = await browser.newPage();
    recordCspViolations(page, cspViolations);
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  async function expectAccessible() {
    await expectAccessiblePage(page, cspViolations);
  }

  it('lets anyone check a code as they read it off the paper, and says when it has a typo', async () => {
    await page.goto(`${server.url}/verify`);
    await expectAccessible();
    const typed = formatCode(certificate.code).toLowerCase().replace(/-/g, ' ');
    const wrong = typed.slice(0, -1) + (typed.endsWith('a') ? 'b' : 'a');
    await page.fill('#code', wrong);
    await page.click('button:has-text("Check certificate")');
    expect(await page.textContent('.govuk-error-summary')).to.contain('This code has a typo');
    await expectAccessible();
    await page.fill('#code', typed);
    await page.click('button:has-text("Check certificate")');
    const main = await page.textContent('main');
    expect(main).to.contain('This certificate is valid');
    expect(main).to.contain('Sam Taylor');
    expect(main).to.contain('Vale Domestic Abuse Partnership (demo)');
    await expectAccessible();
  });

  it('lets anyone upload a digital certificate on a phone: a file that is not one gets the error summary, a genuine one is valid', async () => {
    const held = await findCurrentByCode(server.product.database.pool, certificate.code);
    const credential = await signedCredential(server.product.database.pool, server.product.config.publicUrl, held!);
    await page.setViewportSize({ width: 320, height: 640 });
    await page.goto(`${server.url}/verify`);
    await page.setInputFiles('#credential', { name: 'notes.json', mimeType: 'application/json', buffer: Buffer.from('not a credential') });
    await page.click('button:has-text("Check digital certificate")');
    expect(await page.textContent('.govuk-error-summary')).to.contain('it is not a JSON file');
    expect(await page.getAttribute('#credential', 'aria-describedby')).to.contain('credential-error');
    await expectAccessible();
    await page.setInputFiles('#credential', { name: 'badge.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(credential)) });
    await page.click('button:has-text("Check digital certificate")');
    const main = await page.textContent('main');
    expect(main).to.contain('This credential is valid');
    expect(main).to.contain('Sam Taylor');
    expect(main).to.contain('Group 1 competency 1');
    await expectAccessible();
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('lets a lead revoke a certificate with a reason, after which checking it says revoked', async () => {
    await page.goto(`${server.url}/sign-in`);
    await page.fill('#email', 'lead@valecounty.example');
    await page.fill('#password', DEMO_PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForURL(`${server.url}/`);
    // Certificates live on the lead's hub page ("Manage"), not in the navigation row.
    await page.click('nav >> text=Manage');
    await page.click('main a[href="/certificates"]');
    await expectAccessible();
    await page.click(`a[href="/certificates/${certificate.id}"]`);
    await page.click('button:has-text("Revoke certificate")');
    expect(await page.textContent('.govuk-error-summary')).to.contain('Enter why you are revoking this certificate');
    await expectAccessible();
    await page.fill('#revokeReason', 'Completed by someone else on their account');
    await Promise.all([page.waitForURL(/\/certificates\/[0-9a-f-]{36}$/, { waitUntil: 'load' }), page.click('button:has-text("Revoke certificate")')]);
    const revoked = await page.textContent('main');
    expect(revoked).to.contain('Revoked');
    expect(revoked).to.contain('Completed by someone else on their account');
    await expectAccessible();
    await page.goto(`${server.url}/verify?code=${certificate.code}`);
    expect(await page.textContent('main')).to.contain('This certificate has been revoked');
  });
});
