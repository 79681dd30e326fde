import { expect } from 'chai';
import { createUser } from '../../server/auth/users';
import { DEMO_PASSWORD } from '../../server/demo';
import {
  attributesFor,
  freeLoopbackPort,
  type IdpMode,
  NAMEID_PERSISTENT,
  type PersonClaims,
  type PostedResponse,
  type Pysaml2Idp,
  startPysaml2Idp,
} from '../../test/support/pysaml2-idp';
import { runModuleJobNow } from '../../test/support/jobs';
import { startTestServer, TestAgent, type TestServer } from '../../test/support/server';

const SLUG = 'vale-county-council';
const OTHER = 'vale-nhs-trust';
const ENTRA = {
  attr_email: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
  attr_givenName: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname',
  attr_surname: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname',
  attr_displayName: 'http://schemas.microsoft.com/identity/claims/displayname',
  attr_jobTitle: 'jobtitle',
  attr_team: 'department',
  attr_staffNumber: 'employeeid',
};

/** The product at a PUBLIC_URL that is its real address, so the ACS URL it sends the IdP can be posted to. */
async function serverAtItsOwnUrl(): Promise<TestServer> {
  const port = await freeLoopbackPort();
  return startTestServer({ demo: true, config: { port, publicUrl: `http://127.0.0.1:${port}` } });
}

/**
 * SAML sign-in against pysaml2, an IdP implementation independent of the
 * product and of node-saml, driven as an HTTP client. Each forged response is
 * signed with the IdP's real key, so only the product's own checks stop it.
 */
describe('SAML single sign-on against the pysaml2 identity provider (HTTP client)', function () {
  this.timeout(180_000);
  let server: TestServer;
  let idp: Pysaml2Idp;
  let admin: TestAgent;
  let acs: string;
  const person: PersonClaims = {
    email: 'py.person@valecounty.example',
    givenName: 'Pat',
    surname: 'Young',
    jobTitle: 'Housing Officer',
    team: 'Housing Options',
    staffNumber: 'VC-991',
  };

  async function configure(slug: string, fields: Record<string, string> = {}): Promise<Response> {
    await admin.get(`/admin/sso/${slug}`);
    return admin.postForm(`/admin/sso/${slug}`, {
      enabled: 'yes',
      idpEntryPoint: idp.ssoUrl,
      idpEntityId: idp.entityId,
      certificates: idp.keys.cert,
      spEntityId: '',
      signingRequired: 'either',
      ...ENTRA,
      ...fields,
    });
  }

  before(async () => {
    [server, idp] = await Promise.all([serverAtItsOwnUrl(), startPysaml2Idp()]);
    acs = `${server.url}/auth/saml/${SLUG}/acs`;
    admin = new TestAgent(server.url);
    await admin.signIn('admin@vale-partnership.example', DEMO_PASSWORD);
  });

  beforeEach(async () => {
    const saved = await configure(SLUG);
    expect(saved.status, await saved.clone().text()).to.equal(302);
  });

  after(async () => {
    await idp?.close();
    await server?.close();
  });

  /** Starts a sign-in here (SP-initiated) and returns what the IdP posts back. */
  async function responseFor(agent: TestAgent, mode: IdpMode, slug = SLUG): Promise<PostedResponse> {
    await idp.setMode(mode);
    const start = await agent.request('GET', `/auth/saml/${slug}/login?returnTo=/privacy`);
    expect(start.status).to.equal(302);
    return idp.respond(start.headers.get('location') ?? '');
  }

  async function post(agent: TestAgent, form: PostedResponse, slug = SLUG): Promise<Response> {
    const body = new URLSearchParams({ SAMLResponse: form.SAMLResponse, RelayState: form.RelayState });
    return agent.request('POST', `/auth/saml/${slug}/acs`, { body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  }

  async function signIn(mode: IdpMode, agent = new TestAgent(server.url)): Promise<{ res: Response; text: string; agent: TestAgent }> {
    const res = await post(agent, await responseFor(agent, mode));
    return { res, text: await res.text(), agent };
  }

  /** A signed-in person is sent on from the sign-in page. */
  async function signedInAs(agent: TestAgent): Promise<string | null> {
    return (await agent.get('/sign-in')).status === 302 ? 'someone' : null;
  }

  async function lastRefusal(): Promise<string> {
    const { rows } = await server.product.database.pool.query<{ detail: { reason: string } }>(
      `select detail from audit_log where action = 'sign-in.refused' order by id desc limit 1`,
    );
    return rows[0]?.detail.reason ?? '';
  }

  async function expectRefused(r: { res: Response; text: string; agent: TestAgent }, reason: RegExp, shown?: RegExp): Promise<void> {
    expect(r.res.status, r.text.slice(0, 200)).to.equal(403);
    expect(r.text).to.contain('We could not sign you in');
    if (shown) expect(r.text.replace(/&#x27;|&#39;/g, "'")).to.match(shown);
    expect(await signedInAs(r.agent)).to.equal(null);
    expect(await lastRefusal()).to.match(reason);
  }

  it('publishes IdP metadata the administrator can read the entity id and certificate from', async () => {
    const xml = await idp.metadata();
    expect(xml).to.contain(`entityID="${idp.entityId}"`);
    expect(xml).to.contain(idp.ssoUrl);
    const body = idp.keys.cert.replace(/-----[A-Z ]+-----|\s/g, '');
    expect(xml.replace(/\s/g, '')).to.contain(body);
  });

  it('signs a person in SP-initiated, with the attribute names Entra ID sends', async () => {
    const { res, agent, text } = await signIn({ attributes: attributesFor(person, 'entra') });
    expect(res.status, text.slice(0, 300)).to.equal(302);
    expect(res.headers.get('location')).to.equal('/privacy');
    expect(await signedInAs(agent)).to.not.equal(null);
    const { rows } = await server.product.database.pool.query(`select name, job_title, team, staff_number from staff where lower(email) = $1`, [person.email]);
    expect(rows).to.deep.equal([{ name: 'Pat Young', job_title: 'Housing Officer', team: 'Housing Options', staff_number: 'VC-991' }]);
  });

  describe('account linking (issue 18.1, 18.2)', () => {
    it('refuses to switch SSO on for an organisation without email domains', async () => {
      const pool = server.product.database.pool;
      await pool.query(`update organisations set email_domains = '{}' where slug = 'northshire-council'`);
      const res = await configure('northshire-council');
      expect(res.status).to.equal(400);
      expect(await res.text()).to.contain('Add the organisation’s email domains');
      const { rows } = await pool.query(
        `select 1 from saml_identity_providers p join organisations o on o.id = p.organisation_id where o.slug = 'northshire-council'`,
      );
      expect(rows).to.have.length(0);
    });

    it('an organisation’s IdP asserting the partnership administrator’s email does not sign in as the administrator', async () => {
      const pool = server.product.database.pool;
      const adminEmail = 'admin@vale-partnership.example';
      // Outside the organisation's domains: refused outright.
      await expectRefused(
        await signIn({ attributes: attributesFor({ ...person, email: adminEmail }, 'entra') }),
        /outside the organisation's email domains/,
        /Contact your organisational lead/,
      );
      // Even an organisation that lists the administrator's domain cannot take the account: it has a password and an admin role.
      await pool.query(`update organisations set email_domains = email_domains || '{vale-partnership.example}' where slug = $1`, [SLUG]);
      try {
        await expectRefused(
          await signIn({
            attributes: attributesFor({ ...person, email: adminEmail }, 'entra'),
            nameId: { value: 'attacker-chosen-id', format: NAMEID_PERSISTENT },
          }),
          /account-not-linkable: .*has a password|account-not-linkable: .*partnership-admin/,
          /Contact your organisational lead/,
        );
      } finally {
        await pool.query(`update organisations set email_domains = array_remove(email_domains, 'vale-partnership.example') where slug = $1`, [SLUG]);
      }
      const linked = await pool.query(`select 1 from sso_identities i join users u on u.id = i.user_id where u.email = $1`, [adminEmail]);
      expect(linked.rows).to.have.length(0);
      const staff = await pool.query(`select 1 from staff where lower(email) = $1`, [adminEmail]);
      expect(staff.rows).to.have.length(0);
    });

    it('a stranger’s self-registered account with a staff member’s email is not taken over by that member’s SSO sign-in', async () => {
      const pool = server.product.database.pool;
      const email = 'rowan.real@valecounty.example';
      // What /public-learning/register made for anyone who typed the address: a password account with the learner role.
      const strangerId = await createUser(pool, {
        email,
        name: 'Stranger',
        password: 'stranger chose this password 2026',
        roles: [{ role: 'learner', organisationId: null }],
      });
      const r = await signIn({
        attributes: attributesFor({ ...person, email, givenName: 'Rowan', surname: 'Real' }, 'entra'),
        nameId: { value: 'rowan-object-id', format: NAMEID_PERSISTENT },
      });
      await expectRefused(r, /account-not-linkable: .*has a password/, /Contact your organisational lead/);
      const { rows } = await pool.query(`select 1 from sso_identities where user_id = $1`, [strangerId]);
      expect(rows).to.have.length(0);
      const staff = await pool.query(`select user_id from staff where lower(email) = $1`, [email]);
      expect(staff.rows.every((s: { user_id: string | null }) => s.user_id !== strangerId)).to.equal(true);
      const audit = await pool.query(`select 1 from audit_log where action = 'sign-in.refused' and detail->>'reason' like 'account-not-linkable%'`);
      expect(audit.rows.length).to.be.greaterThan(0);
    });

    it('finds the account through the IdP and NameID, not the email: a new email keeps the account, another NameID with the same email is refused', async () => {
      const pool = server.product.database.pool;
      const claims = { ...person, email: 'casey.link@valecounty.example', givenName: 'Casey', surname: 'Link', staffNumber: 'VC-1' };
      const first = await signIn({ attributes: attributesFor(claims, 'entra'), nameId: { value: 'casey-oid', format: NAMEID_PERSISTENT } });
      expect(first.res.status, first.text.slice(0, 300)).to.equal(302);
      const { rows: links } = await pool.query<{ user_id: string; subject_source: string }>(
        `select user_id, subject_source from sso_identities where subject = 'casey-oid'`,
      );
      expect(links).to.have.length(1);
      expect(links[0].subject_source).to.equal('nameid');
      // The IdP renames the person's mailbox: the same NameID still reaches the same account.
      const renamed = await signIn({
        attributes: attributesFor({ ...claims, email: 'casey.renamed@valecounty.example' }, 'entra'),
        nameId: { value: 'casey-oid', format: NAMEID_PERSISTENT },
      });
      expect(renamed.res.status).to.equal(302);
      const again = await pool.query(`select user_id from sso_identities where subject = 'casey-oid'`);
      expect(again.rows).to.deep.equal([{ user_id: links[0].user_id }]);
      // Another subject asserting Casey's email does not get Casey's account.
      await expectRefused(
        await signIn({ attributes: attributesFor(claims, 'entra'), nameId: { value: 'someone-else-oid', format: NAMEID_PERSISTENT } }),
        /account-not-linkable: .*already linked to another identity/,
        /Contact your organisational lead/,
      );
    });

    it('joins an existing account by email on first sign-in only when it has no password and no role beyond learner', async () => {
      const pool = server.product.database.pool;
      const email = 'dana.invited@valecounty.example';
      const id = await createUser(pool, { email, name: 'Dana', roles: [{ role: 'learner', organisationId: null }] });
      const r = await signIn({
        attributes: attributesFor({ ...person, email, staffNumber: 'VC-2' }, 'entra'),
        nameId: { value: 'dana-oid', format: NAMEID_PERSISTENT },
      });
      expect(r.res.status, r.text.slice(0, 300)).to.equal(302);
      const { rows } = await pool.query(`select user_id from sso_identities where subject = 'dana-oid'`);
      expect(rows).to.deep.equal([{ user_id: id }]);
      // A lead of the organisation is not joined, password or not.
      const leadEmail = 'lee.lead@valecounty.example';
      const { rows: org } = await pool.query<{ id: string }>('select id from organisations where slug = $1', [SLUG]);
      await createUser(pool, { email: leadEmail, name: 'Lee', roles: [{ role: 'org-lead', organisationId: org[0].id }] });
      await expectRefused(
        await signIn({
          attributes: attributesFor({ ...person, email: leadEmail, staffNumber: 'VC-3' }, 'entra'),
          nameId: { value: 'lee-oid', format: NAMEID_PERSISTENT },
        }),
        /account-not-linkable: .*org-lead/,
      );
    });

    it('signs in a person whose IdP sends a staff number already on a colleague’s record, without taking it (no server error)', async () => {
      const first = await signIn({ attributes: attributesFor({ ...person, email: 'number.one@valecounty.example', staffNumber: 'VC-DUP' }, 'entra') });
      expect(first.res.status, await lastRefusal()).to.equal(302);
      const second = await signIn({ attributes: attributesFor({ ...person, email: 'number.two@valecounty.example', staffNumber: 'VC-DUP' }, 'entra') });
      expect(second.res.status, second.text.slice(0, 200)).to.equal(302);
      const { rows } = await server.product.database.pool.query(
        `select lower(email) as email, staff_number from staff where lower(email) like 'number.%' order by email`,
      );
      expect(rows).to.deep.equal([
        { email: 'number.one@valecounty.example', staff_number: 'VC-DUP' },
        { email: 'number.two@valecounty.example', staff_number: null },
      ]);
    });

    it('recognises people by a stable id attribute when the organisation names one', async () => {
      const res = await configure(SLUG, { subjectAttribute: 'http://schemas.microsoft.com/identity/claims/objectidentifier' });
      expect(res.status).to.equal(302);
      const claims = { ...person, email: 'obi.stable@valecounty.example', staffNumber: 'VC-4' };
      const attributes = [...attributesFor(claims, 'entra'), { name: 'http://schemas.microsoft.com/identity/claims/objectidentifier', values: ['0000-obi'] }];
      const r = await signIn({ attributes, nameId: { value: 'transient-123', format: 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient' } });
      expect(r.res.status, r.text.slice(0, 300)).to.equal(302);
      const { rows } = await server.product.database.pool.query(`select subject_source from sso_identities where subject = '0000-obi'`);
      expect(rows).to.deep.equal([{ subject_source: 'http://schemas.microsoft.com/identity/claims/objectidentifier' }]);
    });
  });

  describe('forged responses, each signed with the real IdP key (issue 18.10)', () => {
    const claims = () => attributesFor({ ...person, email: 'forge.target@valecounty.example' }, 'entra');

    it('refuses a response whose Issuer is not the organisation’s IdP', async () => {
      await expectRefused(
        await signIn({ attributes: claims(), issuer: 'https://sts.windows.net/another-tenant/' }),
        /Issuer is "https:\/\/sts.windows.net\/another-tenant\/", not the organisation's identity provider/,
      );
    });

    it('refuses a response whose Destination is another organisation’s ACS', async () => {
      await expectRefused(
        await signIn({ attributes: claims(), destination: `${server.url}/auth/saml/${OTHER}/acs` }),
        /Destination is .*vale-nhs-trust\/acs.*, not this organisation's ACS URL/,
      );
    });

    it('refuses an assertion whose SubjectConfirmation Recipient is another service', async () => {
      await expectRefused(
        await signIn({ attributes: claims(), recipient: 'https://another-service.example/acs' }),
        /Recipient is "https:\/\/another-service.example\/acs"/,
      );
    });

    it('refuses a response to a sign-in another organisation started', async () => {
      const saved = await configure(OTHER);
      expect(saved.status).to.equal(302);
      // The attacker starts a sign-in at the other organisation and has the IdP answer it, posting to this organisation's ACS.
      const other = await new TestAgent(server.url).request('GET', `/auth/saml/${OTHER}/login`);
      const otherRequest = new URL(other.headers.get('location') ?? '');
      await idp.respond(otherRequest.toString());
      const otherId = (await idp.lastRequest())?.id ?? '';
      expect(otherId).to.match(/^_/);
      await expectRefused(await signIn({ attributes: claims(), inResponseTo: otherId }), /which Vale County Council did not start/);
    });

    it('refuses a response to no request at all while IdP-initiated sign-in is off, and says so plainly', async () => {
      const agent = new TestAgent(server.url);
      await idp.setMode({ attributes: claims() });
      const res = await post(agent, await idp.unsolicited(acs, `${server.url}/auth/saml/${SLUG}/metadata`, '/privacy'));
      await expectRefused(
        { res, text: await res.text(), agent },
        /IdP-initiated sign-in is switched off/,
        /has not switched on signing in from its own portal/,
      );
    });
  });

  describe('IdP-initiated sign-in (issue 21.6)', () => {
    it('signs in from the IdP’s own portal when switched on, and each assertion only once', async () => {
      expect((await configure(SLUG, { allowIdpInitiated: 'yes' })).status).to.equal(302);
      await idp.setMode({ attributes: attributesFor({ ...person, email: 'tile.user@valecounty.example', staffNumber: 'VC-T1' }, 'entra') });
      const form = await idp.unsolicited(acs, `${server.url}/auth/saml/${SLUG}/metadata`, '/privacy');
      const agent = new TestAgent(server.url);
      const res = await post(agent, form);
      expect(res.status, await lastRefusal()).to.equal(302);
      expect(res.headers.get('location')).to.equal('/privacy');
      expect(await signedInAs(agent)).to.not.equal(null);
      const replayer = new TestAgent(server.url);
      const again = await post(replayer, form);
      await expectRefused({ res: again, text: await again.text(), agent: replayer }, /already used \(replay\)/);
      // A solicited response is still bound to this organisation's own request.
      const solicited = await signIn({
        attributes: attributesFor({ ...person, email: 'tile.user@valecounty.example' }, 'entra'),
        inResponseTo: '_never-started',
      });
      await expectRefused(solicited, /did not start/);
    });
  });

  describe('single logout to an IdP that requires signed LogoutRequests (as ADFS and Shibboleth do)', () => {
    const pemOf = (body: string) => `-----BEGIN CERTIFICATE-----\n${body.match(/.{1,64}/g)?.join('\n')}\n-----END CERTIFICATE-----\n`;
    const htmlDecoded = (s: string) =>
      s
        .replace(/&amp;/g, '&')
        .replace(/&#x3D;/g, '=')
        .replace(/&#x27;/g, "'")
        .replace(/&quot;/g, '"');

    it('signs its LogoutRequest with SHA-256 by the certificate in its metadata, and ends both sessions on the IdP’s signed LogoutResponse', async () => {
      expect((await configure(SLUG, { idpLogoutUrl: idp.sloUrl })).status).to.equal(302);
      const metadata = await (await fetch(`${server.url}/auth/saml/${SLUG}/metadata`)).text();
      const signing = metadata.match(/<KeyDescriptor use="signing">[\s\S]*?<ds:X509Certificate>([^<]+)</)?.[1]?.replace(/\s/g, '');
      expect(signing, 'a signing certificate in the SP metadata').to.be.a('string');
      // Sign-in requests stay unsigned, and the metadata must not promise otherwise.
      expect(metadata).to.contain('AuthnRequestsSigned="false"');
      const spSlo = `${server.url}/auth/saml/${SLUG}/slo`;
      const claims = { ...person, email: 'slo.person@valecounty.example', staffNumber: 'VC-SLO1' };
      const { res, agent } = await signIn({ attributes: attributesFor(claims, 'entra'), spSigningCert: pemOf(signing ?? ''), spSloUrl: spSlo });
      expect(res.status, await lastRefusal()).to.equal(302);

      await agent.get('/privacy');
      const handOver = await agent.postForm('/sign-out', {});
      expect(handOver.status).to.equal(307);
      const page = await agent.postForm(handOver.headers.get('location') ?? '', {});
      const html = await page.text();
      expect(page.status, html.slice(0, 300)).to.equal(200);
      const logoutUrl = htmlDecoded(html.match(/<a href="([^"]+)"[^>]*data-sso-continue/)?.[1] ?? '');
      expect(logoutUrl.startsWith(`${idp.sloUrl}?`), logoutUrl).to.equal(true);
      expect(new URL(logoutUrl).searchParams.get('SigAlg')).to.equal('http://www.w3.org/2001/04/xmldsig-more#rsa-sha256');

      // The IdP really checks: the same request without its signature, or with another, is refused.
      const unsigned = new URL(logoutUrl);
      unsigned.searchParams.delete('Signature');
      unsigned.searchParams.delete('SigAlg');
      expect(await idp.logout(unsigned.toString())).to.include({ status: 403, error: 'unsigned LogoutRequest' });
      const tampered = new URL(logoutUrl);
      tampered.searchParams.set('RelayState', '/somewhere-else');
      expect((await idp.logout(tampered.toString())).status).to.equal(403);

      const answer = await idp.logout(logoutUrl);
      expect(answer.status, answer.error).to.equal(200);
      const logout = await idp.lastLogout();
      expect(logout).to.include({ name_id: claims.email, issuer: `${server.url}/auth/saml/${SLUG}/metadata` });
      const back = new URL(answer.location ?? '');
      expect(`${back.origin}${back.pathname}`).to.equal(spSlo);
      const done = await agent.get(`${back.pathname}${back.search}`);
      expect(done.status, done.text.slice(0, 300)).to.equal(302);
      expect(done.res.headers.get('location')).to.equal(`/auth/saml/${SLUG}/signed-out?everywhere=1`);
      expect(await signedInAs(agent)).to.equal(null);
    });

    it('ends every session of the person named in the IdP’s signed LogoutRequest, and answers with a signed LogoutResponse', async () => {
      expect((await configure(SLUG, { idpLogoutUrl: idp.sloUrl })).status).to.equal(302);
      const spSlo = `${server.url}/auth/saml/${SLUG}/slo`;
      const claims = { ...person, email: 'idp.logout@valecounty.example', staffNumber: 'VC-SLO2' };
      const { res, agent } = await signIn({ attributes: attributesFor(claims, 'entra'), spSloUrl: spSlo });
      expect(res.status, await lastRefusal()).to.equal(302);
      // Sent by the IdP's back channel: no cookie of the person's browser comes with it.
      const toSp = await fetch(idp.signOutAtIdpUrl(claims.email, `${server.url}/auth/saml/${SLUG}/metadata`), { redirect: 'manual' });
      const answered = await fetch(toSp.headers.get('location') ?? '', { redirect: 'manual' });
      expect(answered.status, await answered.clone().text()).to.equal(302);
      expect(answered.headers.get('location')).to.match(new RegExp(`^${idp.sloUrl}\\?SAMLResponse=.*&Signature=`));
      expect(await signedInAs(agent)).to.equal(null);
    });
  });

  describe('metadata refreshed on its schedule (issue 21.2)', () => {
    it('takes up the IdP’s next certificate from its metadata URL, so a response signed with it is accepted', async () => {
      expect((await configure(SLUG, { metadataUrl: idp.metadataUrl })).status).to.equal(302);
      await idp.setMode({ publishNext: true });
      const pool = server.product.database.pool;
      await runModuleJobNow(server, 'sso', 'sso:refresh-metadata', async () => {
        const { rows } = await pool.query<{ n: number }>(
          `select cardinality(idp_certificates) as n from saml_identity_providers p join organisations o on o.id = p.organisation_id where o.slug = $1`,
          [SLUG],
        );
        return rows[0].n === 2;
      });
      const r = await signIn({
        publishNext: true,
        signWithNext: true,
        attributes: attributesFor({ ...person, email: 'rolled.over@valecounty.example', staffNumber: 'VC-RO' }, 'entra'),
      });
      expect(r.res.status, await lastRefusal()).to.equal(302);
    });
  });
});
