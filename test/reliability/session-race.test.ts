import { expect } from 'chai';
import type { Pool } from 'pg';
import { createApiToken } from '../../server/auth/users';
import { TEST_DB } from '../support/database';
import { addUser, startTestServer, TestAgent, type TestServer } from '../support/server';

/**
 * A browser follows the sign-in redirect as soon as the headers arrive. The
 * session saved for that redirect must be the last word on it: a copy written
 * again once the headers are out can land after the next page has added to
 * the session (its form token) and wipe that out, so the person's first form
 * is refused as "expired". Here every write of a session without a form token
 * is slowed, so such a late copy would land after the next pages.
 */
describe(`the session after signing in (${TEST_DB})`, () => {
  let server: TestServer;
  let restore: () => void;
  before(async () => {
    server = await startTestServer();
    const pool = server.product.database.pool as Pool & { query: (...args: unknown[]) => unknown };
    const query = pool.query;
    pool.query = function (this: Pool, ...args: unknown[]) {
      const [config, values] = args as [unknown, unknown[] | undefined];
      const text = typeof config === 'string' ? config : ((config as { text?: string })?.text ?? '');
      const sess = Array.isArray(values) ? values[0] : undefined;
      if (/insert into\s+"?(public"?\.)?"?sessions/i.test(text) && sess && !JSON.stringify(sess).includes('csrfToken')) {
        return new Promise((r) => setTimeout(r, 400)).then(() => query.apply(this, args as never));
      }
      return query.apply(this, args as never);
    } as never;
    restore = () => {
      pool.query = query;
    };
  });
  after(async () => {
    restore?.();
    await server?.close();
  });

  it('keeps the form token the first pages gave, so the first form sent is accepted', async () => {
    const user = await addUser(server, 'trainer');
    await createApiToken(server.product.database.pool, user.id, { label: 'A script' });
    const agent = new TestAgent(server.url);
    await agent.signIn(user.email);
    expect((await agent.get('/account/api-tokens')).status).to.equal(200);
    // Long enough for any late copy of the signed-in session to have landed.
    await new Promise((r) => setTimeout(r, 600));
    const { rows } = await server.product.database.pool.query<{ id: string }>('select id from api_tokens where user_id = $1', [user.id]);
    const sent = await agent.postForm(`/account/api-tokens/${rows[0].id}/revoke`, {});
    expect(sent.status, 'the first form sent after signing in was refused as expired').to.equal(302);
  });
});
