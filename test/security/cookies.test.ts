import { expect } from 'chai';
import { TEST_DB } from '../support/database';
import { addUser, startTestServer, TEST_PASSWORD, TestAgent, type TestServer } from '../support/server';

/** Behind the HTTPS proxy a production installation uses: the session cookie is Secure as well as HttpOnly and SameSite. */
describe(`cookies behind HTTPS (${TEST_DB})`, function () {
  this.timeout(60_000);
  let server: TestServer;

  before(async () => {
    server = await startTestServer({ config: { publicUrl: 'https://training.vale.example', secureCookies: true, trustProxy: true } });
  });
  after(async () => server?.close());

  it('marks the session cookie Secure, HttpOnly and SameSite=Lax, and sends HSTS', async () => {
    const { email } = await addUser(server, 'learner');
    const agent = new TestAgent(server.url);
    const https = { 'x-forwarded-proto': 'https' };
    const page = await agent.request('GET', '/sign-in', { headers: https });
    const html = await page.text();
    const token = html.match(/name="_csrf" value="([^"]+)"/)?.[1] ?? '';
    const res = await agent.request('POST', '/sign-in', {
      body: new URLSearchParams({ _csrf: token, email, password: TEST_PASSWORD }),
      headers: { ...https, 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res.status).to.equal(302);
    const cookie = [...page.headers.getSetCookie(), ...res.headers.getSetCookie()].find((c) => c.startsWith('dal.sid='));
    expect(cookie)
      .to.match(/;\s*Secure/i)
      .and.match(/;\s*HttpOnly/i)
      .and.match(/;\s*SameSite=Lax/i);
    // The anonymous form's CSRF cookie and the known-browser cookie set at sign-in are no weaker.
    for (const name of ['dal.csrf=', 'dal.known=']) {
      const other = [...page.headers.getSetCookie(), ...res.headers.getSetCookie()].find((c) => c.startsWith(name));
      expect(other, name)
        .to.match(/;\s*Secure/i)
        .and.match(/;\s*HttpOnly/i)
        .and.match(/;\s*SameSite=Lax/i);
    }
    expect(page.headers.get('strict-transport-security')).to.match(/max-age=\d+/);
    expect(page.headers.get('content-security-policy')).to.contain('upgrade-insecure-requests');
  });
});
