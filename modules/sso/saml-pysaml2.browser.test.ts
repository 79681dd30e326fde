import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import { DEMO_PASSWORD } from '../../server/demo';
import { launchBrowser } from '../../test/support/browser';
import { attributesFor, freeLoopbackPort, type Pysaml2Idp, startPysaml2Idp } from '../../test/support/pysaml2-idp';
import { startTestServer, TestAgent, type TestServer } from '../../test/support/server';

const SLUG = 'vale-county-council';

/** The product at a PUBLIC_URL that is its real address, so the ACS URL it sends the IdP can be posted to. */
async function serverAtItsOwnUrl(): Promise<TestServer> {
  const port = await freeLoopbackPort();
  return startTestServer({ demo: true, config: { port, publicUrl: `http://127.0.0.1:${port}` } });
}

/**
 * The whole round trip in Chromium against pysaml2: the product's redirect to
 * the IdP, the IdP's auto-posting form back to the ACS, and the signed-in page.
 * The product's pages and redirects are the same on either database, so this
 * runs on one CI pass only.
 */
describe('SAML single sign-on against pysaml2 in a browser', function () {
  this.timeout(180_000);
  if (process.env.PAGE_SWEEP_ON_OTHER_PASS === '1') return;
  let server: TestServer;
  let idp: Pysaml2Idp;
  let browser: Browser;

  before(async () => {
    [server, idp, browser] = await Promise.all([serverAtItsOwnUrl(), startPysaml2Idp(), launchBrowser()]);
    const admin = new TestAgent(server.url);
    await admin.signIn('admin@vale-partnership.example', DEMO_PASSWORD);
    await admin.get(`/admin/sso/${SLUG}`);
    const saved = await admin.postForm(`/admin/sso/${SLUG}`, {
      enabled: 'yes',
      idpEntryPoint: idp.ssoUrl,
      idpEntityId: idp.entityId,
      certificates: idp.keys.cert,
      spEntityId: '',
      attr_email: 'urn:oid:0.9.2342.19200300.100.1.3',
      attr_givenName: 'urn:oid:2.5.4.42',
      attr_surname: 'urn:oid:2.5.4.4',
      attr_displayName: 'urn:oid:2.16.840.1.113730.3.1.241',
      attr_jobTitle: 'urn:oid:2.5.4.12',
      attr_team: 'urn:oid:2.5.4.11',
      attr_staffNumber: 'urn:oid:2.16.840.1.113730.3.1.3',
    });
    expect(saved.status, await saved.clone().text()).to.equal(302);
  });

  after(async () => {
    await browser?.close();
    await idp?.close();
    await server?.close();
  });

  it('signs a person in from the organisation link, through the IdP and back to the page they wanted', async () => {
    await idp.setMode({ attributes: attributesFor({ email: 'browser.person@valecounty.example', displayName: 'Bea Rowser', jobTitle: 'Housing Officer' }, 'oid') });
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.url}/auth/saml/${SLUG}/login?returnTo=/privacy`);
    await page.waitForURL(`${server.url}/privacy`);
    const request = await idp.lastRequest();
    expect(request?.acs).to.equal(`${server.product.config.publicUrl}/auth/saml/${SLUG}/acs`);
    await page.goto(`${server.url}/sign-in`);
    // A signed-in person is sent on from the sign-in page.
    expect(new URL(page.url()).pathname).to.not.equal('/sign-in');
    await context.close();
  });
});
