import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import type http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { type Profile, SAML } from '@node-saml/node-saml';
import { expect } from 'chai';
import express, { type RequestHandler } from 'express';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { DEMO_PASSWORD } from '../../server/demo';
import { launchBrowser } from '../../test/support/browser';
import { runModuleJobNow } from '../../test/support/jobs';
import { freeLoopbackPort } from '../../test/support/pysaml2-idp';
import { type KeyPair, makeKeyPair } from '../../test/support/saml-keys';
import { startTestServer, type TestServer } from '../../test/support/server';
import { ATTRIBUTE_PRESETS } from './attributes';
import { runsOnThisPass } from '../../test/support/one-pass';

// samlp ships no types; this is the part of it the test drives.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const samlp = require('samlp') as { auth(options: Record<string, unknown>): RequestHandler };

const SLUG = 'vale-county-council';
const IDP_ENTITY = 'https://idp.valecounty.example/idp/shibboleth';
const ADMIN = 'admin@vale-partnership.example';

const bare = (pem: string) => pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');

interface Person {
  email: string;
  given: string;
  surname: string;
  jobTitle: string;
  team: string;
  staffNumber: string;
}

/**
 * Single sign-on as a partnership administrator and staff meet it, in
 * Chromium with the product's real CSP, against samlp: metadata import,
 * certificate rollover by the scheduled refresh, attribute presets, the
 * last response, the work-email route, deep links, a missing email and
 * single logout both ways, each signing mode, SHA-1, an encrypted assertion and
 * an app tile. The pages and redirects are the same on either database, and
 * the SQL behind them (metadata refresh, sessions ended by logout, replay) is
 * tried on both by the HTTP suites, so this runs on one CI pass only.
 */
describe('single sign-on administration and sign-in experience in Chromium (samlp IdP)', function () {
  this.timeout(180_000);
  if (!runsOnThisPass('pglite')) return;
  let server: TestServer;
  let idp: http.Server;
  let idpBase: string;
  let browser: Browser;
  let admin: BrowserContext;
  let adminPage: Page;
  let tmp: string;
  let oldKeys: KeyPair;
  let newKeys: KeyPair;
  let attackerKeys: KeyPair;

  // How the test IdP behaves now.
  let signWith: KeyPair;
  let published: KeyPair[];
  let postOnly = false;
  let names: Record<keyof Person, string> = { email: '', given: '', surname: '', jobTitle: '', team: '', staffNumber: '' };
  let sendEmail = true;
  /** What the IdP signs and how, and the certificate (from our metadata) it encrypts assertions to. */
  let signing: { response: boolean; assertion: boolean; sha1: boolean; encryptTo?: string };
  let person: Person;
  let sessionCounter = 0;
  const logoutRequestsSeen: { nameId: string; sessionIndex: string }[] = [];
  const logoutResponsesSeen: string[] = [];

  function usePreset(preset: keyof typeof ATTRIBUTE_PRESETS) {
    const a = ATTRIBUTE_PRESETS[preset].attributes;
    names = { email: a.email, given: a.givenName, surname: a.surname, jobTitle: a.jobTitle, team: a.team, staffNumber: a.staffNumber };
  }

  function metadataXml(): string {
    const keys = published.map(
      (k) => `<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>
${bare(k.cert)
  .match(/.{1,64}/g)
  ?.join('\n')}
</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`,
    );
    return `<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${IDP_ENTITY}">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    ${keys.join('\n    ')}
    <md:KeyDescriptor use="encryption"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${bare(attackerKeys.cert)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${idpBase}/slo"/>
    ${postOnly ? '' : `<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${idpBase}/saml"/>`}
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${idpBase}/SAML2/POST/SSO"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>`;
  }

  /** The IdP's own side of logout messages (what an IdP signs with its key). */
  function idpSide(base = server.url): SAML {
    const ourSlo = `${base}/auth/saml/${SLUG}/slo`;
    return new SAML({
      issuer: IDP_ENTITY,
      entryPoint: ourSlo,
      logoutUrl: ourSlo,
      callbackUrl: ourSlo,
      idpCert: signWith.cert,
      privateKey: signWith.key,
      signatureAlgorithm: 'sha256',
    });
  }

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sso-admin-'));
    oldKeys = makeKeyPair(tmp, 'idp-2025');
    newKeys = makeKeyPair(tmp, 'idp-2026');
    attackerKeys = makeKeyPair(tmp, 'attacker');
    signWith = oldKeys;
    published = [oldKeys];
    // A response must be addressed (Destination, Recipient) to the ACS at PUBLIC_URL: the server runs at its real address.
    const port = await freeLoopbackPort();
    server = await startTestServer({ demo: true, config: { port, publicUrl: `http://127.0.0.1:${port}` } });

    const app = express();
    app.get('/metadata', (_req, res) => {
      res.type('application/samlmetadata+xml').send(metadataXml());
    });
    const signIn =
      (extra: Record<string, unknown>): RequestHandler =>
      (req, res, next) => {
        sessionCounter++;
        const acs = `${server.url}/auth/saml/${SLUG}/acs`;
        samlp.auth({
          issuer: IDP_ENTITY,
          cert: signWith.cert,
          key: signWith.key,
          sessionIndex: `_session-${sessionCounter}`,
          // As real IdPs do: the response and its subject confirmation are addressed to the ACS.
          destination: acs,
          recipient: acs,
          signResponse: signing.response,
          signAssertion: signing.assertion,
          signatureAlgorithm: signing.sha1 ? 'rsa-sha1' : 'rsa-sha256',
          digestAlgorithm: signing.sha1 ? 'sha1' : 'sha256',
          ...(signing.encryptTo && {
            encryptionCert: signing.encryptTo,
            encryptionPublicKey: new X509Certificate(signing.encryptTo).publicKey.export({ type: 'spki', format: 'pem' }),
          }),
          getPostURL: (_a: string, _d: unknown, _r: unknown, cb: (err: Error | null, url: string) => void) => cb(null, acs),
          getUserFromRequest: () => person,
          profileMapper: (user: Person) => ({
            getNameIdentifier: () => ({
              nameIdentifier: `opaque-${user.staffNumber}`,
              nameIdentifierFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
            }),
            getClaims: () => {
              const claims: Record<string, string> = {};
              for (const k of Object.keys(names) as (keyof Person)[]) if (names[k] && (k !== 'email' || sendEmail)) claims[names[k]] = user[k];
              return claims;
            },
          }),
          ...extra,
        })(req, res, next);
      };
    app.get('/saml', signIn({}));
    // An "app tile" at the IdP's portal: an unsolicited response, to our entity ID, taking the page to open from ?RelayState=.
    app.get('/tile', signIn({ audience: `${server.url}/auth/saml/${SLUG}/metadata` }));
    // The IdP's single logout service: answers our LogoutRequest with a signed LogoutResponse, and takes our LogoutResponses.
    app.get('/slo', async (req, res) => {
      if (typeof req.query.SAMLResponse === 'string') {
        logoutResponsesSeen.push(zlib.inflateRawSync(Buffer.from(req.query.SAMLResponse, 'base64')).toString('utf8'));
        res.send('<p>Signed out at the identity provider</p>');
        return;
      }
      const xml = zlib.inflateRawSync(Buffer.from(String(req.query.SAMLRequest), 'base64')).toString('utf8');
      const id = xml.match(/ ID="([^"]+)"/)?.[1] ?? '';
      logoutRequestsSeen.push({ nameId: xml.match(/<saml:NameID[^>]*>([^<]+)</)?.[1] ?? '', sessionIndex: xml.match(/SessionIndex[^>]*>([^<]+)</)?.[1] ?? '' });
      res.redirect(await idpSide().getLogoutResponseUrlAsync({ ID: id } as Profile, String(req.query.RelayState ?? ''), {}, true));
    });
    await new Promise<void>((resolve) => {
      idp = app.listen(0, '127.0.0.1', () => resolve());
    });
    idpBase = `http://127.0.0.1:${(idp.address() as { port: number }).port}`;

    browser = await launchBrowser();
    admin = await browser.newContext();
    adminPage = await admin.newPage();
    await signInWithPassword(adminPage, ADMIN, DEMO_PASSWORD);
  });

  after(async () => {
    await browser?.close();
    if (idp) await new Promise((resolve) => idp.close(resolve));
    await server?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  beforeEach(() => {
    signWith = oldKeys;
    sendEmail = true;
    postOnly = false;
    // samlp's default: the assertion signed, the response not (as Entra ID and ADFS send).
    signing = { response: false, assertion: true, sha1: false };
    person = {
      email: 'jo.khan@valecounty.example',
      given: 'Jo',
      surname: 'Khan',
      jobTitle: 'Housing Officer',
      team: 'Housing Options',
      staffNumber: 'VC-1001',
    };
  });

  async function signInWithPassword(page: Page, email: string, password: string) {
    await page.goto(`${server.url}/sign-in`);
    await page.fill('#email', email);
    await page.fill('#password', password);
    await page.click('form[action="/sign-in"] button');
    await page.waitForURL((u) => !u.pathname.startsWith('/sign-in'));
  }

  async function pool() {
    return server.product.database.pool;
  }

  async function openSettings(): Promise<void> {
    await adminPage.goto(`${server.url}/admin/sso/${SLUG}`);
  }

  async function saveSettings(): Promise<void> {
    await adminPage.click('button:has-text("Save settings")');
    await adminPage.waitForURL(`${server.url}/admin/sso`);
  }

  async function choosePreset(preset: string) {
    await openSettings();
    await adminPage.check(`#preset-${preset}`);
    await saveSettings();
  }

  /** A new browser signing in by the organisation's link from the sign-in page of a deep link. */
  async function signInThroughIdp(deepLink = '/my-training'): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.url}${deepLink}`);
    expect(new URL(page.url()).pathname).to.equal('/sign-in');
    await page.click(`a[href^="/auth/saml/${SLUG}/login"]`);
    // Back from the IdP: the page asked for, or the refusal page at the ACS.
    await page.waitForURL((u) => u.origin === server.url && u.pathname !== '/sign-in');
    return { context, page };
  }

  async function lastAudit(action: string): Promise<Record<string, unknown>> {
    const { rows } = await (await pool()).query<{ detail: Record<string, unknown> }>(
      `select detail from audit_log where action = $1 order by id desc limit 1`,
      [action],
    );
    return rows[0]?.detail ?? {};
  }

  it('imports the IdP’s metadata from a URL, and says why an HTTP-POST-only IdP cannot be used', async () => {
    postOnly = true;
    await openSettings();
    await adminPage.fill('#metadataImportUrl', `${idpBase}/metadata`);
    await adminPage.click('button:has-text("Import metadata")');
    expect(await adminPage.textContent('.govuk-error-summary')).to.match(/only by HTTP-POST[\s\S]*HTTP-Redirect/);

    postOnly = false;
    await adminPage.fill('#metadataImportUrl', `${idpBase}/metadata`);
    await adminPage.click('button:has-text("Import metadata")');
    expect(await adminPage.textContent('.govuk-notification-banner')).to.contain(IDP_ENTITY);
    expect(await adminPage.inputValue('#idpEntityId')).to.equal(IDP_ENTITY);
    expect(await adminPage.inputValue('#idpEntryPoint')).to.equal(`${idpBase}/saml`);
    expect(await adminPage.inputValue('#idpLogoutUrl')).to.equal(`${idpBase}/slo`);
    expect(await adminPage.inputValue('#metadataUrl')).to.equal(`${idpBase}/metadata`);
    // The signing certificate, never the encryption one.
    const certs = await adminPage.inputValue('#certificates');
    expect(bare(certs)).to.equal(bare(oldKeys.cert));
    // An entity ID ending /idp/shibboleth suggests the Shibboleth names.
    expect(await adminPage.isChecked('#preset-shibboleth')).to.equal(true);
    await adminPage.check('#enabled');
    await saveSettings();
    const { rows } = await (await pool()).query(
      `select p.enabled, p.idp_entity_id, p.metadata_url, p.idp_logout_url, p.attr_email from saml_identity_providers p join organisations o on o.id = p.organisation_id where o.slug = $1`,
      [SLUG],
    );
    expect(rows[0]).to.include({
      enabled: true,
      idp_entity_id: IDP_ENTITY,
      metadata_url: `${idpBase}/metadata`,
      idp_logout_url: `${idpBase}/slo`,
      attr_email: 'urn:oid:0.9.2342.19200300.100.1.3',
    });
  });

  it('signs in with each attribute preset, reading name, job title, team and staff number', async () => {
    const presets = ['shibboleth', 'entra', 'adfs', 'google'] as const;
    for (const [i, preset] of presets.entries()) {
      await choosePreset(preset);
      usePreset(preset);
      person = {
        email: `preset.${preset}@valecounty.example`,
        given: 'Ali',
        surname: `Preset${i}`,
        jobTitle: 'Housing Officer',
        team: `Team ${preset}`,
        staffNumber: `VC-P${i}`,
      };
      const { context, page } = await signInThroughIdp('/framework');
      expect(new URL(page.url()).pathname, preset).to.equal('/framework');
      await context.close();
      const { rows } = await (await pool()).query(`select name, job_title, team, staff_number, group_number from staff where lower(email) = $1`, [
        person.email,
      ]);
      expect(rows[0], preset).to.include({
        name: `Ali Preset${i}`,
        job_title: 'Housing Officer',
        team: `Team ${preset}`,
        staff_number: `VC-P${i}`,
        group_number: 2,
      });
    }
  });

  it('shows the administrator the last response: NameID, attribute names and values, and no signature material', async () => {
    await adminPage.goto(`${server.url}/admin/sso/${SLUG}/last-response`);
    const text = (await adminPage.textContent('main')) ?? '';
    expect(text).to.contain('opaque-VC-P3');
    expect(text).to.contain('preset.google@valecounty.example');
    expect(text).to.contain('firstName');
    expect(text).to.contain('Signed in');
    const html = await adminPage.content();
    expect(html).to.not.match(/SignatureValue|X509Certificate|BEGIN CERTIFICATE/);
    expect(html).to.not.contain(bare(oldKeys.cert).slice(0, 40));
  });

  it('takes a missing email attribute to the person as “contact your IT team” and to the administrator by name', async () => {
    await choosePreset('entra');
    usePreset('entra');
    sendEmail = false;
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.url}/sign-in`);
    await page.click(`a[href^="/auth/saml/${SLUG}/login"]`);
    await page.waitForSelector('h1:has-text("We could not sign you in")');
    const shown = (await page.textContent('main')) ?? '';
    expect(shown).to.contain('contact your IT team');
    expect(shown).to.not.contain('try again');
    await context.close();
    expect(String((await lastAudit('sign-in.refused')).reason)).to.contain('http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress');
    await adminPage.goto(`${server.url}/admin/sso/${SLUG}/last-response`);
    const text = (await adminPage.textContent('main')) ?? '';
    expect(text).to.contain('Refused');
    expect(text).to.match(/Not in this response:[\s\S]*Email address[\s\S]*emailaddress/);
  });

  it('continues from “Enter your work email” to the IdP under the real CSP, and back to the page first asked for', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const blocked: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) blocked.push(m.text());
    });
    await page.goto(`${server.url}/my-certificates`);
    expect(new URL(page.url()).pathname).to.equal('/sign-in');
    await page.fill('#work-email', 'Jo.Khan@ValeCounty.example');
    await page.click('button:has-text("Continue")');
    await page.waitForURL(`${server.url}/my-certificates`, { timeout: 20_000 });
    expect(blocked).to.deep.equal([]);
    await context.close();
  });

  it('keeps only same-site paths to return to', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.url}/auth/sso/find?email=jo.khan%40valecounty.example&returnTo=${encodeURIComponent('//evil.example/x')}`);
    await page.waitForURL((u) => u.origin === server.url && !u.pathname.startsWith('/auth/'));
    expect(page.url()).to.equal(`${server.url}/`);
    await context.close();
  });

  it('signs in whichever part the IdP signs where the setting allows it, refuses SHA-1, decrypts an encrypted assertion, and signs in from an app tile', async () => {
    const arrivesAt = async (why: string, expected = '/framework', text?: string) => {
      const { context, page } = await signInThroughIdp('/framework');
      expect(new URL(page.url()).pathname, `${why}: ${await page.textContent('main')}`).to.equal(expected);
      if (text) expect(((await page.textContent('main')) ?? '').replace(/\s+/g, ' '), why).to.contain(text);
      await context.close();
    };
    const setting = async (signingRequired: string) => {
      await openSettings();
      await adminPage.check(`#signingRequired-${signingRequired}`);
      await adminPage.check('#allowIdpInitiated');
      await saveSettings();
    };
    const refused = `/auth/saml/${SLUG}/acs`;
    // Shibboleth's default under "either": the response signed, the assertion not.
    signing = { response: true, assertion: false, sha1: false };
    await arrivesAt('response only, either');
    await setting('both');
    signing = { response: false, assertion: true, sha1: false };
    await arrivesAt(
      'assertion only, both',
      refused,
      'the identity provider signed the assertion only, but this organisation is set to require both the response and the assertion to be signed',
    );
    signing = { response: true, assertion: true, sha1: false };
    await arrivesAt('both, both');
    await setting('either');
    signing = { response: false, assertion: true, sha1: true };
    await arrivesAt('SHA-1', refused, 'signed with SHA-1, which is no longer safe');
    // Encrypted to the certificate the service's metadata publishes for encryption.
    const metadata = await (await fetch(`${server.url}/auth/saml/${SLUG}/metadata`)).text();
    const body = metadata.match(/<KeyDescriptor use="encryption">[\s\S]*?<ds:X509Certificate>([^<]+)</)?.[1]?.replace(/\s/g, '') ?? '';
    signing = {
      response: false,
      assertion: true,
      sha1: false,
      encryptTo: `-----BEGIN CERTIFICATE-----\n${body.match(/.{1,64}/g)?.join('\n')}\n-----END CERTIFICATE-----\n`,
    };
    await arrivesAt('encrypted');
    // From the IdP's portal, with IdP-initiated sign-in switched on above.
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${idpBase}/tile?RelayState=${encodeURIComponent('/framework')}`);
    await page.waitForURL(`${server.url}/framework`);
    await context.close();
  });

  it('understands metadata pasted into the certificate box, and a metadata file uploaded', async () => {
    await openSettings();
    await adminPage.fill('#certificates', metadataXml());
    await adminPage.fill('#metadataUrl', '');
    await saveSettings();
    const saved = await (await pool()).query(
      `select idp_certificates, metadata_url from saml_identity_providers p join organisations o on o.id = p.organisation_id where o.slug = $1`,
      [SLUG],
    );
    expect(saved.rows[0].idp_certificates.map(bare)).to.deep.equal([bare(oldKeys.cert)]);
    expect(saved.rows[0].metadata_url).to.equal(null);

    await openSettings();
    await adminPage.setInputFiles('#metadataFile', { name: 'idp-metadata.xml', mimeType: 'application/xml', buffer: Buffer.from(metadataXml()) });
    await adminPage.click('button:has-text("Import metadata")');
    expect(await adminPage.textContent('.govuk-notification-banner')).to.contain(IDP_ENTITY);
    expect(await adminPage.inputValue('#metadataUrl')).to.equal('');
    // Back to the URL, for the scheduled refresh below.
    await adminPage.fill('#metadataUrl', `${idpBase}/metadata`);
    await saveSettings();
  });

  it('takes up the IdP’s certificate rollover through the scheduled metadata refresh, with no administrator', async () => {
    const db = await pool();
    // The IdP publishes its next certificate beside the current one, then signs with it.
    published = [oldKeys, newKeys];
    signWith = newKeys;
    const before = await signInThroughIdp('/framework').then(async ({ context, page }) => {
      const path = new URL(page.url()).pathname;
      await context.close();
      return path;
    });
    expect(before, 'the new certificate is not trusted before the refresh').to.not.equal('/framework');

    await runModuleJobNow(server, 'sso', 'sso:refresh-metadata', async () => {
      const { rows } = await db.query<{ idp_certificates: string[] }>(
        `select idp_certificates from saml_identity_providers p join organisations o on o.id = p.organisation_id where o.slug = $1`,
        [SLUG],
      );
      return rows[0].idp_certificates.length === 2;
    });
    expect((await lastAudit('sso.metadata-refreshed')).certificateFingerprints).to.have.length(2);
    const { context, page } = await signInThroughIdp('/framework');
    expect(new URL(page.url()).pathname).to.equal('/framework');
    await context.close();
  });

  it('signs out through the IdP’s single logout, and ends the session for an IdP-initiated LogoutRequest only when it is signed', async () => {
    // SP-initiated: Sign out here, then at the IdP, then back to a page that says both are done.
    const { context, page } = await signInThroughIdp('/framework');
    const {
      rows: [{ count }],
    } = await (await pool()).query<{ count: string }>('select count(*) from saml_sessions');
    expect(Number(count)).to.be.greaterThan(0);
    await page.click('button:has-text("Sign out")');
    await page.waitForURL((u) => u.pathname === `/auth/saml/${SLUG}/signed-out`);
    expect(await page.textContent('main')).to.contain('You have signed out of the training and of your Vale County Council account');
    expect(logoutRequestsSeen.at(-1)?.nameId).to.equal('opaque-VC-1001');
    expect(logoutRequestsSeen.at(-1)?.sessionIndex).to.match(/^_session-\d+$/);
    await page.goto(`${server.url}/my-training`);
    expect(new URL(page.url()).pathname).to.equal('/sign-in');
    await context.close();

    // IdP-initiated: the IdP's LogoutRequest arrives without this browser's cookie, and still ends its session.
    const signedIn = await signInThroughIdp('/framework');
    // Addressed to the service's published logout URL (PUBLIC_URL), sent to where the test server listens.
    const toUs = (url: string) => url.replace(server.product.config.publicUrl, server.url);
    const forged = new URL(
      toUs(
        await idpSide(server.product.config.publicUrl).getLogoutUrlAsync(
          { nameID: 'opaque-VC-1001', nameIDFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent' } as Profile,
          '',
          {},
        ),
      ),
    );
    // Attack 1: the same request without its signature.
    const unsigned = new URL(forged);
    unsigned.searchParams.delete('Signature');
    unsigned.searchParams.delete('SigAlg');
    expect((await fetch(unsigned, { redirect: 'manual' })).status).to.equal(400);
    // Attack 2: signed by a key the organisation never gave us.
    signWith = attackerKeys;
    const wrongKey = toUs(await idpSide(server.product.config.publicUrl).getLogoutUrlAsync({ nameID: 'opaque-VC-1001' } as Profile, '', {}));
    // Attack 4: genuinely signed, but addressed to another service of the same IdP.
    signWith = newKeys;
    const elsewhere = await idpSide('https://other-service.example').getLogoutUrlAsync({ nameID: 'opaque-VC-1001' } as Profile, '', {});
    expect((await fetch(elsewhere.replace(/^[^?]+/, `${server.url}/auth/saml/${SLUG}/slo`), { redirect: 'manual' })).status).to.equal(400);
    expect(String((await lastAudit('sign-out.refused')).reason)).to.contain('not this service');
    signWith = newKeys;
    expect((await fetch(wrongKey, { redirect: 'manual' })).status).to.equal(400);
    await signedIn.page.goto(`${server.url}/my-training`);
    expect(new URL(signedIn.page.url()).pathname, 'still signed in after the refused requests').to.equal('/my-training');

    const genuine = await fetch(forged, { redirect: 'manual' });
    expect(genuine.status).to.equal(302);
    expect(genuine.headers.get('location')).to.match(new RegExp(`^${idpBase}/slo\\?SAMLResponse=`));
    await signedIn.page.goto(`${server.url}/my-training`);
    expect(new URL(signedIn.page.url()).pathname).to.equal('/sign-in');
    await signedIn.context.close();

    // Attack 3: the same genuine request again, after the person has signed in anew.
    const again = await signInThroughIdp('/framework');
    expect((await fetch(forged, { redirect: 'manual' })).status).to.equal(400);
    expect(String((await lastAudit('sign-out.refused')).reason)).to.match(/already used/);
    await again.page.goto(`${server.url}/my-training`);
    expect(new URL(again.page.url()).pathname, 'a replayed LogoutRequest ends nothing').to.equal('/my-training');
    await again.context.close();
  });

  it('says the organisation’s own session is still open when the IdP offers no single logout', async () => {
    await openSettings();
    await adminPage.fill('#idpLogoutUrl', '');
    await adminPage.fill('#metadataUrl', '');
    await saveSettings();
    const { context, page } = await signInThroughIdp('/framework');
    await page.click('button:has-text("Sign out")');
    await page.waitForURL((u) => u.pathname === `/auth/saml/${SLUG}/signed-out`);
    expect(await page.textContent('main')).to.contain('You are still signed in to your Vale County Council account');
    await context.close();
  });

  it('publishes a SingleLogoutService in the service provider metadata', async () => {
    const xml = await (await fetch(`${server.url}/auth/saml/${SLUG}/metadata`)).text();
    expect(xml).to.match(new RegExp(`SingleLogoutService[^>]+HTTP-Redirect[^>]+Location="${server.product.config.publicUrl}/auth/saml/${SLUG}/slo"`));
  });
});
