import { expect } from 'chai';
import { DEMO_PASSWORD } from '../../server/demo';
import { TEST_DB } from '../../test/support/database';
import { startTestServer, TestAgent, type TestServer } from '../../test/support/server';
import { type ReceivedMail, startSmtpReceiver } from '../../test/support/smtp';
import { REGISTRATIONS_PER_IP_PER_HOUR } from '.';

const PUBLIC_URL = 'https://learning.vale.example';

/**
 * Self-registration as a stranger would try it: with someone else's work
 * address, to learn who has an account or to hold an account ready for them.
 * Mail goes to a real SMTP receiver.
 */
describe(`public self-registration proves the address first (${TEST_DB})`, function () {
  this.timeout(300_000);
  let server: TestServer;
  let smtp: Awaited<ReturnType<typeof startSmtpReceiver>>;
  let received: ReceivedMail[];
  const pool = () => server.product.database.pool;

  before(async () => {
    smtp = await startSmtpReceiver();
    received = smtp.received;
    server = await startTestServer({ demo: true, config: { smtpUrl: smtp.url, publicUrl: PUBLIC_URL } });
  });
  after(async () => {
    await server?.close();
    await smtp?.close();
  });

  const register = async (agent: TestAgent, fields: Record<string, string>) => {
    await agent.get('/public-learning/register');
    const res = await agent.postForm('/public-learning/register', fields);
    return { status: res.status, text: await res.text() };
  };
  const mailTo = async (email: string) => {
    await server.product.mailer.deliverQueued();
    return received.filter((m) => m.to.includes(email));
  };
  const main = (html: string) => (html.match(/<main[\s\S]*<\/main>/)?.[0] ?? '').replace(/<input[^>]*>/g, '');
  const userCount = async () => (await pool().query<{ n: number }>('select count(*)::int as n from users')).rows[0].n;

  it('answers the same for an address with an account and one without, and makes nothing until the emailed link is opened', async () => {
    const stranger = new TestAgent(server.url);
    const users = await userCount();
    const password = 'stranger chosen password 2026';
    const taken = await register(stranger, { name: 'Not The Admin', email: 'admin@vale-partnership.example', password });
    const fresh = await register(stranger, { name: 'Jo Public', email: 'jo.public@example.org', password: 'a long public password 2026' });
    expect(taken.status).to.equal(200);
    expect(fresh.status).to.equal(200);
    expect(main(taken.text).replace('admin@vale-partnership.example', 'X')).to.equal(main(fresh.text).replace('jo.public@example.org', 'X'));
    expect(taken.text).to.not.match(/already exists|already has an account/i);
    expect(await userCount(), 'no account made before the link is opened').to.equal(users);

    // The stranger's password does not open the administrator's account, and the new address cannot sign in yet.
    const tryIt = new TestAgent(server.url);
    await tryIt.get('/sign-in');
    expect((await tryIt.postForm('/sign-in', { email: 'admin@vale-partnership.example', password })).status).to.equal(401);
    expect((await tryIt.postForm('/sign-in', { email: 'jo.public@example.org', password: 'a long public password 2026' })).status).to.equal(401);

    // The real owner of the known address hears about it, with nothing to follow that makes an account.
    const toAdmin = await mailTo('admin@vale-partnership.example');
    expect(toAdmin).to.have.length(1);
    expect(toAdmin[0].subject).to.contain('Someone tried to register');
    expect(toAdmin[0].body).to.not.contain('/public-learning/confirm');

    const toJo = await mailTo('jo.public@example.org');
    expect(toJo).to.have.length(1);
    const link = toJo[0].body.match(new RegExp(`${PUBLIC_URL}(/public-learning/confirm/[\\w-]+)`))?.[1];
    expect(link, toJo[0].body).to.be.a('string');

    // Someone else's browser can open the link (a mail scanner does): it only finishes in the browser that confirms.
    const jo = new TestAgent(server.url);
    const opened = await jo.request('GET', link!);
    expect(opened.status).to.equal(302);
    expect(opened.headers.get('location'), 'the token leaves the address bar').to.equal('/public-learning/confirm');
    const confirm = await jo.get('/public-learning/confirm');
    expect(confirm.text).to.contain('jo.public@example.org');
    const done = await jo.postForm('/public-learning/confirm', {});
    expect(done.status).to.equal(302);
    expect(done.headers.get('location')).to.equal('/courses');
    const { rows } = await pool().query<{ proven: boolean; role: string; organisation_id: string | null }>(
      `select u.email_verified_at is not null as proven, r.role, r.organisation_id from users u join user_roles r on r.user_id = u.id where u.email = 'jo.public@example.org'`,
    );
    expect(rows).to.deep.equal([{ proven: true, role: 'learner', organisation_id: null }]);
    expect((await jo.get('/courses')).status).to.equal(200);
    // Used once.
    expect((await new TestAgent(server.url).request('GET', link!)).status).to.equal(410);
    // The administrator's account is as it was.
    const admin = new TestAgent(server.url);
    await admin.signIn('admin@vale-partnership.example', DEMO_PASSWORD);
  });

  it('refuses bad input with an error summary and changes nothing', async () => {
    const users = await userCount();
    const bad = await register(new TestAgent(server.url), { name: '', email: 'not-an-email', password: 'x' });
    expect(bad.status).to.equal(400);
    expect(bad.text).to.contain('govuk-error-summary').and.to.contain('Enter your name').and.to.contain('Enter an email address in the correct format');
    expect(await userCount()).to.equal(users);
  });

  it('sends at most a few emails to one address, and stops one network address after many registrations', async () => {
    received.length = 0;
    const agent = new TestAgent(server.url);
    for (let i = 0; i < 5; i++)
      expect((await register(agent, { name: 'Flood', email: 'lead@valecounty.example', password: 'flooding the inbox 2026' })).status).to.equal(200);
    expect((await mailTo('lead@valecounty.example')).length).to.equal(3);

    let status = 0;
    let text = '';
    for (let i = 0; i <= REGISTRATIONS_PER_IP_PER_HOUR && status !== 429; i++)
      ({ status, text } = await register(agent, { name: '', email: 'x', password: '' }));
    expect(status).to.equal(429);
    expect(text).to.contain('govuk-error-summary').and.to.contain('Too many registrations');
  });
});
