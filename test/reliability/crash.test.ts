import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import zlib from 'node:zlib';
import pg from 'pg';
import { embeddedUrl } from '../../server/db/embedded';
import { createLogger } from '../../server/logger';
import { type Prepared, prepare } from '../../server/runtime';
import { createTestDatabase, TEST_DB, type TestDatabase, testConfig } from '../support/database';
import { changedTables, snapshotDatabase } from './snapshot';
import { ROOT, type ServerProcess, startServerProcess } from '../support/process';
import { TestAgent } from '../support/server';

const DEMO_PASSWORD = 'demo-learning-2026';
const IMPORT_ROWS = 400;

/** A CLI command as its own process, so it can be killed with the server as a power cut would. */
function startCli(
  args: string[],
  env: Record<string, string>,
): { child: ChildProcess; output(): string; done: Promise<{ code: number | null; output: string }> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/cli.ts', ...args], { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'warn', ...env } });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const done = new Promise<{ code: number | null; output: string }>((resolve) => child.on('exit', (code) => resolve({ code, output })));
  return { child, output: () => output, done };
}

/**
 * Crash safety: the server is killed with SIGKILL (no chance to tidy up) while
 * a learner's SCORM data is being committed and while a staff import, a
 * certificate sweep and a reminder scan are running. After a restart on the
 * same database, every commit the server acknowledged is there, the import is
 * wholly in or wholly out, and running the interrupted jobs again neither
 * duplicates nor loses a reminder or a certificate.
 */
describe(`crash safety: SIGKILL mid-work, then restart (${TEST_DB})`, function () {
  this.timeout(480_000);
  let dataDir: string;
  let testDb: TestDatabase | undefined;
  let env: Record<string, string>;
  let server: ServerProcess | undefined;
  let sql: pg.Client | undefined;
  /** The product's modules in this process, on the same database as the restarted server. */
  let product: Prepared | undefined;

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lms-crash-'));
    env = { DATA_DIR: dataDir, DEMO_DATA: 'true', JOBS: 'false', SCORM_DIR: path.join(dataDir, 'scorm') };
    if (TEST_DB === 'postgres') {
      testDb = await createTestDatabase();
      await testDb.database.pool.end();
      env.DATABASE_URL = testDb.databaseUrl!;
      env.SESSION_SECRET = 'x'.repeat(40);
    }
  });
  after(async () => {
    await sql?.end().catch(() => {});
    await product?.database.close();
    if (server) await server.stop('SIGKILL');
    if (testDb) await testDb.drop().catch(() => {});
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  /** A direct connection to the database the server uses (on PGlite, through the server's own socket). */
  function databaseUrl(): string {
    return env.DATABASE_URL ?? embeddedUrl(dataDir);
  }

  /** Runs a module's CLI command in this process (cheaper than a new process), returning what it printed. */
  async function command(name: string, args: string[] = []): Promise<string> {
    const mod = product!.modules.find((m) => m.definition.cli?.[name])!;
    const printed: string[] = [];
    const log = console.log;
    console.log = (line: string) => printed.push(line);
    try {
      await mod.definition.cli![name].run(product!.contextFor(mod), args);
    } finally {
      console.log = log;
    }
    return printed.join('\n');
  }

  it('keeps every acknowledged commit, imports all or nothing, and never duplicates a reminder or certificate', async () => {
    server = await startServerProcess(env, 200_000);
    const learner = new TestAgent(server.url);
    await learner.signIn('learner@valecounty.example', DEMO_PASSWORD);
    const play = await learner.get('/courses/domestic-abuse-awareness/play');
    expect(play.status).to.equal(200);
    const attemptId = play.text.match(/\/scorm\/attempts\/([0-9a-f-]{36})\/commit/)![1];
    const sco = play.text.match(/&quot;identifier&quot;:&quot;([^&]+)&quot;/)![1];

    const csv = path.join(dataDir, 'staff.csv');
    fs.writeFileSync(
      csv,
      [
        'name,email,job_title,staff_number',
        ...Array.from({ length: IMPORT_ROWS }, (_, i) => `Crash Test ${i},crash.${i}@valecounty.example,Housing Officer,CRASH-${i}`),
      ].join('\n'),
    );
    const cliEnv = { ...env, JOBS: 'false' };
    const cli = [
      startCli(['staff:import', '--org', 'vale-county-council', '--yes', csv], cliEnv),
      startCli(['reminders:scan'], cliEnv),
      startCli(['certificates:sweep'], cliEnv),
    ];

    // The learner's module keeps committing, each with a higher sequence and
    // the count in suspend_data, until the server dies.
    let acknowledged = -1;
    let sent = -1;
    let killed = false;
    const committing = (async () => {
      for (let n = 0; !killed; n++) {
        sent = n;
        try {
          const res = await learner.postJson(`/scorm/attempts/${attemptId}/commit`, {
            sco,
            sequence: 1_000 + n,
            sessionId: 'crash-test',
            cmi: { 'cmi.core.lesson_status': 'incomplete', 'cmi.suspend_data': `commit ${n}`, 'cmi.core.lesson_location': String(n) },
          });
          if (res.status === 200 && (await res.json()).stored === true) acknowledged = n;
        } catch {
          // the server is gone
        }
        // A learner's module commits every few seconds; a commit every 50 ms is plenty and leaves the commands room to work.
        await new Promise((r) => setTimeout(r, 50));
      }
    })();

    // Kill once commits are flowing and the import has printed its preview (it
    // writes next) or the reminder scan has begun writing; sooner if all three
    // commands have finished, later than a minute never. The checks below hold
    // whatever moment the crash lands on.
    const watch = new pg.Client({ connectionString: databaseUrl() });
    await watch.connect();
    const remindersAtStart = (await watch.query<{ n: number }>('select count(*)::int as n from reminders')).rows[0].n;
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const n = (await watch.query<{ n: number }>('select count(*)::int as n from reminders')).rows[0].n;
      if (cli.every((c) => c.child.exitCode !== null || c.child.signalCode !== null)) break;
      if (acknowledged >= 20 && (n > remindersAtStart || cli[0].output().includes('Import of staff.csv'))) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await watch.end();
    const names = ['staff import', 'reminder scan', 'certificate sweep'];
    const runningAtKill = names.filter((_, i) => cli[i].child.exitCode === null);
    await server.stop('SIGKILL');
    killed = true;
    for (const c of cli) c.child.kill('SIGKILL');
    await committing;
    const outcomes = await Promise.all(cli.map((c) => c.done));
    if (process.env.RELIABILITY_VERBOSE) console.log({ acknowledged, sent, runningAtKill, outcomes });
    // Which commands the crash cut short depends on the machine's speed; the checks below hold either way.
    expect(acknowledged, `commits were acknowledged before the crash (still running then: ${runningAtKill.join(', ') || 'none'})`).to.be.greaterThan(0);

    // Restart on the same files / database.
    server = await startServerProcess(env, 200_000);
    sql = new pg.Client({ connectionString: databaseUrl() });
    await sql.connect();
    const { rows: state } = await sql.query<{ cmi: Record<string, string>; last_sequence: string }>(
      'select cmi, last_sequence::text from scorm_sco_states where attempt_id = $1 and sco_identifier = $2',
      [attemptId, sco],
    );
    const stored = Number(state[0].cmi['cmi.core.lesson_location']);
    expect(stored, `acknowledged up to commit ${acknowledged}, sent up to ${sent}`).to.be.within(acknowledged, sent);
    expect(state[0].cmi['cmi.suspend_data']).to.equal(`commit ${stored}`);

    const imported = (await sql.query<{ n: number }>("select count(*)::int as n from staff where staff_number like 'CRASH-%'")).rows[0].n;
    expect([0, IMPORT_ROWS], 'the import is wholly in or wholly out').to.include(imported);

    // Run the interrupted work again, as an operator (or the next scheduled run) would.
    const config = testConfig({ databaseUrl: databaseUrl(), scormDir: env.SCORM_DIR });
    product = await prepare(config, { logger: createLogger(config), role: 'test' });
    await command('reminders:scan');
    await command('certificates:sweep');
    const reminders = (await sql.query<{ n: number }>('select count(*)::int as n from reminders')).rows[0].n;
    const certificates = (await sql.query<{ n: number }>('select count(*)::int as n from certificates')).rows[0].n;
    expect(reminders, 'the demo has people due reminders').to.be.greaterThan(0);
    const doubled = await sql.query(`select staff_id, kind, achievement_key from certificates where replaces_id is null group by 1, 2, 3 having count(*) > 1`);
    expect(doubled.rows, 'no achievement has two certificates').to.deep.equal([]);
    // Each reminder has its one email (the outbox key is the reminder's key) and each reminder email its record.
    const unmatched = await sql.query(
      `select coalesce(r.dedupe_key, m.dedupe_key) as key from reminders r
         full join (select dedupe_key from outbound_messages where category in ('reminder', 'reminder-escalation', 'welcome', 'digest')) m
           on m.dedupe_key = r.dedupe_key
        where r.dedupe_key is null or m.dedupe_key is null`,
    );
    expect(unmatched.rows, 'reminders and their emails match one to one').to.deep.equal([]);

    // Nothing was lost: a further run finds nothing left to do.
    await command('reminders:scan');
    expect(await command('certificates:sweep')).to.match(/Issued 0 course and 0 framework certificates/);
    expect((await sql.query<{ n: number }>('select count(*)::int as n from reminders')).rows[0].n).to.equal(reminders);
    expect((await sql.query<{ n: number }>('select count(*)::int as n from certificates')).rows[0].n).to.equal(certificates);
  });

  it('backs up the recovered database and restores every row of every table', async () => {
    const before = await snapshotDatabase(product!.database.pool);
    expect(Object.values(before).filter((rows) => rows.length > 0).length, 'the demo fills many tables').to.be.greaterThan(15);
    const file = path.join(dataDir, 'partnership.backup');
    expect(await command('backup', ['--out', file])).to.match(/^Backup written to .*partnership\.backup/);

    // What a bad day looks like: names overwritten, history deleted, an organisation added.
    await sql!.query("update organisations set name = 'Overwritten'");
    await sql!.query('delete from staff_group_history');
    await sql!.query("insert into organisations (slug, name, sector) values ('after-backup', 'Added after the backup', 'voluntary')");
    expect(await snapshotDatabase(product!.database.pool)).to.not.deep.equal(before);

    expect(await command('restore', ['--in', file])).to.match(/^Restored /);
    expect(changedTables(before, await snapshotDatabase(product!.database.pool))).to.deep.equal([]);
    // The running server carries on with the restored data.
    const admin = new TestAgent(server!.url);
    await admin.signIn('admin@vale-partnership.example', DEMO_PASSWORD);
    expect((await admin.get('/admin/organisations')).text)
      .to.contain('Vale County Council')
      .and.not.contain('Added after the backup');
  });

  it('refuses a file that is not a backup, or a damaged one, and changes nothing', async () => {
    const before = await snapshotDatabase(product!.database.pool);
    const csv = path.join(dataDir, 'staff.csv');
    const notBackup = (await command('restore', ['--in', csv]).catch((err: Error) => err)) as Error;
    expect(notBackup.name).to.equal('UsageError');
    expect(notBackup.message).to.match(/is not a backup made by "npm run cli -- backup"\. Nothing was changed/);

    const gz = path.join(dataDir, 'other.json.gz');
    fs.writeFileSync(gz, zlib.gzipSync('{"hello":"world"}\n'));
    expect(((await command('restore', ['--in', gz]).catch((err: Error) => err)) as Error).message).to.match(/is not a backup/);

    const bytes = fs.readFileSync(path.join(dataDir, 'partnership.backup'));
    const cut = path.join(dataDir, 'cut.backup');
    fs.writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length / 2)));
    expect(((await command('restore', ['--in', cut]).catch((err: Error) => err)) as Error).message).to.match(/damaged|incomplete|cannot read/);

    expect(((await command('restore', []).catch((err: Error) => err)) as Error).message).to.match(/--in PATH is required/);

    // A backup from another version of the product (here: the database has a migration the backup lacks).
    await sql!.query("insert into schema_migrations (module, name) values ('backup', '999_from_a_newer_version.sql')");
    const before2 = await snapshotDatabase(product!.database.pool);
    const otherVersion = (await command('restore', ['--in', path.join(dataDir, 'partnership.backup')]).catch((err: Error) => err)) as Error;
    expect(otherVersion.message).to.match(/made by a different version of the product .*999_from_a_newer_version\.sql.*Nothing was changed/);
    expect(changedTables(before2, await snapshotDatabase(product!.database.pool))).to.deep.equal([]);
    await sql!.query("delete from schema_migrations where module = 'backup' and name = '999_from_a_newer_version.sql'");
    expect(changedTables(before, await snapshotDatabase(product!.database.pool))).to.deep.equal([]);
  });
});
