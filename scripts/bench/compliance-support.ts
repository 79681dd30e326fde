/**
 * Shared by the compliance and board benchmarks when they run on their own
 * (outside scripts/bench/run.ts): a database with a partnership's worth of
 * generated staff and evidence, and printing results. Not a benchmark itself
 * (it exports no `run`).
 */
import fs from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { openDatabase, PRODUCT_TYPES } from '../../server/db';
import { createLogger } from '../../server/logger';
import { prepare } from '../../server/runtime';
import { testConfig } from '../../test/support/database';
import type { Benchmark, BenchContext, BenchResult } from './types';

export function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? undefined : process.argv[i + 1];
}

export function flag(name: string): boolean {
  return process.argv.includes(`--${name}`);
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export function p95(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(s.length * 0.95) - 1)];
}

/**
 * CPU time used so far by this process and by the PostgreSQL backends serving
 * `databaseName` (read from /proc, so only when PostgreSQL runs on this
 * machine; null otherwise). On a machine shared with other work, CPU time is
 * a steadier measure of the work done than wall time. Connections must stay
 * open between readings (a pool that closes idle connections loses their
 * time). PostgreSQL's parallel workers are separate, short-lived processes
 * whose time is not counted, so a query that runs in parallel (the floors
 * can) is under-counted: the CPU ratio to a floor is an upper bound.
 */
export function cpuNow(databaseName: string): { node: number; postgres: number } | null {
  const node = process.cpuUsage();
  let postgres = 0;
  let found = false;
  try {
    for (const pid of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      let cmdline: string;
      try {
        cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      } catch {
        continue;
      }
      if (!cmdline.startsWith('postgres: ') || cmdline.split(' ')[3] !== databaseName) continue;
      const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      postgres += (Number(fields[11]) + Number(fields[12])) * 10; // utime + stime, in 10 ms ticks
      found = true;
    }
  } catch {
    return null;
  }
  return found ? { node: (node.user + node.system) / 1000, postgres } : null;
}

/** True when the file is run directly (`npx tsx file.ts`), not imported by the runner. */
export function isMain(mod: NodeModule): boolean {
  return require.main === mod;
}

/** Runs a benchmark on its own: on --database-url, or on a generated database it drops afterwards. */
export function runStandalone(label: string, benchmark: Benchmark): void {
  createBenchDatabase(label)
    .then(async (bench) => {
      try {
        printResults(await benchmark(bench.context));
      } finally {
        await bench.close();
      }
    })
    .catch((err) => {
      console.error(`benchmark failed: ${(err as Error).stack ?? err}`);
      process.exit(1);
    });
}

export function printResults(results: BenchResult | BenchResult[]): void {
  console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`);
  for (const r of [results].flat()) {
    console.log(`\n${r.title}: ${r.met ? 'target met' : 'target NOT met'} (${r.target})`);
    for (const f of r.figures) console.log(`  ${f.label}: ${f.value} ${f.unit}`);
    for (const x of r.ratios ?? []) console.log(`  ${x.label}: ${x.value}`);
    for (const n of r.notes ?? []) console.log(`  - ${n}`);
  }
}

/**
 * Generated partnership: one large organisation of `--staff` people (default
 * 10,000) and `--orgs` - 1 smaller ones (default 20 of 500), staff over the
 * four groups with start dates over five years and some leavers, a group
 * history, and evidence over five years with refresher histories (an older
 * entry three years before the latest for most competencies), about 10%
 * missing, 2% corrected and some withdrawn. All bulk SQL.
 */
async function generate(pool: pg.Pool, staff: number, orgs: number, log: (m: string) => void): Promise<BenchContext['dataSet']> {
  const started = performance.now();
  await pool.query(
    `insert into organisations (slug, name, sector)
     select 'bench-' || i, case when i = 1 then 'Bench County Council' else 'Bench Agency ' || i end,
            (array['local-authority','police','health','housing','voluntary'])[1 + i % 5]
       from generate_series(1, $1) i`,
    [orgs],
  );
  await pool.query(
    `insert into staff (organisation_id, name, email, job_title, team, start_date, leaving_date, group_number, group_source, created_at)
     select o.id, 'Person ' || o.slug || '-' || i, 'p' || i || '@' || o.slug || '.example', 'Role ' || (i % 12), 'Team ' || (i % 40),
            current_date - (i * 7 % 1800), case when i % 50 = 0 then current_date - (i % 300) end, 1 + (i % 4), 'import',
            now() - interval '6 years'
       from organisations o cross join lateral generate_series(1, case when o.slug = 'bench-1' then $1 else 500 end) i
      where o.slug like 'bench-%'`,
    [staff],
  );
  // One group change in twenty, eight months ago.
  await pool.query(
    `insert into staff_group_history (staff_id, group_number, previous_group_number, source, reason, changed_at)
     select id, group_number, case when group_number > 1 then group_number - 1 end, 'lead-override', 'bench', now() - interval '8 months'
       from staff where abs(hashtext(id::text)) % 20 = 0`,
  );
  await pool.query(
    `insert into evidence (staff_id, competency_id, achieved_on, source, source_ref, recorded_at)
     select s.id, c.id, d.day, 'prior-learning', 'bench:' || k, d.day + interval '3 days'
       from staff s
       join competencies c on c.group_number <= s.group_number and not c.retired
       join frameworks f on f.id = c.framework_id and f.status = 'published'
       cross join generate_series(0, 1) k
       cross join lateral (select (current_date - (abs(hashtext(s.id::text || c.id::text)) % 1300) - k * 1095)::date as day) d
      where abs(hashtext(c.id::text || s.id::text)) % 10 <> 0
        and (k = 0 or abs(hashtext(s.id::text || c.id::text || 'h')) % 10 < 6)`,
  );
  await pool.query(
    `insert into evidence (staff_id, competency_id, achieved_on, source, source_ref, replaces_id, withdrawn, change_reason, recorded_at)
     select staff_id, competency_id, achieved_on - 1, source, source_ref, id, abs(hashtext(id::text)) % 5 = 0, 'bench correction', recorded_at + interval '20 days'
       from evidence where abs(hashtext(id::text || 'c')) % 50 = 0`,
  );
  await pool.query('analyze');
  const { rows } = await pool.query<{ organisations: number; staff: number; evidence: number }>(
    'select (select count(*) from organisations)::int as organisations, (select count(*) from staff)::int as staff, (select count(*) from evidence)::int as evidence',
  );
  log(
    `generated ${rows[0].organisations} organisations, ${rows[0].staff} staff, ${rows[0].evidence} evidence rows in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  return { ...rows[0], seed: 0 };
}

/**
 * The benchmark's context when run on its own: --database-url to use an
 * existing (generated) database, otherwise a new one filled by `generate`,
 * dropped on close unless --keep.
 */
export async function createBenchDatabase(label: string): Promise<{ context: BenchContext; close(): Promise<void> }> {
  const log = (m: string) => console.error(`[${label}] ${m}`);
  const quick = flag('quick');
  const given = arg('database-url');
  if (given) {
    const pool = new pg.Pool({ connectionString: given, types: PRODUCT_TYPES });
    const { rows } = await pool.query<{ organisations: number; staff: number; evidence: number }>(
      'select (select count(*) from organisations)::int as organisations, (select count(*) from staff)::int as staff, (select count(*) from evidence)::int as evidence',
    );
    await pool.end();
    return { context: { databaseUrl: given, dataSet: { ...rows[0], seed: 0 }, quick, log }, close: async () => {} };
  }
  const adminUrl = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `lms_bench_${label.replace(/\W/g, '_')}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const logger = createLogger({ env: 'test', logLevel: 'warn' });
  const config = testConfig({ databaseUrl: url.toString() });
  const database = await openDatabase(config, logger, { role: 'cli' });
  try {
    await prepare(config, { logger, database, role: 'cli' });
    const dataSet = await generate(database.pool, Number(arg('staff') ?? 10_000), Number(arg('orgs') ?? 21), log);
    return {
      context: { databaseUrl: url.toString(), dataSet, quick, log },
      close: async () => {
        if (flag('keep')) log(`kept ${url}`);
        else await admin.query(`drop database if exists ${name} with (force)`);
        await admin.end();
      },
    };
  } catch (err) {
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
    throw err;
  } finally {
    await database.close();
  }
}
