import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { expect } from 'chai';
import { createApiToken, findUserByEmail } from '../../server/auth/users';
import { DEMO_PASSWORD } from '../../server/demo';
import { TEST_DB } from '../../test/support/database';
import { addUser, startTestServer, TEST_PASSWORD, TestAgent, type TestServer } from '../../test/support/server';

/** API tokens as an attacker holding one would try them: out of scope, out of date, after a reset, after a role is taken away. */
describe(`API tokens: expiry, scope, revocation (${TEST_DB})`, function () {
  this.timeout(300_000);
  let server: TestServer;
  let admin: TestAgent;
  const pool = () => server.product.database.pool;

  before(async () => {
    server = await startTestServer({ demo: true });
    admin = new TestAgent(server.url);
    await admin.signIn('admin@vale-partnership.example', DEMO_PASSWORD);
  });
  after(async () => server?.close());

  const call = (token: string, method: string, pathname: string, body?: URLSearchParams) =>
    fetch(`${server.url}${pathname}`, { method, body, headers: { authorization: `Bearer ${token}`, accept: 'application/json' }, redirect: 'manual' });
  const tokenId = async (token: string) => {
    const { rows } = await pool().query<{ id: string }>(`select id from api_tokens where token_hash = encode(sha256(convert_to($1, 'utf8')), 'hex')`, [token]);
    return rows[0]?.id;
  };

  it('keeps only a hash, runs out after 90 days unless told otherwise, and stops working once expired', async () => {
    const board = (await findUserByEmail(pool(), 'board@vale-partnership.example'))!;
    const token = await createApiToken(pool(), board.id, { label: 'reporting' });
    const { rows } = await pool().query<{ row: string; days: number }>(
      `select t::text as row, extract(day from expires_at - created_at)::int as days from api_tokens t where user_id = $1`,
      [board.id],
    );
    expect(rows.some((r) => r.row.includes(token) || r.row.includes(token.slice(4)))).to.equal(false);
    expect(rows.map((r) => r.days)).to.include(90);
    expect((await call(token, 'GET', '/api/v1/board/coverage')).status).to.equal(200);
    await pool().query(`update api_tokens set expires_at = now() - interval '1 minute' where id = $1`, [await tokenId(token)]);
    expect((await call(token, 'GET', '/api/v1/board/coverage')).status).to.equal(401);
  });

  it('lets a read-only token read reports but change nothing; a full token may do what its user may', async () => {
    const user = (await findUserByEmail(pool(), 'admin@vale-partnership.example'))!;
    const read = await createApiToken(pool(), user.id, { label: 'dashboard', scope: 'read' });
    const full = await createApiToken(pool(), user.id, { label: 'script', scope: 'full' });
    const victim = await createApiToken(pool(), user.id, { label: 'spare' });
    expect((await call(read, 'GET', '/api/v1/board/coverage')).status).to.equal(200);
    const refused = await call(read, 'POST', `/account/api-tokens/${await tokenId(victim)}/revoke`);
    expect(refused.status).to.equal(403);
    expect((await refused.json()).error.message).to.contain('reading only');
    expect((await call(victim, 'GET', '/api/v1/organisations')).status, 'nothing changed').to.equal(200);
    expect((await call(full, 'POST', `/account/api-tokens/${await tokenId(victim)}/revoke`)).status).to.equal(302);
    expect((await call(victim, 'GET', '/api/v1/organisations')).status).to.equal(401);
  });

  it('stops a token when its owner’s password is reset, or when a role it was made under is taken away', async () => {
    const lead = await addUser(server, 'org-lead', { organisationSlug: 'vale-county-council' });
    const token = await createApiToken(pool(), lead.id);
    expect((await call(token, 'GET', '/api/v1/organisations/vale-county-council/compliance')).status).to.equal(200);
    const { rows: org } = await pool().query<{ id: string }>(`select id from organisations where slug = 'vale-county-council'`);
    // The administrator gives a second role, then takes the lead role away: the person stays, the token does not.
    await admin.get(`/admin/users/${lead.id}`);
    expect((await admin.postForm(`/admin/users/${lead.id}/roles`, { role: 'trainer', organisationId: '' })).status).to.equal(302);
    expect((await admin.postForm(`/admin/users/${lead.id}/roles/revoke`, { role: 'org-lead', organisationId: org[0].id })).status).to.equal(302);
    expect((await call(token, 'GET', '/api/v1/organisations')).status).to.equal(401);
    // Given the role back, the old token stays dead.
    expect((await admin.postForm(`/admin/users/${lead.id}/roles`, { role: 'org-lead', organisationId: org[0].id })).status).to.equal(302);
    expect((await call(token, 'GET', '/api/v1/organisations')).status).to.equal(401);

    const trainer = await addUser(server, 'trainer');
    const before = await createApiToken(pool(), trainer.id);
    expect((await call(before, 'GET', '/api/v1/organisations')).status).to.equal(200);
    const visitor = new TestAgent(server.url);
    await visitor.get('/password-reset');
    await visitor.postForm('/password-reset', { email: trainer.email });
    const { rows } = await pool().query<{ text_body: string }>(
      'select text_body from outbound_messages where to_address = $1 order by created_at desc limit 1',
      [trainer.email],
    );
    const link = rows[0].text_body.match(/https?:\/\/\S+(\/password-reset\/[\w-]+)/)![1];
    await visitor.request('GET', link);
    await visitor.get('/password-reset/new');
    expect((await visitor.postForm('/password-reset/new', { password: 'kettle orchard lantern', confirm: 'kettle orchard lantern' })).status).to.equal(302);
    expect((await call(before, 'GET', '/api/v1/organisations')).status).to.equal(401);
  });

  it('lets the owner and an administrator list and revoke tokens, and nobody else', async () => {
    const owner = await addUser(server, 'trainer');
    const token = await createApiToken(pool(), owner.id, { label: 'Owner’s script', scope: 'read' });
    const second = await createApiToken(pool(), owner.id, { label: 'Second script' });
    const ownerAgent = new TestAgent(server.url);
    await ownerAgent.signIn(owner.email, TEST_PASSWORD);
    const list = await ownerAgent.get('/account/api-tokens');
    expect(list.status).to.equal(200);
    expect(list.text).to.contain('Owner’s script').and.to.contain('Read-only reporting').and.to.not.contain(token);

    // Someone else cannot revoke it, by guessing its id.
    const stranger = await addUser(server, 'trainer');
    const strangerAgent = new TestAgent(server.url);
    await strangerAgent.signIn(stranger.email, TEST_PASSWORD);
    await strangerAgent.get('/account/api-tokens');
    expect((await strangerAgent.postForm(`/account/api-tokens/${await tokenId(token)}/revoke`, {})).status).to.equal(404);
    expect((await call(token, 'GET', '/api/v1/organisations')).status).to.equal(200);

    expect((await ownerAgent.postForm(`/account/api-tokens/${await tokenId(token)}/revoke`, {})).status).to.equal(302);
    expect((await call(token, 'GET', '/api/v1/organisations')).status).to.equal(401);

    const page = await admin.get(`/admin/users/${owner.id}`);
    expect(page.text).to.contain('Second script').and.to.contain('Revoked');
    expect((await admin.postForm(`/admin/users/${owner.id}/api-tokens/${await tokenId(second)}/revoke`, {})).status).to.equal(302);
    expect((await call(second, 'GET', '/api/v1/organisations')).status).to.equal(401);
    const { rows } = await pool().query<{ n: number }>(`select count(*)::int as n from audit_log where action = 'api-token.revoked' and subject_id = $1`, [
      owner.id,
    ]);
    expect(rows[0].n).to.equal(2);
  });

  it('makes, lists and revokes tokens from the command line', async function () {
    // The real command against the same database: a spawn costs seconds, and PGlite is open in this process.
    if (TEST_DB !== 'postgres') this.skip();
    const run = (args: string[]) =>
      spawnSync(path.resolve(__dirname, '../../node_modules/.bin/tsx'), ['scripts/cli.ts', ...args], {
        cwd: path.resolve(__dirname, '../..'),
        env: { ...process.env, DATABASE_URL: server.testDb.databaseUrl, SESSION_SECRET: 'cli-test-secret-cli-test-secret-0123456789' },
        encoding: 'utf8',
      });
    const made = run(['token:create', '--email', 'board@vale-partnership.example', '--scope', 'read', '--days', '7', '--label', 'board pack']);
    expect(made.status, made.stderr).to.equal(0);
    const token = made.stdout.trim();
    expect(token).to.match(/^dal_[\w-]+$/);
    expect((await call(token, 'GET', '/api/v1/board/coverage')).status).to.equal(200);
    const { rows } = await pool().query<{ scope: string; days: number }>(
      `select scope, extract(day from expires_at - created_at)::int as days from api_tokens where id = $1`,
      [await tokenId(token)],
    );
    expect(rows[0]).to.deep.equal({ scope: 'read', days: 7 });
    expect(run(['token:create', '--email', 'board@vale-partnership.example', '--scope', 'admin']).status).to.equal(2);
    const listed = run(['token:list', '--email', 'board@vale-partnership.example']);
    expect(listed.stdout).to.contain('board pack').and.to.not.contain(token);
    const revoked = run(['token:revoke', '--id', (await tokenId(token))!]);
    expect(revoked.status, revoked.stderr).to.equal(0);
    expect((await call(token, 'GET', '/api/v1/board/coverage')).status).to.equal(401);
  });
});
