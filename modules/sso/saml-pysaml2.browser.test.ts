import { expect } from 'chai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { DEMO_PASSWORD } from '../../server/demo';
import { expectAccessiblePage, recordCspViolations } from '../../test/support/axe';
import { launchBrowser } from '../../test/support/browser';
import { runModuleJobNow } from '../../test/support/jobs';
import {
  type AttributeStyle,
  attributesFor,
  freeLoopbackPort,
  type IdpMode,
  NAMEID_PERSISTENT,
  type PersonClaims,
  type Pysaml2Idp,
  startPysaml2Idp,
} from '../../test/support/pysaml2-idp';
import { startTestServer, TestAgent, type TestServer } from '../../test/support/server';
import { prepareNextSpKey, switchToNextSpKey } from './sp-keys';
import { runsOnThisPass } from '../../test/support/one-pass';

const SLUG = 'vale-county-council';
const ADMIN = 'admin@vale-partnership.example';

const pemOf = (body: string) => `-----BEGIN CERTIFICATE-----\n${body.match(/.{1,64}/g)?.join('\n')}\n-----END CERTIFICATE-----\n`;

/**
 * Single sign-on against pysaml2, an IdP that shares no code with the product
 * or node-saml, driven in Chromium with the product's real CSP: the product's
 * redirect to the IdP, the IdP's auto-posting form back to the ACS, and what
 * the person then sees (the page they asked for, or the precise refusal).
 * Covered: metadata import from the IdP's URL and its certificate rollover by
 * the scheduled refresh, each attribute preset, SP- and IdP-initiated sign-in,
 * each signing mode, SHA-1, encrypted assertions and the service's own key
 * rollover, single logout both ways, the work-email route and a missing email.
 * One IdP process, reconfigured between cases, one product server and one
 * browser. The pages and redirects are the same on either database (the SQL
 * is tried on both by saml-pysaml2.test.ts), so this runs on one CI pass only.
 */
describe('SAML single sign-on against pysaml2 in Chromium', function () {
  this.timeout(180_000);
  if (!runsOnThisPass('pglite')) return;
  let server: TestServer;
  let idp: Pysaml2Idp;
  let browser: Browser;
  /** The administrator's settings page in the browser, for what an administrator does by hand. */
  let adminPage: Page;
  /** The same administrator over HTTP, to change settings between cases quickly. */
  let admin: TestAgent;
  let acs: string;
  let spEntity: string;

  before(async () => {
    const port = await freeLoopbackPort();
    // The product at a PUBLIC_URL that is its real address, so the ACS URL it sends the IdP can be posted to.
    [server, idp, browser] = await Promise.all([
      startTestServer({ demo: true, config: { port, publicUrl: `http://127.0.0.1:${port}` } }),
      startPysaml2Idp({ entityId: 'https://idp.valecounty.example/idp/shibboleth' }),
      launchBrowser(),
    ]);
    acs = `${server.url}/auth/saml/${SLUG}/acs`;
    spEntity = `${server.url}/auth/saml/${SLUG}/metadata`;
    admin = new TestAgent(server.url);
    await admin.signIn(ADMIN, DEMO_PASSWORD);
    adminPage = await (await browser.newContext()).newPage();
    await adminPage.goto(`${server.url}/sign-in`);
    await adminPage.fill('#email', ADMIN);
    await adminPage.fill('#password', DEMO_PASSWORD);
    await adminPage.click('form[action="/sign-in"] button');
    await adminPage.waitForURL((u) => !u.pathname.startsWith('/sign-in'));
  });

  after(async () => {
    await browser?.close();
    await idp?.close();
    await server?.close();
  });

  /** Saves the organisation's settings as the administrator's form would post them (Shibboleth names, either signature). */
  async function configure(fields: Record<string, string> = {}): Promise<void> {
    await admin.get(`/admin/sso/${SLUG}`);
    const saved = await admin.postForm(`/admin/sso/${SLUG}`, {
      enabled: 'yes',
      idpEntryPoint: idp.ssoUrl,
      idpEntityId: idp.entityId,
      certificates: idp.keys.cert,
      spEntityId: '',
      preset: 'shibboleth',
      signingRequired: 'either',
      ...fields,
    });
    expect(saved.status, await saved.clone().text()).to.equal(302);
  }

  let serial = 0;
  /** Someone new each time (a response's assertion is used once, and staff records are checked by email). */
  function someone(extra: Partial<PersonClaims> = {}): PersonClaims {
    serial++;
    return {
      email: `person.${serial}@valecounty.example`,
      givenName: 'Pat',
      surname: `Person${serial}`,
      jobTitle: 'Housing Officer',
      team: 'Housing Options',
      staffNumber: `VC-B${serial}`,
      ...extra,
    };
  }

  /**
   * A new browser starts a sign-in for a deep link with the IdP in `mode`:
   * through the IdP and back, to the page asked for or to the refusal at the ACS.
   */
  async function signIn(mode: IdpMode, deepLink = '/framework'): Promise<{ context: BrowserContext; page: Page }> {
    await idp.setMode(mode);
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.url}/auth/saml/${SLUG}/login?returnTo=${encodeURIComponent(deepLink)}`);
    await page.waitForURL((u) => u.origin === server.url && !u.pathname.endsWith('/login'));
    return { context, page };
  }

  async function expectSignedIn(mode: IdpMode, deepLink = '/framework', why = ''): Promise<{ context: BrowserContext; page: Page }> {
    const { context, page } = await signIn(mode, deepLink);
    const url = new URL(page.url());
    expect(url.pathname, `${why} ${url.pathname === `/auth/saml/${SLUG}/acs` ? await page.textContent('main') : ''}`).to.equal(deepLink);
    return { context, page };
  }

  async function signsIn(mode: IdpMode, deepLink = '/framework', why = ''): Promise<void> {
    await (await expectSignedIn(mode, deepLink, why)).context.close();
  }

  /** Refused: the person sees why (`shown`), and is not signed in. */
  async function expectRefused(mode: IdpMode, shown: string): Promise<void> {
    const { context, page } = await signIn(mode);
    expect(new URL(page.url()).pathname).to.equal(`/auth/saml/${SLUG}/acs`);
    expect(await page.textContent('h1')).to.equal('We could not sign you in');
    expect(((await page.textContent('main')) ?? '').replace(/\s+/g, ' ')).to.contain(shown);
    await page.goto(`${server.url}/my-training`);
    expect(new URL(page.url()).pathname).to.equal('/sign-in');
    await context.close();
  }

  async function staffRecord(email: string) {
    const { rows } = await server.product.database.pool.query(`select name, job_title, team, staff_number from staff where lower(email) = $1`, [email]);
    return rows[0];
  }

  async function spMetadata(): Promise<{ signing: string; encryption: string[] }> {
    const xml = await (await fetch(spEntity)).text();
    const certIn = (block: string) => pemOf(block.match(/<ds:X509Certificate>([^<]+)</)?.[1]?.replace(/\s/g, '') ?? '');
    return {
      signing: certIn(xml.match(/<KeyDescriptor use="signing">[\s\S]*?<\/KeyDescriptor>/)?.[0] ?? ''),
      encryption: (xml.match(/<KeyDescriptor use="encryption">[\s\S]*?<\/KeyDescriptor>/g) ?? []).map(certIn),
    };
  }

  describe('set up by the administrator from the IdP’s metadata', () => {
    const person: PersonClaims = {
      email: 'rowan.oid@valecounty.example',
      givenName: 'Rowan',
      surname: 'Oid',
      jobTitle: 'Housing Officer',
      team: 'Homelessness',
      staffNumber: 'VC-77',
    };

    it('imports pysaml2’s metadata from its URL and signs in with FriendlyName matching, by the work-email route to a deep link', async () => {
      await adminPage.goto(`${server.url}/admin/sso/${SLUG}`);
      await adminPage.fill('#metadataImportUrl', idp.metadataUrl);
      await adminPage.click('button:has-text("Import metadata")');
      expect(await adminPage.inputValue('#idpEntityId')).to.equal(idp.entityId);
      expect(await adminPage.inputValue('#idpEntryPoint')).to.equal(idp.ssoUrl);
      expect(await adminPage.inputValue('#idpLogoutUrl')).to.equal(idp.sloUrl);
      expect(await adminPage.inputValue('#metadataUrl')).to.equal(idp.metadataUrl);
      // Friendly names instead of the preset's urn:oid: names: a Shibboleth attribute is found by either.
      await adminPage.check('#preset-custom');
      for (const [field, name] of Object.entries({
        email: 'mail',
        givenName: 'givenName',
        surname: 'sn',
        displayName: '',
        jobTitle: 'title',
        team: 'ou',
        staffNumber: 'employeeNumber',
      })) {
        await adminPage.fill(`#attr_${field}`, name);
      }
      await adminPage.check('#enabled');
      await adminPage.click('button:has-text("Save settings")');
      await adminPage.waitForURL(`${server.url}/admin/sso`);

      await idp.setMode({ attributes: attributesFor(person, 'oid'), nameId: { value: 'rowan-7f3a', format: NAMEID_PERSISTENT } });
      const context = await browser.newContext();
      const page = await context.newPage();
      const csp: string[] = [];
      recordCspViolations(page, csp);
      await page.goto(`${server.url}/my-certificates`);
      await page.fill('#work-email', person.email);
      await page.click('button:has-text("Continue")');
      await page.waitForURL(`${server.url}/my-certificates`, { timeout: 30_000 });
      expect(csp).to.deep.equal([]);
      await context.close();
      expect(await staffRecord(person.email)).to.deep.equal({ name: 'Rowan Oid', job_title: 'Housing Officer', team: 'Homelessness', staff_number: 'VC-77' });

      await adminPage.goto(`${server.url}/admin/sso/${SLUG}/last-response`);
      const table = (await adminPage.textContent('#received-attributes')) ?? '';
      for (const text of ['urn:oid:0.9.2342.19200300.100.1.3', 'mail', person.email, 'urn:oid:2.5.4.12', 'title', 'job title']) expect(table).to.contain(text);
      expect(await adminPage.textContent('main')).to.contain('rowan-7f3a');
      expect(await adminPage.content()).to.not.match(/SignatureValue|X509Certificate|BEGIN CERTIFICATE/);
    });

    it('takes up the IdP’s certificate rollover through the scheduled metadata refresh, with no administrator', async () => {
      const attributes = attributesFor(someone(), 'oid');
      // The IdP announces its next certificate in its metadata, then signs with it before anyone here has looked.
      await expectRefused({ attributes, publishNext: true, signWithNext: true }, 'We could not sign you in with your organisation’s account');
      await runModuleJobNow(server, 'sso', 'sso:refresh-metadata', async () => {
        const { rows } = await server.product.database.pool.query<{ n: number }>(
          `select cardinality(idp_certificates) as n from saml_identity_providers p join organisations o on o.id = p.organisation_id where o.slug = $1`,
          [SLUG],
        );
        return rows[0].n === 2;
      });
      await signsIn({ attributes: attributesFor(someone(), 'oid'), publishNext: true, signWithNext: true });
    });

    it('tells the person to contact their IT team when the IdP sends no email, and the administrator which attribute was missing', async () => {
      const { email: _email, ...noEmail } = person;
      await expectRefused(
        { attributes: attributesFor({ ...noEmail, email: '' }, 'oid'), nameId: { value: 'rowan-7f3a', format: NAMEID_PERSISTENT } },
        'contact your IT team',
      );
      await adminPage.goto(`${server.url}/admin/sso/${SLUG}/last-response`);
      const text = (await adminPage.textContent('main')) ?? '';
      expect(text).to.contain('Refused');
      // What was sent instead, and the name the settings look for (the friendly name chosen above).
      expect(text).to.contain('urn:oid:2.5.4.42');
      expect(text).to.match(/Not in this response:[\s\S]*Email address[\s\S]*mail/);
    });

    it('answers a malformed or oversized metadata import with a message, never a server error', async () => {
      await admin.get(`/admin/sso/${SLUG}`);
      // The token travels in the form or a header, never in the address.
      const url = `/admin/sso/${SLUG}/import`;
      const token = admin.csrfToken ?? '';
      const broken = await admin.request('POST', url, {
        body: '--x\r\nContent-Disposition: form-data; name="metadataXml"\r\n\r\n<EntityDescriptor',
        headers: { 'content-type': 'multipart/form-data; boundary=x', 'x-csrf-token': token },
      });
      expect(broken.status).to.equal(400);
      const form = new FormData();
      form.append('_csrf', token);
      form.append('metadataFile', new Blob([`<EntityDescriptor>${'x'.repeat(3 * 1024 * 1024)}</EntityDescriptor>`]), 'big.xml');
      const big = await admin.request('POST', url, { body: form });
      expect(big.status).to.equal(400);
      expect(await big.text()).to.contain('larger than 2 MB');
      const notMultipart = await admin.request('POST', url, {
        body: 'metadataXml=x',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-csrf-token': token },
      });
      expect(notMultipart.status).to.equal(400);
    });
  });

  describe('each attribute preset, SP-initiated to a deep link', () => {
    it('reads email, name, job title, team and staff number as Entra ID, ADFS, Shibboleth and Google Workspace send them', async () => {
      const styles: Record<string, AttributeStyle> = { entra: 'entra', adfs: 'adfs', shibboleth: 'oid', google: 'google' };
      for (const [preset, style] of Object.entries(styles)) {
        await configure({ preset });
        const claims = someone({ team: `Team ${preset}` });
        const { context } = await expectSignedIn({ attributes: attributesFor(claims, style) }, '/privacy', preset);
        await context.close();
        const request = await idp.lastRequest();
        expect(request?.acs).to.equal(acs);
        expect(await staffRecord(claims.email), preset).to.deep.equal({
          name: `Pat ${claims.surname}`,
          job_title: 'Housing Officer',
          team: `Team ${preset}`,
          staff_number: claims.staffNumber,
        });
      }
    });
  });

  describe('from the IdP’s own portal (IdP-initiated)', () => {
    it('is refused plainly while off, and signs in once switched on', async () => {
      await configure();
      await idp.setMode({ attributes: attributesFor(someone(), 'oid') });
      const tile = idp.unsolicitedUrl(acs, spEntity, '/privacy');
      const context = await browser.newContext();
      const page = await context.newPage();
      const csp: string[] = [];
      recordCspViolations(page, csp);
      await page.goto(tile);
      await page.waitForURL(acs);
      expect(await page.textContent('main')).to.contain('has not switched on signing in from its own portal or app list');
      await expectAccessiblePage(page, csp);

      await configure({ allowIdpInitiated: 'yes' });
      await page.goto(tile);
      await page.waitForURL(`${server.url}/privacy`);
      await context.close();
    });
  });

  describe('signatures (what the IdP signs, and how)', () => {
    const RESPONSE_ONLY = { signAssertion: false };
    const ASSERTION_ONLY = { signResponse: false };
    const refusedFor = (signed: string, required: string) =>
      `single sign-on is not set up the way this service needs: the identity provider signed ${signed}, but this organisation is set to require ${required} to be signed`;

    it('accepts a signed response with an unsigned assertion (Shibboleth’s default) or a signed assertion alone when set to either', async () => {
      await configure({ signingRequired: 'either' });
      for (const mode of [RESPONSE_ONLY, ASSERTION_ONLY])
        await signsIn({ ...mode, attributes: attributesFor(someone(), 'oid') }, '/framework', JSON.stringify(mode));
    });

    it('requires what the organisation set (the response, the assertion or both), and tells the person precisely what was signed', async () => {
      await configure({ signingRequired: 'response' });
      await expectRefused({ ...ASSERTION_ONLY, attributes: attributesFor(someone(), 'oid') }, refusedFor('the assertion only', 'the response'));
      await signsIn({ ...RESPONSE_ONLY, attributes: attributesFor(someone(), 'oid') });

      await configure({ signingRequired: 'assertion' });
      await expectRefused({ ...RESPONSE_ONLY, attributes: attributesFor(someone(), 'oid') }, refusedFor('the response only', 'the assertion'));
      await signsIn({ ...ASSERTION_ONLY, attributes: attributesFor(someone(), 'oid') });

      await configure({ signingRequired: 'both' });
      await expectRefused(
        { ...RESPONSE_ONLY, attributes: attributesFor(someone(), 'oid') },
        refusedFor('the response only', 'both the response and the assertion'),
      );
      await signsIn({ attributes: attributesFor(someone(), 'oid') });
    });

    it('refuses SHA-1 signatures with a message that says so', async () => {
      await configure();
      await expectRefused(
        { algorithm: 'sha1', attributes: attributesFor(someone(), 'oid') },
        'the response is signed with SHA-1, which is no longer safe: set the identity provider to sign with SHA-256',
      );
      // Inside an encrypted assertion, with the response unsigned: found once decrypted.
      const [ours] = (await spMetadata()).encryption;
      await expectRefused(
        { algorithm: 'sha1', signResponse: false, encryptTo: ours, attributes: attributesFor(someone(), 'oid') },
        'signed with SHA-1, which is no longer safe',
      );
    });
  });

  describe('encrypted assertions and the service’s own keys', () => {
    it('decrypts assertions encrypted to the certificate in its metadata, and rolls its own key over without refusing anyone', async () => {
      await configure();
      const [current] = (await spMetadata()).encryption;
      expect(current).to.contain('BEGIN CERTIFICATE');
      await signsIn({ encryptTo: current, attributes: attributesFor(someone(), 'oid') });
      // Encrypted to a key this service never had: the person is told it is a set-up problem, not to try again.
      await expectRefused(
        { encryptTo: idp.nextKeys.cert, attributes: attributesFor(someone(), 'oid') },
        "the encrypted assertion could not be decrypted with this service's keys",
      );

      // saml:key:prepare: both keys published; an IdP that took up the new one is accepted at once.
      await prepareNextSpKey(server.product.database.pool);
      const during = (await spMetadata()).encryption;
      expect(during).to.deep.equal([current, during[1]]);
      // AES-GCM, as newer IdP releases choose, with only the assertion signed.
      await signsIn({ encryptTo: during[1], blockCipher: 'aes128-gcm', signResponse: false, attributes: attributesFor(someone(), 'oid') });
      // saml:key:switch: only the new key published; an IdP still encrypting to the old one is not refused yet.
      expect(await switchToNextSpKey(server.product.database.pool)).to.equal(true);
      expect((await spMetadata()).encryption).to.deep.equal([during[1]]);
      await signsIn({ encryptTo: current, attributes: attributesFor(someone(), 'oid') });
    });
  });

  describe('single logout', () => {
    it('signs out through the IdP (a signed LogoutRequest), and back to a page that says both sessions are ended', async () => {
      await configure({ idpLogoutUrl: idp.sloUrl });
      const claims = someone();
      const { signing } = await spMetadata();
      const { context, page } = await expectSignedIn({
        attributes: attributesFor(claims, 'oid'),
        spSigningCert: signing,
        spSloUrl: `${server.url}/auth/saml/${SLUG}/slo`,
      });
      await page.click('button:has-text("Sign out")');
      await page.waitForURL((u) => u.pathname === `/auth/saml/${SLUG}/signed-out`);
      expect(await page.textContent('main')).to.contain('You have signed out of the training and of your Vale County Council account');
      // The IdP checked the signature against the certificate in the service's metadata, or it would have refused.
      expect(await idp.lastLogout()).to.include({ name_id: claims.email, issuer: spEntity });
      await page.goto(`${server.url}/my-training`);
      expect(new URL(page.url()).pathname).to.equal('/sign-in');
      await context.close();
    });

    it('ends the session when the person signs out at the IdP, and answers it with a LogoutResponse', async () => {
      const claims = someone();
      const mode = { attributes: attributesFor(claims, 'oid'), spSloUrl: `${server.url}/auth/saml/${SLUG}/slo` };
      const { context, page } = await expectSignedIn(mode);
      await page.goto(idp.signOutAtIdpUrl(claims.email, spEntity));
      await page.waitForSelector('h1:has-text("You have signed out at the identity provider")');
      expect(await idp.lastLogoutResponse()).to.include({ status: 'urn:oasis:names:tc:SAML:2.0:status:Success', issuer: spEntity, signed: true });
      await page.goto(`${server.url}/my-training`);
      expect(new URL(page.url()).pathname).to.equal('/sign-in');
      await context.close();
    });

    it('says the organisation’s own session is still open when the IdP offers no single logout', async () => {
      await configure();
      const { context, page } = await expectSignedIn({ attributes: attributesFor(someone(), 'oid') });
      await page.click('button:has-text("Sign out")');
      await page.waitForURL((u) => u.pathname === `/auth/saml/${SLUG}/signed-out`);
      expect(await page.textContent('main')).to.contain('You are still signed in to your Vale County Council account');
      await context.close();
    });
  });
});
