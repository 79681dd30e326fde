import { expect } from 'chai';
import { createApiToken } from '../../server/auth/users';
import { createLogger } from '../../server/logger';
import { TEST_DB } from '../support/database';
import { startTestServer, TestAgent, type TestServer } from '../support/server';
import { DEMO_EMAILS, DEMO_PASSWORD } from './fixture';

/**
 * Secrets stay where they belong: never in a log line, never in the admin
 * outbox, never in the address bar after first use; and a visitor who only
 * reads pages leaves no session row behind.
 */
describe(`secrets stay out of logs, the outbox and the address bar; anonymous visitors keep no session (${TEST_DB})`, function () {
  this.timeout(300_000);
  let server: TestServer;
  const lines: string[] = [];
  const pool = () => server.product.database.pool;

  before(async () => {
    // Every log line the product writes, at the most talkative level, as a log shipper would receive them.
    const logger = createLogger({ env: 'production', logLevel: 'debug' }, { write: (line: string) => void lines.push(line) });
    server = await startTestServer({ demo: true, logger });
  });
  after(async () => server?.close());

  async function linkSentTo(email: string, path: string): Promise<string> {
    const { rows } = await pool().query<{ text_body: string }>(
      'select text_body from outbound_messages where to_address = $1 order by created_at desc limit 1',
      [email],
    );
    const m = rows[0]?.text_body.match(new RegExp(`https?://[^\\s]+(${path}/[\\w-]+)`));
    if (!m) throw new Error(`no ${path} link emailed to ${email}`);
    return m[1];
  }

  it('writes no reset or invitation token, CSRF token, session id, SAML response or bearer token to any log line', async () => {
    const admin = new TestAgent(server.url);
    await admin.signIn(DEMO_EMAILS['partnership-admin'], DEMO_PASSWORD);
    const adminCsrf = admin.csrfToken ?? '';
    const sessionCookie = (await admin.request('GET', '/')).headers.getSetCookie().find((c) => c.startsWith('dal.sid=')) ?? '';
    const sessionId = decodeURIComponent(sessionCookie.split(';')[0].slice('dal.sid='.length)).replace(/^s:/, '').split('.')[0];

    // A reset link opened, and an invitation opened.
    const visitor = new TestAgent(server.url);
    await visitor.get('/password-reset');
    await visitor.postForm('/password-reset', { email: DEMO_EMAILS.trainer });
    const resetLink = await linkSentTo(DEMO_EMAILS.trainer, '/password-reset');
    expect((await visitor.request('GET', resetLink)).headers.get('location')).to.equal('/password-reset/new');
    await visitor.get('/password-reset/new');

    await admin.get('/invitations/new');
    const { rows: org } = await pool().query<{ id: string }>(`select id from organisations where slug = 'vale-county-council'`);
    expect(
      (await admin.postForm('/invitations/new', { name: 'Lou Logs', email: 'lou.logs@valecounty.example', role: 'learner', organisationId: org[0].id })).status,
    ).to.equal(302);
    const invitationLink = await linkSentTo('lou.logs@valecounty.example', '/invitations');
    const invitee = new TestAgent(server.url);
    expect((await invitee.request('GET', invitationLink)).headers.get('location')).to.equal('/invitations/accept');

    // Secrets in query strings, a bearer token and a SAML response.
    await admin.request('GET', `/sign-in?_csrf=${encodeURIComponent(adminCsrf)}&token=query-token-secret-1234567890`);
    const { rows: adminRow } = await pool().query<{ id: string }>('select id from users where email = $1', [DEMO_EMAILS['partnership-admin']]);
    const bearer = await createApiToken(pool(), adminRow[0].id);
    await (await fetch(`${server.url}/api/v1/organisations`, { headers: { authorization: `Bearer ${bearer}` } })).arrayBuffer();
    await (await fetch(`${server.url}/api/v1/organisations?access_token=${bearer}`)).arrayBuffer();
    const samlResponse = Buffer.from('<samlp:Response>secret-assertion-in-logs</samlp:Response>').toString('base64');
    await (
      await fetch(`${server.url}/auth/saml/vale-county-council/acs?SAMLResponse=${encodeURIComponent(samlResponse)}`, {
        method: 'POST',
        body: new URLSearchParams({ SAMLResponse: samlResponse }),
      })
    ).arrayBuffer();

    const log = lines.join('');
    // The requests were logged, with their secrets taken out.
    expect(log).to.contain('/password-reset/[redacted]');
    expect(log).to.contain('/invitations/[redacted]');
    const secrets: Record<string, string> = {
      'reset token': resetLink.split('/').pop() ?? '',
      'invitation token': invitationLink.split('/').pop() ?? '',
      'CSRF token': adminCsrf,
      'session id': sessionId,
      'bearer token': bearer,
      'bearer token without prefix': bearer.slice(4),
      'SAML response': samlResponse.slice(0, 30),
      'query token': 'query-token-secret-1234567890',
    };
    for (const [what, secret] of Object.entries(secrets)) {
      expect(secret, what).to.have.length.above(10);
      expect(log.includes(secret), `${what} in the log`).to.equal(false);
      expect(log.includes(encodeURIComponent(secret)), `${what} (encoded) in the log`).to.equal(false);
    }
  });

  it('never shows an administrator another person’s live reset or invitation link in the outbox', async () => {
    const admin = new TestAgent(server.url);
    await admin.signIn(DEMO_EMAILS['partnership-admin'], DEMO_PASSWORD);
    const visitor = new TestAgent(server.url);
    await visitor.get('/password-reset');
    await visitor.postForm('/password-reset', { email: DEMO_EMAILS['board-member'] });
    const link = await linkSentTo(DEMO_EMAILS['board-member'], '/password-reset');
    const token = link.split('/').pop() ?? '';
    const { rows } = await pool().query<{ id: string }>(
      `select id from outbound_messages where to_address = $1 and subject = 'Reset your password' order by created_at desc limit 1`,
      [DEMO_EMAILS['board-member']],
    );
    const list = await admin.get('/admin/outbox');
    expect(list.status).to.equal(200);
    expect(list.text).to.not.contain(token);
    const message = await admin.get(`/admin/outbox/${rows[0].id}`);
    expect(message.status).to.equal(200);
    expect(message.text).to.contain('Reset your password');
    expect(message.text).to.contain('link withheld');
    expect(message.text).to.not.contain(token);
  });

  it('stores no session row for anonymous page views, and anonymous forms still work with their CSRF token', async () => {
    const count = async () => (await pool().query<{ n: number }>('select count(*)::int as n from sessions')).rows[0].n;
    const before = await count();
    const pages = [
      '/privacy',
      '/sign-in',
      '/',
      '/password-reset',
      '/accessibility',
      '/support',
      '/public-learning/register',
      '/verify',
      '/signed-out',
      '/no-such-page',
    ];
    const returning = new TestAgent(server.url);
    for (let i = 0; i < 200; i += 10) {
      await Promise.all(
        pages.map(async (p, j) => {
          // Half are crawlers with no cookies; half come back with the cookies they were given.
          const agent = (i + j) % 2 ? new TestAgent(server.url) : returning;
          const res = await agent.request('GET', p, { headers: { accept: 'text/html' } });
          await res.arrayBuffer();
          expect(res.status, p).to.be.below(500);
        }),
      );
    }
    expect(await count(), 'session rows after 200 anonymous page views').to.equal(before);

    // Forms without a session still carry a working CSRF token, and refuse a post without it.
    const visitor = new TestAgent(server.url);
    await visitor.get('/password-reset');
    expect((await visitor.postForm('/password-reset', { email: 'someone@example.org' })).status).to.equal(200);
    const forged = await fetch(`${server.url}/password-reset`, {
      method: 'POST',
      body: new URLSearchParams({ email: 'someone@example.org' }),
      redirect: 'manual',
    });
    expect(forged.status).to.equal(403);
    const stolen = await fetch(`${server.url}/password-reset`, {
      method: 'POST',
      body: new URLSearchParams({ email: 'someone@example.org', _csrf: visitor.csrfToken ?? '' }),
      redirect: 'manual',
    });
    expect(stolen.status, 'a token without its cookie').to.equal(403);
    expect(await count(), 'session rows after anonymous forms that need none').to.equal(before);
    const signingIn = new TestAgent(server.url);
    await signingIn.signIn(DEMO_EMAILS.learner, DEMO_PASSWORD);
    expect(await count()).to.equal(before + 1);
  });
});
