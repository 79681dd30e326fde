/**
 * How long the compliance of one large organisation takes to compute: the
 * figure behind an organisational lead's dashboard and the compliance API.
 *
 *   npx tsx scripts/bench/compliance-organisation.ts [--staff 10000] [--evidence-per-person 8]
 *
 * Runs on the machine's PostgreSQL (BENCH_POSTGRES_URL, default
 * postgres://postgres@127.0.0.1:5432/postgres) in a database it creates and
 * drops, with generated data (bulk SQL, not row by row), and prints a
 * Markdown table row for docs/benchmarks.md. The floor is the hand-written SQL
 * aggregate that answers "how many staff have current evidence for every
 * competency they need" in one query.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { ConfigError } from '../../server/config';
import { openDatabase } from '../../server/db';
import { createLogger } from '../../server/logger';
import { prepare } from '../../server/runtime';
import { complianceForOrganisation } from '../../modules/compliance/service';
import { testConfig } from '../../test/support/database';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function p95(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(s.length * 0.95) - 1)];
}

async function main(): Promise<void> {
  const staffCount = arg('staff', 10_000);
  const perPerson = arg('evidence-per-person', 8);
  const adminUrl = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `lms_bench_${Date.now()}`;
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
    const pool = database.pool;
    const started = performance.now();
    const { rows } = await pool.query<{ id: string }>(
      `insert into organisations (slug, name, sector) values ('bench-council', 'Bench County Council', 'local-authority') returning id`,
    );
    const orgId = rows[0].id;
    // Staff across the four groups, start dates over five years, a few leavers.
    await pool.query(
      `insert into staff (organisation_id, name, email, job_title, team, start_date, leaving_date, group_number, group_source)
       select $1, 'Person ' || i, 'p' || i || '@bench.example', 'Role ' || (i % 12), 'Team ' || (i % 40),
              current_date - (i % 1800), case when i % 50 = 0 then current_date - 10 end, 1 + (i % 4), 'import'
         from generate_series(1, $2) as i`,
      [orgId, staffCount],
    );
    // Evidence against the competencies each person's group needs, achieved over five years.
    await pool.query(
      `insert into evidence (staff_id, competency_id, achieved_on, source, source_ref)
       select s.id, c.id, current_date - ((abs(hashtext(s.id::text || c.id::text)) % 1800)), 'prior-learning', 'bench:' || k
         from staff s
         join competencies c on c.group_number <= s.group_number
         cross join generate_series(1, greatest(1, $2 / 6)) as k
        where s.organisation_id = $1`,
      [orgId, perPerson],
    );
    const { rows: counts } = await pool.query<{ staff: number; evidence: number }>(
      'select (select count(*) from staff)::int as staff, (select count(*) from evidence)::int as evidence',
    );
    const generatedMs = performance.now() - started;
    await pool.query('analyze');

    const today = new Date().toISOString().slice(0, 10);
    const timesProduct: number[] = [];
    for (let i = 0; i < 12; i++) {
      const t = performance.now();
      const result = await complianceForOrganisation(pool, { kind: 'all' }, orgId, today);
      if (!result) throw new Error('no result');
      if (i >= 2) timesProduct.push(performance.now() - t); // the first two warm the caches
    }
    // The floor: one hand-written aggregate over the same rows.
    const floorSql = `
      with req as (select number as g, unnest(array[number] || includes_groups) as needs from staff_groups sg join frameworks f on f.id = sg.framework_id and f.status = 'published'),
           need as (select s.id as staff_id, c.lineage from staff s join req on req.g = s.group_number
                      join competencies c on c.group_number = req.needs join frameworks f on f.id = c.framework_id and f.status = 'published'
                     where s.organisation_id = $1 and (s.leaving_date is null or s.leaving_date > $2::date)),
           have as (select distinct e.staff_id, c.lineage from evidence e join competencies c on c.id = e.competency_id
                     where e.achieved_on > $2::date - interval '36 months' and not e.withdrawn
                       and not exists (select 1 from evidence r where r.replaces_id = e.id))
      select count(*) filter (where missing = 0) as compliant, count(*) as total
        from (select n.staff_id, count(*) filter (where h.staff_id is null) as missing from need n
              left join have h on h.staff_id = n.staff_id and h.lineage = n.lineage group by n.staff_id) x`;
    const timesFloor: number[] = [];
    for (let i = 0; i < 12; i++) {
      const t = performance.now();
      await pool.query(floorSql, [orgId, today]);
      if (i >= 2) timesFloor.push(performance.now() - t);
    }
    const m = median(timesProduct);
    const f = median(timesFloor);
    console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`);
    console.log(`data: ${counts[0].staff} staff, ${counts[0].evidence} evidence rows (generated in ${(generatedMs / 1000).toFixed(1)} s)`);
    console.log(`| organisation compliance, ${staffCount} staff | median ${m.toFixed(0)} ms | p95 ${p95(timesProduct).toFixed(0)} ms | floor (one SQL aggregate) median ${f.toFixed(0)} ms | ratio ${(m / f).toFixed(2)} |`);
  } finally {
    await database.close();
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : `benchmark failed: ${(err as Error).message}`);
  process.exit(1);
});
