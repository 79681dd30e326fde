import fs from 'node:fs';
import type http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import express, { type RequestHandler } from 'express';
import { DEMO_PASSWORD } from '../../server/demo';
import { freeLoopbackPort } from '../../test/support/pysaml2-idp';
import { type KeyPair, makeKeyPair } from '../../test/support/saml-keys';
import { startTestServer, TestAgent, type TestServer } from '../../test/support/server';

// samlp ships no types; this is the part of it the test drives.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const samlp = require('samlp') as { auth(options: Record<string, unknown>): RequestHandler };

const SLUG = 'vale-county-council';
const IDP_ENTITY = 'urn:test:vale-county-idp';
const PASSPORT = 'http://schemas.passportjs.com/';

interface Person {
  email: string;
  jobTitle?: string;
}

/** How the test IdP should answer the next request. */
interface Mode {
  keys?: KeyPair;
  lifetimeInSeconds?: number;
  audience?: string;
  /** Forgeries signed with the real key: only the product's own checks stand in the way. */
  issuer?: string;
  destination?: string;
  recipient?: string;
}

describe('SAML single sign-on against the samlp identity provider', function () {
  this.timeout(120_000);
  let server: TestServer;
  let idp: http.Server;
  let idpUrl: string;
  let keys: KeyPair;
  let otherKeys: KeyPair;
  let tmp: string;
  let person: Person = { email: 'jit.person@valecounty.example', jobTitle: 'Housing Officer' };
  let mode: Mode = {};

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'saml-test-'));
    keys = makeKeyPair(tmp, 'vale-idp');
    otherKeys = makeKeyPair(tmp, 'attacker-idp');
    // PUBLIC_URL is the server's real address, as in production: the ACS URL in Destination and Recipient must match it.
    const port = await freeLoopbackPort();
    server = await startTestServer({ demo: true, config: { port, publicUrl: `http://127.0.0.1:${port}` } });

    const app = express();
    app.get('/saml', (req, res, next) => {
      const signing = mode.keys ?? keys;
      samlp.auth({
        issuer: mode.issuer ?? IDP_ENTITY,
        destination: mode.destination ?? `${server.url}/auth/saml/${SLUG}/acs`,
        recipient: mode.recipient ?? `${server.url}/auth/saml/${SLUG}/acs`,
        cert: signing.cert,
        key: signing.key,
        lifetimeInSeconds: mode.lifetimeInSeconds,
        audience: mode.audience,
        getPostURL: (_aud: string, _dom: unknown, _req: unknown, cb: (err: Error | null, url: string) => void) =>
          cb(null, `${server.url}/auth/saml/${SLUG}/acs`),
        getUserFromRequest: () => ({
          id: `oid-${person.email}`,
          emails: [{ value: person.email }],
          displayName: `Person ${person.email.split('@')[0]}`,
          name: { givenName: 'Sam', familyName: 'Jones' },
          jobtitle: person.jobTitle ?? '',
          team: 'Housing Options',
          staffnumber: `VC-${person.email.length}`,
        }),
      })(req, res, next);
    });
    await new Promise<void>((resolve) => {
      idp = app.listen(0, '127.0.0.1', () => resolve());
    });
    const address = idp.address() as { port: number };
    idpUrl = `http://127.0.0.1:${address.port}/saml`;

    // A partnership administrator configures the organisation's IdP in the browser.
    const admin = new TestAgent(server.url);
    await admin.signIn('admin@vale-partnership.example', DEMO_PASSWORD);
    const page = await admin.get(`/admin/sso/${SLUG}`);
    expect(page.status).to.equal(200);
    const saved = await admin.postForm(`/admin/sso/${SLUG}`, {
      enabled: 'yes',
      idpEntryPoint: idpUrl,
      idpEntityId: IDP_ENTITY,
      certificates: keys.cert,
      spEntityId: '',
      attr_email: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
      attr_givenName: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname',
      attr_surname: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname',
      attr_displayName: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name',
      attr_jobTitle: `${PASSPORT}jobtitle`,
      attr_team: `${PASSPORT}team`,
      attr_staffNumber: `${PASSPORT}staffnumber`,
    });
    expect(saved.status, await saved.clone().text()).to.equal(302);
  });

  after(async () => {
    if (idp) await new Promise((resolve) => idp.close(resolve));
    await server?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  beforeEach(() => {
    mode = {};
    person = { email: 'jit.person@valecounty.example', jobTitle: 'Housing Officer' };
  });

  /** Starts a sign-in here, follows it to the IdP and returns the form the IdP would auto-post. */
  async function responseFromIdp(agent: TestAgent): Promise<{ action: string; SAMLResponse: string; RelayState: string }> {
    const start = await agent.request('GET', `/auth/saml/${SLUG}/login?returnTo=/privacy`);
    expect(start.status).to.equal(302);
    const location = start.headers.get('location') ?? '';
    expect(location.startsWith(idpUrl)).to.equal(true);
    const html = await (await fetch(location)).text();
    const field = (name: string) => html.match(new RegExp(`name="${name}"\\s+value="([^"]*)"`))?.[1] ?? '';
    return { action: html.match(/action="([^"]+)"/)?.[1] ?? '', SAMLResponse: field('SAMLResponse'), RelayState: field('RelayState') };
  }

  async function postToAcs(agent: TestAgent, form: { SAMLResponse: string; RelayState: string }): Promise<Response> {
    const body = new URLSearchParams({ SAMLResponse: form.SAMLResponse, RelayState: form.RelayState });
    return agent.request('POST', `/auth/saml/${SLUG}/acs`, { body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  }

  const decode = (b64: string) => Buffer.from(b64, 'base64').toString('utf8');
  const encode = (xml: string) => Buffer.from(xml, 'utf8').toString('base64');

  async function isSignedIn(agent: TestAgent): Promise<boolean> {
    const res = await agent.get('/sign-in');
    return res.status === 302;
  }

  async function lastRefusal(): Promise<string> {
    const { rows } = await server.product.database.pool.query<{ detail: { reason: string } }>(
      `select detail from audit_log where action = 'sign-in.refused' order by id desc limit 1`,
    );
    return rows[0]?.detail.reason ?? '';
  }

  async function expectRefused(res: Response, agent: TestAgent, reason: RegExp): Promise<void> {
    expect(res.status).to.equal(403);
    expect(await res.text()).to.contain('We could not sign you in');
    expect(await isSignedIn(agent)).to.equal(false);
    expect(await lastRefusal()).to.match(reason);
  }

  it('publishes service provider metadata for the organisation', async () => {
    const res = await fetch(`${server.url}/auth/saml/${SLUG}/metadata`);
    expect(res.status).to.equal(200);
    const xml = await res.text();
    expect(xml).to.contain(`entityID="${server.product.config.publicUrl}/auth/saml/${SLUG}/metadata"`);
    expect(xml).to.contain(`/auth/saml/${SLUG}/acs`);
    expect(xml).to.contain('WantAssertionsSigned="true"');
  });

  it('lists the organisation on the sign-in page and finds it from a work email', async () => {
    const agent = new TestAgent(server.url);
    const page = await agent.get('/sign-in');
    expect(page.text).to.contain(`/auth/saml/${SLUG}/login`);
    // A page that moves on by a link, not a redirect (see sso-admin.browser.test.ts for why, in Chromium).
    const found = await agent.get('/auth/sso/find?email=someone%40ValeCounty.example');
    expect(found.status).to.equal(200);
    expect(found.text).to.contain(`href="/auth/saml/${SLUG}/login"`);
    const notFound = await agent.get('/auth/sso/find?email=someone%40valewomensaid.example');
    expect(notFound.text).to.contain('Sign in with your email address and password instead');
  });

  it('signs a person in through the IdP and creates their staff record', async () => {
    const agent = new TestAgent(server.url);
    const form = await responseFromIdp(agent);
    expect(form.action).to.equal(`${server.url}/auth/saml/${SLUG}/acs`);
    const res = await postToAcs(agent, form);
    expect(res.status, await res.clone().text()).to.equal(302);
    expect(res.headers.get('location')).to.equal('/privacy');
    expect(await isSignedIn(agent)).to.equal(true);
    const { rows } = await server.product.database.pool.query(
      `select s.name, s.job_title, s.team, s.staff_number, s.group_number, o.slug from staff s join organisations o on o.id = s.organisation_id where lower(s.email) = $1`,
      [person.email],
    );
    expect(rows).to.have.length(1);
    // 'Housing Officer' is a Group 2 role in the framework's mapping.
    expect(rows[0]).to.include({ name: 'Person jit.person', job_title: 'Housing Officer', team: 'Housing Options', slug: SLUG, group_number: 2 });

    // A second sign-in with a new job title updates the same record.
    person = { email: person.email, jobTitle: 'Senior Housing Officer' };
    const again = new TestAgent(server.url);
    expect((await postToAcs(again, await responseFromIdp(again))).status).to.equal(302);
    const after = await server.product.database.pool.query(`select job_title, group_number from staff where lower(email) = $1`, [person.email]);
    // A title with no mapping is left for the lead to map, never guessed.
    expect(after.rows).to.deep.equal([{ job_title: 'Senior Housing Officer', group_number: null }]);
  });

  it('refuses the same response posted twice', async () => {
    const agent = new TestAgent(server.url);
    const form = await responseFromIdp(agent);
    expect((await postToAcs(agent, form)).status).to.equal(302);
    const replayer = new TestAgent(server.url);
    await expectRefused(await postToAcs(replayer, form), replayer, /was already answered|already used/);
  });

  it('signs in once when two instances receive the same response at the same moment', async () => {
    const agent = new TestAgent(server.url);
    const form = await responseFromIdp(agent);
    const [a, b] = await Promise.all([postToAcs(new TestAgent(server.url), form), postToAcs(new TestAgent(server.url), form)]);
    expect([a.status, b.status].sort()).to.deep.equal([302, 403]);
  });

  it('refuses a response whose email was changed after signing', async () => {
    const agent = new TestAgent(server.url);
    const form = await responseFromIdp(agent);
    const xml = decode(form.SAMLResponse);
    expect(xml).to.contain(person.email);
    const tampered = encode(xml.replaceAll(person.email, 'admin@vale-partnership.example'));
    await expectRefused(await postToAcs(agent, { ...form, SAMLResponse: tampered }), agent, /signature/i);
  });

  it('refuses an unsigned response', async () => {
    const agent = new TestAgent(server.url);
    const form = await responseFromIdp(agent);
    const xml = decode(form.SAMLResponse);
    const unsigned = xml.replace(/<(\w+:)?Signature[\s>][\s\S]*?<\/(\w+:)?Signature>/, '');
    expect(unsigned).to.not.equal(xml);
    await expectRefused(await postToAcs(agent, { ...form, SAMLResponse: encode(unsigned) }), agent, /neither the response nor the assertion is signed/i);
  });

  it('refuses a response signed by a key that is not configured', async () => {
    mode = { keys: otherKeys };
    const agent = new TestAgent(server.url);
    await expectRefused(await postToAcs(agent, await responseFromIdp(agent)), agent, /signature/i);
  });

  it('refuses an expired assertion', async () => {
    mode = { lifetimeInSeconds: -600 };
    const agent = new TestAgent(server.url);
    await expectRefused(await postToAcs(agent, await responseFromIdp(agent)), agent, /expired|NotOnOrAfter|subject confirmation/i);
  });

  it('refuses an assertion addressed to another service provider', async () => {
    mode = { audience: 'https://another-service.example/saml' };
    const agent = new TestAgent(server.url);
    await expectRefused(await postToAcs(agent, await responseFromIdp(agent)), agent, /audience/i);
  });

  it('refuses XML signature wrapping: a forged assertion beside or around the signed one', async () => {
    const agent = new TestAgent(server.url);
    const form = await responseFromIdp(agent);
    const xml = decode(form.SAMLResponse);
    const signed = xml.match(/<(\w+:)?Assertion[\s\S]*<\/(\w+:)?Assertion>/)?.[0] ?? '';
    expect(signed).to.not.equal('');
    const forged = signed
      .replace(/ ID="[^"]+"/, ' ID="_forged"')
      .replace(/<(\w+:)?Signature[\s>][\s\S]*?<\/(\w+:)?Signature>/, '')
      .replaceAll(person.email, 'admin@vale-partnership.example');
    // Variant 1: the forged assertion first, the genuine signed one after it.
    const sibling = xml.replace(signed, forged + signed);
    await expectRefused(await postToAcs(agent, { ...form, SAMLResponse: encode(sibling) }), agent, /signature|assertion/i);
    // Variant 2: the genuine assertion hidden in Extensions, the forged one in its place.
    const agent2 = new TestAgent(server.url);
    const form2 = await responseFromIdp(agent2);
    const xml2 = decode(form2.SAMLResponse);
    const signed2 = xml2.match(/<(\w+:)?Assertion[\s\S]*<\/(\w+:)?Assertion>/)?.[0] ?? '';
    const forged2 = signed2
      .replace(/ ID="[^"]+"/, ' ID="_forged2"')
      .replace(/<(\w+:)?Signature[\s>][\s\S]*?<\/(\w+:)?Signature>/, '')
      .replaceAll(person.email, 'admin@vale-partnership.example');
    const wrapped = xml2.replace(signed2, `<samlp:Extensions xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">${signed2}</samlp:Extensions>${forged2}`);
    await expectRefused(await postToAcs(agent2, { ...form2, SAMLResponse: encode(wrapped) }), agent2, /signature|assertion/i);
    const admins = await server.product.database.pool.query(`select 1 from staff where lower(email) = 'admin@vale-partnership.example'`);
    expect(admins.rows).to.have.length(0);
  });

  it('refuses an email address outside the organisation’s domains, so one IdP cannot speak for another organisation', async () => {
    person = { email: 'admin@vale-partnership.example', jobTitle: 'Housing Officer' };
    const agent = new TestAgent(server.url);
    const res = await postToAcs(agent, await responseFromIdp(agent));
    expect(res.status).to.equal(403);
    expect(await res.text()).to.contain('is not one of Vale County Council’s addresses');
    expect(await isSignedIn(agent)).to.equal(false);
    expect(await lastRefusal()).to.match(/outside the organisation's email domains/);
  });

  it('does not merge a person whose email belongs to staff of another organisation', async () => {
    const pool = server.product.database.pool;
    await pool.query(
      `insert into staff (organisation_id, name, email, job_title) select id, 'Alex Moved', 'alex.moved@valecounty.example', 'Nurse' from organisations where slug = 'vale-nhs-trust'`,
    );
    person = { email: 'alex.moved@valecounty.example', jobTitle: 'Social Worker' };
    const agent = new TestAgent(server.url);
    const res = await postToAcs(agent, await responseFromIdp(agent));
    expect(res.status).to.equal(403);
    expect(await res.text()).to.contain('already registered to a member of staff in another organisation');
    expect(await lastRefusal()).to.match(/email-in-another-organisation/);
    const { rows } = await pool.query(`select 1 from staff where lower(email) = 'alex.moved@valecounty.example'`);
    expect(rows).to.have.length(1);
  });
});
