import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import pg from 'pg';
import { lastEndedQuarter } from '../../modules/board/quarters';
import { APPLICATION_NAME, REPLICA_APPLICATION_NAME } from '../../server/db';
import { DEMO_PASSWORD } from '../../server/demo';
import { londonToday } from '../../server/london';
import { createLogger } from '../../server/logger';
import { type RunningProduct, startProduct } from '../../server/runtime';
import { TEST_DB, testConfig } from '../support/database';
import { TestAgent } from '../support/server';
import { waitFor } from '../support/wait';
import { type PrivatePostgres, privatePostgresUnavailable, startPrivatePostgres, startStandbyOf } from './private-postgres';

const ADMIN = 'admin@vale-partnership.example';

/**
 * The national step of docs/scaling.md on this machine: a primary and a real
 * streaming replica (pg_basebackup -R), and the product started with
 * DATABASE_URL and DATABASE_REPLICA_URL. Replay on the replica is paused, as a
 * lagging replica would be, so what each page read from is what a board
 * member sees: board coverage and the board report keep the figures from
 * before the change while the primary has the new ones, and catch up once
 * replay goes on. Every write still works (the replica would refuse it), and
 * with the replica gone the board is served from the primary.
 */
describe(`read replica: board and report reads from the replica, writes to the primary (${TEST_DB})`, function () {
  this.timeout(300_000);
  const unavailable = TEST_DB === 'postgres' ? privatePostgresUnavailable() : 'runs on the PostgreSQL pass: the embedded database has no replicas';
  if (unavailable) {
    it.skip(`is skipped: ${unavailable}`);
    return;
  }

  let primary: PrivatePostgres;
  let standby: PrivatePostgres;
  let product: RunningProduct;
  let onPrimary: pg.Pool;
  let onStandby: pg.Pool;
  let scormDir: string;
  const logLines: string[] = [];
  const agent = () => new TestAgent(product.url);
  let admin: TestAgent;
  const quarter = lastEndedQuarter(londonToday()).id;

  /** What a board member's coverage download (the API) and the quarter's report CSV say now. */
  const boardReads = async () => {
    const coverage = await admin.getJson('/api/v1/board/coverage');
    expect(coverage.status).to.equal(200);
    const report = await admin.request('GET', `/board/report/${quarter}.csv`);
    expect(report.status).to.equal(200);
    const partnershipRow = (await report.text()).split(/\r?\n/).find((l) => l.startsWith('partnership,'));
    return { computedAt: coverage.body.computedAt as string, declared: coverage.body.partnership.total.declaredHeadcount as number, reportRow: partnershipRow };
  };
  /** The same figures as the primary holds them, read straight from its tables. */
  const primaryHolds = async () => {
    const { rows } = await onPrimary.query<{ computed_at: string }>(`select figures->>'computedAt' as computed_at from board_figures_cache where id = 1`);
    return rows[0].computed_at;
  };
  const caughtUp = async () => {
    const { rows } = await onPrimary.query<{ lsn: string }>('select pg_current_wal_lsn()::text as lsn');
    const { rows: r } = await onStandby.query<{ behind: boolean }>('select pg_last_wal_replay_lsn() < $1::pg_lsn as behind', [rows[0].lsn]);
    return !r[0].behind;
  };

  before(async () => {
    primary = await startPrivatePostgres({ settings: { shared_buffers: '16MB', wal_level: 'replica', max_wal_senders: '4' } });
    standby = await startStandbyOf(primary, { settings: { shared_buffers: '16MB' } });
    onPrimary = new pg.Pool({ connectionString: primary.url, max: 2 });
    onStandby = new pg.Pool({ connectionString: standby.url, max: 2 });
    // The last test stops the standby under the test's own idle connections too.
    onStandby.on('error', () => {});
    await waitFor(
      async () => (await onPrimary.query(`select 1 from pg_stat_replication where state = 'streaming'`)).rowCount === 1,
      'the standby to stream from the primary',
      60_000,
    );
    scormDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lms-replica-scorm-'));
    const config = testConfig({ databaseUrl: primary.url, databaseReplicaUrl: standby.url, scormDir, demoData: true, logLevel: 'info' });
    // Warnings and above, as an operator's log would show them.
    const logger = createLogger({ env: 'production', logLevel: 'warn' }, { write: (line: string) => logLines.push(line) });
    product = await startProduct(config, { logger, role: 'test' });
    await waitFor(caughtUp, 'the replica to replay the demo partnership', 60_000);
    admin = agent();
    await admin.signIn(ADMIN, DEMO_PASSWORD);
  });

  after(async () => {
    await product?.stop();
    await onPrimary?.end();
    await onStandby?.end();
    standby?.destroy();
    primary?.destroy();
    if (scormDir) fs.rmSync(scormDir, { recursive: true, force: true });
  });

  it('serves board coverage and the board report from the replica: while replay is paused they show the figures from before a change the primary already holds, and catch up when it resumes', async () => {
    const before = await boardReads();
    expect(before.computedAt).to.equal(await primaryHolds());

    await onStandby.query('select pg_wal_replay_pause()');
    try {
      // An administrator changes what the board counts, through the product: a larger
      // declared headcount for one organisation, today's figures brought up to date,
      // and the last quarter's snapshot retaken. All of it is written to the primary.
      const { rows } = await onPrimary.query<{ slug: string }>('select slug from organisations order by name limit 1');
      const form = await admin.get(`/organisations/${rows[0].slug}/headcount`);
      expect(form.status).to.equal(200);
      const fields = Object.fromEntries([...form.text.matchAll(/name="((?:staff|volunteers)\d+)"/g)].map((m) => [m[1], '5000']));
      expect(Object.keys(fields)).to.not.be.empty;
      expect((await admin.postForm(`/organisations/${rows[0].slug}/headcount`, fields)).status).to.equal(302);
      await admin.get('/board');
      const refreshed = await admin.postForm('/board/refresh', {});
      expect(refreshed.status).to.equal(302);
      // The page the administrator lands on follows their own change: it reads the primary.
      const landing = await admin.get('/board');
      expect(landing.text).to.contain('Figures brought up to date');
      expect((await admin.postForm('/board/snapshots', { quarter, retake: 'yes' })).status).to.equal(302);
      const primaryComputedAt = await primaryHolds();
      expect(primaryComputedAt).to.not.equal(before.computedAt);

      // A board member's next reads come from the paused replica: the figures from before.
      const during = await boardReads();
      expect(during).to.deep.equal(before);
    } finally {
      await onStandby.query('select pg_wal_replay_resume()');
    }

    const after = await waitFor(
      async () => {
        const now = await boardReads();
        return now.computedAt !== before.computedAt && now.reportRow !== before.reportRow ? now : undefined;
      },
      'the board to catch up with the primary',
      60_000,
    );
    expect(after.computedAt).to.equal(await primaryHolds());
    expect(after.declared).to.be.greaterThan(before.declared);
  });

  it('sends no write to the replica: the product’s connections there are the replica pool’s alone, and the replica refuses writes', async () => {
    const names = async (pool: pg.Pool) =>
      (
        await pool.query<{ application_name: string }>(`select distinct application_name from pg_stat_activity where application_name like 'da-training%'`)
      ).rows.map((r) => r.application_name);
    expect(await names(onStandby)).to.deep.equal([REPLICA_APPLICATION_NAME]);
    expect(await names(onPrimary))
      .to.include(APPLICATION_NAME)
      .and.not.include(REPLICA_APPLICATION_NAME);
    const refused = await onStandby.query('insert into board_settings (id) values (1)').then(
      () => null,
      (err: { code?: string }) => err.code,
    );
    expect(refused, 'read_only_sql_transaction').to.equal('25006');
  });

  it('serves the board from the primary when the replica is unreachable, and logs the outage once', async () => {
    standby.stop('immediate');
    const expected = await primaryHolds();
    for (let i = 0; i < 3; i++) {
      const reads = await boardReads();
      expect(reads.computedAt).to.equal(expected);
      expect((await admin.get('/board')).status).to.equal(200);
    }
    const warnings = logLines.filter((l) => l.includes('replica unreachable'));
    expect(warnings).to.have.length(1);
  });
});
