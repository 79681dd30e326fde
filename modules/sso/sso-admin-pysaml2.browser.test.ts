import { expect } from 'chai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { DEMO_PASSWORD } from '../../server/demo';
import { launchBrowser } from '../../test/support/browser';
import { attributesFor, freeLoopbackPort, NAMEID_PERSISTENT, type PersonClaims, type Pysaml2Idp, startPysaml2Idp } from '../../test/support/pysaml2-idp';
import { startTestServer, TestAgent, type TestServer } from '../../test/support/server';

const SLUG = 'vale-county-council';

/**
 * The administrator's and staff's side of single sign-on against pysaml2, an
 * IdP that shares no code with the product: its real metadata imported from
 * its URL, Shibboleth's urn:oid: names with FriendlyName (matched either way),
 * the work-email route with a deep link, the last response, and a missing
 * email. sso-admin.browser.test.ts covers the same against samlp on both
 * databases (with the metadata schedule and single logout); what is tried here
 * is the IdP's side, the same on either database, so it runs on one CI pass.
 */
describe('single sign-on administration against pysaml2 in Chromium', function () {
  this.timeout(180_000);
  if (process.env.PAGE_SWEEP_ON_OTHER_PASS === '1') return;
  let server: TestServer;
  let idp: Pysaml2Idp;
  let browser: Browser;
  let admin: BrowserContext;
  let adminPage: Page;

  before(async () => {
    const port = await freeLoopbackPort();
    [server, idp, browser] = await Promise.all([
      startTestServer({ demo: true, config: { port, publicUrl: `http://127.0.0.1:${port}` } }),
      startPysaml2Idp({ entityId: 'https://idp.valecounty.example/idp/shibboleth' }),
      launchBrowser(),
    ]);
    admin = await browser.newContext();
    adminPage = await admin.newPage();
    await adminPage.goto(`${server.url}/sign-in`);
    await adminPage.fill('#email', 'admin@vale-partnership.example');
    await adminPage.fill('#password', DEMO_PASSWORD);
    await adminPage.click('form[action="/sign-in"] button');
    await adminPage.waitForURL((u) => !u.pathname.startsWith('/sign-in'));
  });

  after(async () => {
    await browser?.close();
    await idp?.close();
    await server?.close();
  });

  const person: PersonClaims = { email: 'rowan.oid@valecounty.example', givenName: 'Rowan', surname: 'Oid', jobTitle: 'Housing Officer', team: 'Homelessness', staffNumber: 'VC-77' };

  async function staffRecord(email: string) {
    const { rows } = await server.product.database.pool.query(`select name, job_title, team, staff_number from staff where lower(email) = $1`, [email]);
    return rows[0];
  }

  it('imports pysaml2’s metadata from its URL and signs in with FriendlyName matching, by the work-email route to a deep link', async () => {
    await adminPage.goto(`${server.url}/admin/sso/${SLUG}`);
    await adminPage.fill('#metadataImportUrl', idp.metadataUrl);
    await adminPage.click('button:has-text("Import metadata")');
    expect(await adminPage.inputValue('#idpEntityId')).to.equal(idp.entityId);
    expect(await adminPage.inputValue('#idpEntryPoint')).to.equal(idp.ssoUrl);
    // Friendly names instead of the preset's urn:oid: names: a Shibboleth attribute is found by either.
    await adminPage.check('#preset-custom');
    for (const [field, name] of Object.entries({ email: 'mail', givenName: 'givenName', surname: 'sn', displayName: '', jobTitle: 'title', team: 'ou', staffNumber: 'employeeNumber' })) {
      await adminPage.fill(`#attr_${field}`, name);
    }
    await adminPage.check('#enabled');
    await adminPage.click('button:has-text("Save settings")');
    await adminPage.waitForURL(`${server.url}/admin/sso`);

    await idp.setMode({ attributes: attributesFor(person, 'oid'), nameId: { value: 'rowan-7f3a', format: NAMEID_PERSISTENT } });
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.url}/my-certificates`);
    await page.fill('#work-email', person.email);
    await page.click('button:has-text("Continue")');
    await page.waitForURL(`${server.url}/my-certificates`, { timeout: 30_000 });
    await context.close();
    expect(await staffRecord(person.email)).to.deep.equal({ name: 'Rowan Oid', job_title: 'Housing Officer', team: 'Homelessness', staff_number: 'VC-77' });

    await adminPage.goto(`${server.url}/admin/sso/${SLUG}/last-response`);
    const table = (await adminPage.textContent('#received-attributes')) ?? '';
    for (const text of ['urn:oid:0.9.2342.19200300.100.1.3', 'mail', person.email, 'urn:oid:2.5.4.12', 'title', 'job title']) expect(table).to.contain(text);
    expect(await adminPage.textContent('main')).to.contain('rowan-7f3a');
    expect(await adminPage.content()).to.not.match(/SignatureValue|X509Certificate|BEGIN CERTIFICATE/);
  });

  it('signs in with the Shibboleth preset’s urn:oid: names', async () => {
    await adminPage.goto(`${server.url}/admin/sso/${SLUG}`);
    await adminPage.check('#preset-shibboleth');
    await adminPage.click('button:has-text("Save settings")');
    await adminPage.waitForURL(`${server.url}/admin/sso`);
    const shib = { ...person, email: 'sam.shib@valecounty.example', givenName: 'Sam', surname: 'Shib', staffNumber: 'VC-78' };
    await idp.setMode({ attributes: attributesFor(shib, 'oid'), nameId: { value: 'sam-91c2', format: NAMEID_PERSISTENT } });
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.url}/auth/saml/${SLUG}/login?returnTo=/framework`);
    await page.waitForURL(`${server.url}/framework`);
    await context.close();
    expect(await staffRecord(shib.email)).to.include({ name: 'Sam Shib', job_title: 'Housing Officer', staff_number: 'VC-78' });
  });

  it('tells the person to contact their IT team when the IdP sends no email, and the administrator which attribute was missing', async () => {
    const { email: _email, ...noEmail } = person;
    await idp.setMode({ attributes: attributesFor({ ...noEmail, email: '' }, 'oid'), nameId: { value: 'rowan-7f3a', format: NAMEID_PERSISTENT } });
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.url}/auth/saml/${SLUG}/login`);
    await page.waitForSelector('h1:has-text("We could not sign you in")');
    expect(await page.textContent('main')).to.contain('contact your IT team');
    await context.close();
    await adminPage.goto(`${server.url}/admin/sso/${SLUG}/last-response`);
    const text = (await adminPage.textContent('main')) ?? '';
    expect(text).to.contain('Refused');
    expect(text).to.contain('urn:oid:0.9.2342.19200300.100.1.3');
    expect(text).to.match(/Not in this response:[\s\S]*Email address/);
  });

  it('answers a malformed or oversized metadata import with a message, never a server error', async () => {
    const agent = new TestAgent(server.url);
    await agent.signIn('admin@vale-partnership.example', DEMO_PASSWORD);
    await agent.get(`/admin/sso/${SLUG}`);
    const post = (body: BodyInit, type: string) =>
      agent.request('POST', `/admin/sso/${SLUG}/import`, { body, headers: { 'content-type': type, 'x-csrf-token': agent.csrfToken ?? '' } });
    const broken = await post('--x\r\nContent-Disposition: form-data; name="metadataXml"\r\n\r\n<EntityDescriptor', 'multipart/form-data; boundary=x');
    expect(broken.status).to.equal(400);
    const form = new FormData();
    form.append('_csrf', agent.csrfToken ?? '');
    form.append('metadataFile', new Blob([`<EntityDescriptor>${'x'.repeat(3 * 1024 * 1024)}</EntityDescriptor>`]), 'big.xml');
    const big = await agent.request('POST', `/admin/sso/${SLUG}/import`, { body: form });
    expect(big.status).to.equal(400);
    expect(await big.text()).to.contain('larger than 2 MB');
    const notMultipart = await post('metadataXml=x', 'application/x-www-form-urlencoded');
    expect(notMultipart.status).to.equal(400);
  });
});
