import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { DEMO_PASSWORD } from '../../server/demo';
import { expectAccessiblePage, recordCspViolations } from '../../test/support/axe';
import { launchBrowser } from '../../test/support/browser';
import { startTestServer, type TestServer } from '../../test/support/server';
import { runsOnThisPass } from '../../test/support/one-pass';

/** The sign-in, account and access administration pages as people meet them: WCAG 2.2 AA and no CSP breaks. */
describe('sign-in and access pages in a browser', function () {
  this.timeout(120_000);
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  const cspViolations: string[] = [];

  before(async function () {
    // The pages and the browser are the same whatever the database (test/support/one-pass.ts).
    if (!runsOnThisPass('pglite')) this.skip();
    server = await startTestServer({ demo: true });
    // One organisation signs in with its own IdP, so the sign-in page offers it.
    await server.product.database.pool.query(
      `insert into saml_identity_providers (organisation_id, enabled, idp_entry_point, idp_entity_id, idp_certificates)
       select id, true, 'https://idp.valecounty.example/saml', 'urn:vale', '{}' from organisations where slug = 'vale-county-council'`,
    );
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

  it('signs out people find their organisation, or reset a password, on accessible pages', async () => {
    await page.goto(`${server.url}/sign-in`);
    expect(await page.textContent('main')).to.contain('Vale County Council');
    await expectAccessible();
    await page.fill('#work-email', 'someone@valewomensaid.example');
    await page.click('button:has-text("Continue")');
    expect(await page.textContent('.govuk-error-summary')).to.contain('does not sign in with its own account');
    await expectAccessible();
    await page.goto(`${server.url}/password-reset`);
    await page.click('button:has-text("Send the link")');
    expect(await page.textContent('.govuk-error-summary')).to.contain('Enter your email address');
    await expectAccessible();
  });

  it('takes a reset link’s token out of the address bar at once, and sets the password on an accessible page', async () => {
    const context = await browser.newContext();
    const visitor = await context.newPage();
    await visitor.goto(`${server.url}/password-reset`);
    await visitor.fill('#email', 'trainer@vale-partnership.example');
    await visitor.click('button:has-text("Send the link")');
    const { rows } = await server.product.database.pool.query<{ text_body: string }>(
      `select text_body from outbound_messages where to_address = 'trainer@vale-partnership.example' order by created_at desc limit 1`,
    );
    const link = rows[0].text_body.match(/https?:\/\/\S+(\/password-reset\/[\w-]+)/)![1];
    const token = link.split('/').pop()!;
    await visitor.goto(`${server.url}${link}`);
    expect(visitor.url()).to.equal(`${server.url}/password-reset/new`);
    expect(await visitor.content()).to.not.contain(token);
    await visitor.fill('#password', 'kettle orchard lantern');
    await visitor.fill('#confirm', 'kettle orchard lantern');
    await visitor.click('button:has-text("Change password")');
    await visitor.waitForURL(`${server.url}/sign-in`);
    await context.close();
  });

  it('lets an administrator configure single sign-on, roles and read the audit log', async () => {
    await page.goto(`${server.url}/sign-in`);
    await page.fill('#email', 'admin@vale-partnership.example');
    await page.fill('#password', DEMO_PASSWORD);
    await page.click('button:has-text("Sign in")');
    await page.waitForURL(`${server.url}/`);

    await page.goto(`${server.url}/admin/sso`);
    await expectAccessible();
    await page.click('text=Change single sign-on for Vale Homes Housing Association');
    await page.click('button:has-text("Save settings")');
    expect(await page.textContent('.govuk-error-summary')).to.contain('Enter the identity provider’s sign-in URL');
    await expectAccessible();

    await page.goto(`${server.url}/admin/users?q=lead`);
    await expectAccessible();
    await page.click('table a.govuk-link >> nth=0');
    await page.selectOption('#role', 'org-lead');
    await page.click('button:has-text("Give role")');
    expect(await page.textContent('.govuk-error-summary')).to.contain('Select the organisation');
    await expectAccessible();

    await page.goto(`${server.url}/invitations/new`);
    await page.click('button:has-text("Send invitation")');
    expect(await page.textContent('.govuk-error-summary')).to.contain('Enter the person’s full name');
    await expectAccessible();

    await page.goto(`${server.url}/account/api-tokens`);
    expect(await page.textContent('main')).to.contain('Your API tokens');
    await expectAccessible();

    await page.goto(`${server.url}/admin/audit`);
    expect(await page.textContent('main')).to.contain('sign-in');
    await expectAccessible();
    await page.goto(`${server.url}/admin/audit?from=yesterday`);
    expect(await page.textContent('.govuk-error-summary')).to.contain('The start date must be a real date');
    await expectAccessible();
  });
});
