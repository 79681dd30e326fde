import { expect } from 'chai';
import { TEST_DB } from '../../test/support/database';
import { addUser, startTestServer, TestAgent, type TestServer } from '../../test/support/server';

/**
 * The training passport as an attacker would try it: an account holding
 * someone else's address (never proved), and a lead importing addresses to
 * find out who has records elsewhere.
 */
describe(`training passport matches accounts, never a typed address (${TEST_DB})`, function () {
  this.timeout(300_000);
  let server: TestServer;
  let person: { staffId: string; email: string; name: string };
  let policeLead: TestAgent;
  const sql = async <T>(text: string, params: unknown[] = []) => (await server.product.database.pool.query(text, params)).rows as T[];

  before(async () => {
    server = await startTestServer({ demo: true });
    // Someone at the council with evidence, who has never signed in.
    [person] = await sql<{ staffId: string; email: string; name: string }>(
      `select s.id as "staffId", s.email, s.name from staff s join organisations o on o.id = s.organisation_id
        where o.slug = 'vale-county-council' and s.user_id is null and s.email is not null
          and exists (select 1 from evidence e where e.staff_id = s.id)
          and not exists (select 1 from users u where lower(u.email) = lower(s.email)) order by s.staff_number limit 1`,
    );
    const lead = await addUser(server, 'org-lead', { organisationSlug: 'vale-police' });
    policeLead = new TestAgent(server.url);
    await policeLead.signIn(lead.email);
  });
  after(async () => server?.close());

  it('shows a lead who imports someone’s address nothing about records elsewhere', async () => {
    // The police lead adds a "new starter" with the council officer's address, to probe.
    await sql(
      `insert into staff (organisation_id, name, email, job_title) select id, 'Probe Starter', $1, 'Police officer' from organisations where slug = 'vale-police'`,
      [person.email],
    );
    const page = await policeLead.get('/training-passports?org=vale-police');
    expect(page.status).to.equal(200);
    expect(page.text).to.not.include('Probe Starter');
    expect(page.text).to.not.include('Waiting for the person to decide');
    expect(page.text).to.not.include('Vale County Council');
    // And no consent prompt was put in front of anyone by the import.
    expect(await sql(`select 1 from passport_transfers where from_staff_id = $1`, [person.staffId])).to.have.length(0);
  });

  it('shows an account whose address was never proved nothing from the record of the person whose address it typed', async () => {
    // An account holding the officer's address that never proved it (as a stranger's self-registration once could).
    const stranger = await addUser(server, 'learner', { email: person.email, emailProven: false });
    const agent = new TestAgent(server.url);
    await agent.signIn(stranger.email);
    const page = await agent.get('/passport');
    expect(page.status).to.equal(200);
    expect(page.text).to.not.include('Vale County Council');
    expect(page.text).to.not.include('Share your training record');
    expect(await sql(`select 1 from passport_transfers where from_staff_id = $1`, [person.staffId])).to.have.length(0);

    // Even with a transfer that exists, a decision for someone else's record is refused and nothing is logged in their name.
    await sql(`insert into passport_transfers (from_staff_id, to_staff_id) select $1, id from staff where email = $2 and name = 'Probe Starter'`, [
      person.staffId,
      person.email,
    ]);
    const [transfer] = await sql<{ id: string }>(`select id from passport_transfers where from_staff_id = $1`, [person.staffId]);
    await agent.get('/passport');
    expect((await agent.postForm('/passport', { transferId: transfer.id, decision: 'share' })).status).to.equal(404);
    expect(await sql(`select 1 from audit_log where action like 'passport.%' and detail->>'transferId' = $1`, [transfer.id])).to.have.length(0);
    expect((await sql<{ status: string }>(`select status from passport_transfers where id = $1`, [transfer.id]))[0].status).to.equal('pending');

    // Once the account's owner proves the address (here: the link was opened), the record is theirs to share, and the audit log names them.
    await sql(`update users set email_verified_at = now() where id = $1`, [stranger.id]);
    const proven = await agent.get('/passport');
    expect(proven.text).to.include('Share your training record from Vale County Council with Vale Constabulary?');
    expect((await agent.postForm('/passport', { transferId: transfer.id, decision: 'share' })).status).to.equal(302);
    const logged = await sql<{ actor: string }>(
      `select actor_user_id as actor from audit_log where action = 'passport.shared' and detail->>'transferId' = $1`,
      [transfer.id],
    );
    expect(logged).to.deep.equal([{ actor: stranger.id }]);
    // Only now does the police lead see it.
    expect((await policeLead.get('/training-passports?org=vale-police')).text).to.include('Probe Starter, from Vale County Council');
  });
});
