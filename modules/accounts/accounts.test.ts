import argon2 from 'argon2';
import { expect } from 'chai';
import type { Role } from '../../server/access';
import { DEMO_PASSWORD } from '../../server/demo';
import { addUser, startTestServer, TEST_PASSWORD, TestAgent, type TestServer } from '../../test/support/server';

const NEW_PASSWORD = 'kettle orchard lantern';

describe('Local accounts: password reset, lockout, invitations, roles and the audit log', function () {
  // argon2 is slow on purpose, and the lockout test signs in eleven times.
  this.timeout(120_000);
  let server: TestServer;
  let admin: TestAgent;
  let orgId: Record<string, string>;

  const pool = () => server.product.database.pool;

  before(async () => {
    server = await startTestServer({ demo: true });
    const { rows } = await pool().query<{ id: string; slug: string }>('select id, slug from organisations');
    orgId = Object.fromEntries(rows.map((r) => [r.slug, r.id]));
    admin = new TestAgent(server.url);
    await admin.signIn('admin@vale-partnership.example', DEMO_PASSWORD);
  });

  after(async () => {
    await server?.close();
  });

  /** The link in the last email sent to this address. */
  async function linkSentTo(email: string, path: string): Promise<string> {
    const { rows } = await pool().query<{ text_body: string }>(
      'select text_body from outbound_messages where to_address = $1 order by created_at desc limit 1',
      [email],
    );
    const m = rows[0]?.text_body.match(new RegExp(`https?://[^\\s]+(${path}/[\\w-]+)`));
    if (!m) throw new Error(`no ${path} link emailed to ${email}`);
    return m[1];
  }

  async function signInStatus(email: string, password: string): Promise<{ status: number; text: string }> {
    const agent = new TestAgent(server.url);
    await agent.get('/sign-in');
    const res = await agent.postForm('/sign-in', { email, password });
    return { status: res.status, text: await res.text() };
  }

  it('keeps no session for an anonymous visitor, and gives one at sign-in in an httpOnly SameSite cookie that expires when idle', async () => {
    const { email } = await addUser(server, 'trainer');
    const agent = new TestAgent(server.url);
    const before = await agent.request('GET', '/sign-in');
    expect(
      before.headers.getSetCookie().find((c) => c.startsWith('dal.sid=')),
      'no session before signing in',
    ).to.equal(undefined);
    // The sign-in form's CSRF token is in a cookie of its own until then.
    const csrfCookie = before.headers.getSetCookie().find((c) => c.startsWith('dal.csrf='));
    expect(csrfCookie).to.match(/HttpOnly/i);
    expect(csrfCookie).to.match(/SameSite=Lax/i);
    const page = await before.text();
    agent.csrfToken = page.match(/name="_csrf" value="([^"]+)"/)?.[1];
    const signedIn = await agent.postForm('/sign-in', { email, password: TEST_PASSWORD });
    expect(signedIn.status).to.equal(302);
    const session = signedIn.headers.getSetCookie().find((c) => c.startsWith('dal.sid='));
    expect(session, 'a session cookie is set at sign-in').to.be.a('string');
    expect(session).to.match(/HttpOnly/i);
    expect(session).to.match(/SameSite=Lax/i);
    const expires = Date.parse(session?.match(/Expires=([^;]+)/)?.[1] ?? '');
    expect(Math.abs(expires - Date.now() - server.product.config.sessionIdleMinutes * 60_000)).to.be.below(120_000);
    // A CSRF token from the anonymous cookie is no longer enough once there is a session.
    const stale = await agent.postForm('/sign-out', {});
    expect(stale.status).to.equal(403);
  });

  /** The error summary's text, as a person reads it. */
  const errorSummary = (html: string) => (html.match(/govuk-error-summary__list">([\s\S]*?)<\/ul>/)?.[1] ?? '').replace(/<[^>]+>/g, '').trim();

  it('counts failures only: two hundred people signing in correctly from one address in ten minutes all get in', async () => {
    // A cheap hash for these two hundred: the test is about the limits, not the hashing.
    const hash = await argon2.hash(TEST_PASSWORD, { type: argon2.argon2id, memoryCost: 1024, timeCost: 1, parallelism: 1 });
    const emails = Array.from({ length: 200 }, (_, i) => `office.${i}.${Math.random().toString(36).slice(2, 6)}@valecounty.example`);
    await pool().query(
      `insert into users (email, display_name, password_hash, email_verified_at) select e, 'Office worker', $2, now() from unnest($1::text[]) as e`,
      [emails, hash],
    );
    const statuses: number[] = [];
    for (let i = 0; i < emails.length; i += 10) {
      statuses.push(...(await Promise.all(emails.slice(i, i + 10).map(async (email) => (await signInStatus(email, TEST_PASSWORD)).status))));
    }
    expect(
      statuses.filter((s) => s !== 302),
      'sign-ins refused',
    ).to.deep.equal([]);
  });

  it('slows down guessing at an account without saying whether it exists, and the real person still gets in from their own browser', async () => {
    const { email } = await addUser(server, 'trainer');
    const ownBrowser = new TestAgent(server.url);
    await ownBrowser.signIn(email);
    await ownBrowser.postForm('/sign-out', {});

    const guesses = async (address: string) => {
      const answers: { status: number; text: string }[] = [];
      for (let i = 0; i < 12; i++) answers.push(await signInStatus(address, `wrong guess ${i}`));
      // The right password from the guesser's browser is refused too, while the limit lasts.
      answers.push(await signInStatus(address, TEST_PASSWORD));
      return answers;
    };
    const known = await guesses(email);
    const unknown = await guesses(`nobody.${Math.random().toString(36).slice(2, 8)}@valecounty.example`);
    for (const answers of [known, unknown]) {
      expect(answers.map((a) => a.status)).to.deep.equal(Array(13).fill(401));
      expect(new Set(answers.map((a) => errorSummary(a.text)))).to.have.length(1);
    }
    // Word for word the same for an account that exists and one that does not, locked or not.
    expect(errorSummary(known[12].text)).to.equal(errorSummary(unknown[12].text));
    expect(errorSummary(known[0].text)).to.contain('Enter a correct email address and password');
    expect(known[12].text).to.not.match(/locked/i);

    // The person's own browser is not kept out by someone else's guessing.
    await ownBrowser.get('/sign-in');
    expect((await ownBrowser.postForm('/sign-in', { email, password: TEST_PASSWORD })).status).to.equal(302);

    // From a new browser the emailed reset link gets them in.
    const agent = new TestAgent(server.url);
    await agent.get('/password-reset');
    const sent = await agent.postForm('/password-reset', { email: email.toUpperCase() });
    expect(sent.status).to.equal(200);
    expect(await sent.text()).to.contain('Check your email');
    const link = await linkSentTo(email, '/password-reset');
    const opened = await agent.request('GET', link);
    // The token leaves the address bar at once: it lives in the session from here.
    expect(opened.status).to.equal(302);
    expect(opened.headers.get('location')).to.equal('/password-reset/new');
    const form = await agent.get('/password-reset/new');
    expect(form.status).to.equal(200);
    expect(form.text).to.not.contain(link.split('/').pop());
    const weak = await agent.postForm('/password-reset/new', { password: 'password123', confirm: 'password123' });
    expect(weak.status).to.equal(400);
    expect(await weak.text()).to.contain('Password is too common');
    const changed = await agent.postForm('/password-reset/new', { password: NEW_PASSWORD, confirm: NEW_PASSWORD });
    expect(changed.status).to.equal(302);
    expect(changed.headers.get('location')).to.equal('/sign-in');

    expect((await signInStatus(email, TEST_PASSWORD)).status).to.equal(401);
    expect((await signInStatus(email, NEW_PASSWORD)).status).to.equal(302);
    // Used once, the link is dead, and so is the session it was swapped into.
    expect((await agent.get(link)).status).to.equal(410);
    expect((await agent.postForm('/password-reset/new', { password: 'another fine password', confirm: 'another fine password' })).status).to.equal(410);
    const { rows } = await pool().query(
      `select action from audit_log where action in ('sign-in.throttled', 'password.reset') and subject_id = (select id::text from users where email = $1)`,
      [email],
    );
    expect(rows.map((r) => r.action).sort()).to.deep.equal(['password.reset', 'sign-in.throttled']);
  });

  it('refuses an expired reset link and says the same thing for unknown emails', async () => {
    const { email } = await addUser(server, 'trainer');
    const agent = new TestAgent(server.url);
    await agent.get('/password-reset');
    await agent.postForm('/password-reset', { email });
    const link = await linkSentTo(email, '/password-reset');
    await pool().query(`update password_reset_tokens set expires_at = now() - interval '1 minute' where user_id = (select id from users where email = $1)`, [
      email,
    ]);
    expect((await agent.get(link)).status).to.equal(410);

    const before = await pool().query('select count(*)::int as n from outbound_messages');
    const unknown = await agent.postForm('/password-reset', { email: 'nobody.here@example.org' });
    expect(unknown.status).to.equal(200);
    expect(await unknown.text()).to.contain('Check your email');
    const after = await pool().query('select count(*)::int as n from outbound_messages');
    expect(after.rows[0].n).to.equal(before.rows[0].n);
  });

  it('lets an organisational lead invite a learner into their own organisation only', async () => {
    const lead = new TestAgent(server.url);
    await lead.signIn('lead@valecounty.example', DEMO_PASSWORD);
    await lead.get('/invitations/new');
    const email = 'new.volunteer@valecounty.example';
    const wrongRole = await lead.postForm('/invitations/new', { name: 'Nia Volunteer', email, role: 'org-lead', organisationId: orgId['vale-county-council'] });
    expect(wrongRole.status).to.equal(400);
    const otherOrg = await lead.postForm('/invitations/new', { name: 'Nia Volunteer', email, role: 'learner', organisationId: orgId['vale-nhs-trust'] });
    expect(otherOrg.status).to.equal(404);
    const ok = await lead.postForm('/invitations/new', { name: 'Nia Volunteer', email, role: 'learner', organisationId: orgId['vale-county-council'] });
    expect(ok.status).to.equal(302);

    const link = await linkSentTo(email, '/invitations');
    const invitee = new TestAgent(server.url);
    const opened = await invitee.request('GET', link);
    expect(opened.headers.get('location')).to.equal('/invitations/accept');
    const page = await invitee.get('/invitations/accept');
    expect(page.text).to.contain('Welcome, Nia Volunteer');
    const accepted = await invitee.postForm('/invitations/accept', { password: NEW_PASSWORD, confirm: NEW_PASSWORD });
    expect(accepted.status).to.equal(302);
    expect((await invitee.get('/sign-in')).status).to.equal(302);
    const staff = await pool().query(
      `select o.slug from staff s join organisations o on o.id = s.organisation_id join users u on u.id = s.user_id where u.email = $1`,
      [email],
    );
    expect(staff.rows.map((r) => r.slug)).to.deep.equal(['vale-county-council']);
    expect((await new TestAgent(server.url).get(link)).status).to.equal(410);
  });

  it('audits role changes, and the audit log filters by action, organisation and date', async () => {
    const { id, email } = await addUser(server, 'trainer');
    await admin.get(`/admin/users/${id}`);
    expect((await admin.postForm(`/admin/users/${id}/roles`, { role: 'org-lead', organisationId: '' })).status).to.equal(400);
    expect((await admin.postForm(`/admin/users/${id}/roles`, { role: 'org-lead', organisationId: orgId['vale-homes'] })).status).to.equal(302);
    expect((await admin.postForm(`/admin/users/${id}/roles/revoke`, { role: 'trainer', organisationId: '' })).status).to.equal(302);
    const roles = await pool().query('select role from user_roles where user_id = $1', [id]);
    expect(roles.rows.map((r) => r.role)).to.deep.equal(['org-lead']);

    const today = new Date().toISOString().slice(0, 10);
    const granted = await admin.get(`/admin/audit?action=role.granted&organisation=${orgId['vale-homes']}&from=${today}&to=${today}`);
    expect(granted.status).to.equal(200);
    expect(granted.text).to.contain(email);
    expect(granted.text).to.contain('1 entry');
    const revoked = await admin.get('/admin/audit?action=role.revoked');
    expect(revoked.text).to.contain(email);
    const yesterday = await admin.get(`/admin/audit?action=role.granted&to=2000-01-01`);
    expect(yesterday.text).to.contain('0 entries');
    expect((await admin.get('/admin/audit?from=not-a-date')).status).to.equal(400);
  });

  it('refuses every role but the administrator on every id-taking route for another organisation', async () => {
    // Organisation B: someone in Vale NHS Trust, and an invitation pending there.
    const b = await addUser(server, 'org-lead', { organisationSlug: 'vale-nhs-trust', email: 'b.lead@valenhs.example' });
    const bAgent = new TestAgent(server.url);
    await bAgent.signIn(b.email);
    await bAgent.get('/invitations/new');
    await bAgent.postForm('/invitations/new', {
      name: 'Bea Secret',
      email: 'bea.secret@valenhs.example',
      role: 'learner',
      organisationId: orgId['vale-nhs-trust'],
    });
    const inv = await pool().query<{ id: string }>(`select id from invitations where email = 'bea.secret@valenhs.example'`);
    const bInvitation = inv.rows[0].id;
    const bOrg = orgId['vale-nhs-trust'];

    const routes: { method: 'GET' | 'POST'; path: string; fields?: Record<string, string> }[] = [
      { method: 'GET', path: `/admin/users/${b.id}` },
      { method: 'POST', path: `/admin/users/${b.id}/roles`, fields: { role: 'partnership-admin', organisationId: '' } },
      { method: 'POST', path: `/admin/users/${b.id}/roles/revoke`, fields: { role: 'org-lead', organisationId: bOrg } },
      { method: 'POST', path: `/admin/users/${b.id}/unlock` },
      { method: 'GET', path: '/admin/sso/vale-nhs-trust' },
      { method: 'POST', path: '/admin/sso/vale-nhs-trust', fields: { idpEntryPoint: 'https://evil.example/saml', idpEntityId: 'evil', certificates: 'x' } },
      { method: 'POST', path: `/invitations/${bInvitation}/withdraw` },
      { method: 'POST', path: '/invitations/new', fields: { name: 'Mallory', email: 'mallory@valenhs.example', role: 'learner', organisationId: bOrg } },
      { method: 'GET', path: `/admin/audit?organisation=${bOrg}` },
    ];
    const callers: { role: Role; agent: TestAgent }[] = [];
    for (const role of ['learner', 'trainer', 'org-lead', 'board-member'] as Role[]) {
      const u = await addUser(server, role, { organisationSlug: 'vale-county-council' });
      const agent = new TestAgent(server.url);
      await agent.signIn(u.email);
      callers.push({ role, agent });
    }
    for (const { role, agent } of callers) {
      for (const r of routes) {
        const res = r.method === 'GET' ? (await agent.get(r.path)).res : await agent.postForm(r.path, r.fields ?? {});
        expect([403, 404], `${role} ${r.method} ${r.path}`).to.include(res.status);
      }
      // Listing their own invitations never shows another organisation's people.
      const list = await agent.get('/invitations');
      expect(list.text, role).to.not.contain('bea.secret@valenhs.example');
    }
    const still = await pool().query(`select expires_at > now() as pending from invitations where id = $1`, [bInvitation]);
    expect(still.rows[0].pending).to.equal(true);
    const bRoles = await pool().query('select role from user_roles where user_id = $1', [b.id]);
    expect(bRoles.rows.map((r) => r.role)).to.deep.equal(['org-lead']);
    const sso = await pool().query('select 1 from saml_identity_providers where organisation_id = $1', [bOrg]);
    expect(sso.rows).to.have.length(0);
    // The organisation's own lead can withdraw it.
    await bAgent.get('/invitations');
    expect((await bAgent.postForm(`/invitations/${bInvitation}/withdraw`, {})).status).to.equal(302);
  });
});
