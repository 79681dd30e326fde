import { expect } from 'chai';
import { TEST_DB } from '../../test/support/database';
import { startTestServer, type TestServer, TestAgent } from '../../test/support/server';
import { changeGroup } from './store';

describe(`group changes in the audit log (${TEST_DB})`, function () {
  this.timeout(180_000);
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ demo: true });
  });
  after(async () => server?.close());

  it('records who moved a person to another group, from which to which and why, for administrators to read', async () => {
    const pool = server.product.database.pool;
    const { rows: people } = await pool.query<{ id: string; group_number: number }>(
      `select s.id, s.group_number from staff s join organisations o on o.id = s.organisation_id
        where o.slug = 'vale-police' and s.group_number = 1 limit 1`,
    );
    const { rows: leads } = await pool.query<{ id: string }>(`select id from users where email = 'lead@valecounty.example'`);
    await server.product.database.transaction((client) =>
      changeGroup(client, server.product.events, {
        staffId: people[0].id,
        group: 3,
        source: 'lead-override',
        reason: 'Became the safeguarding lead',
        changedBy: leads[0].id,
      }),
    );
    const { rows } = await pool.query<{ actor_user_id: string; detail: Record<string, unknown> }>(
      `select actor_user_id, detail from audit_log where action = 'staff.group-changed' and subject_id = $1`,
      [people[0].id],
    );
    expect(rows.map((r) => r.detail)).to.deep.include({ from: 1, to: 3, source: 'lead-override', reason: 'Became the safeguarding lead' });
    expect(rows.find((r) => r.detail.to === 3)?.actor_user_id).to.equal(leads[0].id);

    const admin = new TestAgent(server.url);
    await admin.signIn('admin@vale-partnership.example', 'demo-learning-2026');
    const page = await admin.get('/admin/audit?action=staff.group-changed');
    expect(page.status).to.equal(200);
    expect(page.text).to.contain('staff.group-changed');
  });
});
