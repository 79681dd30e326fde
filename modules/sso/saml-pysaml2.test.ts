import { expect } from 'chai';
import { DEMO_PASSWORD } from '../../server/demo';
import { attributesFor, freeLoopbackPort, type PersonClaims, type Pysaml2Idp, startPysaml2Idp } from '../../test/support/pysaml2-idp';
import { startTestServer, TestAgent, type TestServer } from '../../test/support/server';

const SLUG = 'vale-county-council';

/** The product at a PUBLIC_URL that is its real address, so the ACS URL it sends the IdP can be posted to. */
async function serverAtItsOwnUrl(): Promise<TestServer> {
  const port = await freeLoopbackPort();
  return startTestServer({ demo: true, config: { port, publicUrl: `http://127.0.0.1:${port}` } });
}
const ENTRA = {
  attr_email: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
  attr_givenName: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname',
  attr_surname: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname',
  attr_displayName: 'http://schemas.microsoft.com/identity/claims/displayname',
  attr_jobTitle: 'jobtitle',
  attr_team: 'department',
  attr_staffNumber: 'employeeid',
};

/** SAML sign-in against pysaml2, an IdP implementation independent of the product and of node-saml. */
describe('SAML single sign-on against the pysaml2 identity provider (HTTP client)', function () {
  this.timeout(120_000);
  let server: TestServer;
  let idp: Pysaml2Idp;
  const person: PersonClaims = { email: 'py.person@valecounty.example', givenName: 'Pat', surname: 'Young', jobTitle: 'Housing Officer', team: 'Housing Options', staffNumber: 'VC-991' };

  before(async () => {
    [server, idp] = await Promise.all([serverAtItsOwnUrl(), startPysaml2Idp()]);
    const admin = new TestAgent(server.url);
    await admin.signIn('admin@vale-partnership.example', DEMO_PASSWORD);
    await admin.get(`/admin/sso/${SLUG}`);
    const saved = await admin.postForm(`/admin/sso/${SLUG}`, { enabled: 'yes', idpEntryPoint: idp.ssoUrl, idpEntityId: idp.entityId, certificates: idp.keys.cert, spEntityId: '', ...ENTRA });
    expect(saved.status, await saved.clone().text()).to.equal(302);
  });

  after(async () => {
    await idp?.close();
    await server?.close();
  });

  async function signInThroughIdp(agent: TestAgent): Promise<Response> {
    const start = await agent.request('GET', `/auth/saml/${SLUG}/login?returnTo=/privacy`);
    expect(start.status).to.equal(302);
    const form = await idp.respond(start.headers.get('location') ?? '');
    expect(form.action).to.equal(`${server.product.config.publicUrl}/auth/saml/${SLUG}/acs`);
    const body = new URLSearchParams({ SAMLResponse: form.SAMLResponse, RelayState: form.RelayState });
    return agent.request('POST', `/auth/saml/${SLUG}/acs`, { body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  }

  it('publishes IdP metadata the administrator can read the entity id and certificate from', async () => {
    const xml = await idp.metadata();
    expect(xml).to.contain(`entityID="${idp.entityId}"`);
    expect(xml).to.contain(idp.ssoUrl);
    const body = idp.keys.cert.replace(/-----[A-Z ]+-----|\s/g, '');
    expect(xml.replace(/\s/g, '')).to.contain(body);
  });

  it('signs a person in SP-initiated, with the attribute names Entra ID sends', async () => {
    await idp.setMode({ attributes: attributesFor(person, 'entra') });
    const agent = new TestAgent(server.url);
    const res = await signInThroughIdp(agent);
    expect(res.status, await res.clone().text()).to.equal(302);
    expect(res.headers.get('location')).to.equal('/privacy');
    expect((await agent.get('/sign-in')).status).to.equal(302);
    const { rows } = await server.product.database.pool.query(`select name, job_title, team, staff_number from staff where lower(email) = $1`, [person.email]);
    expect(rows).to.deep.equal([{ name: 'Pat Young', job_title: 'Housing Officer', team: 'Housing Options', staff_number: 'VC-991' }]);
  });
});
