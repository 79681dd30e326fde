/**
 * How long the compliance of the largest organisation takes to compute: the
 * figure behind an organisational lead's dashboard and the compliance API
 * (issue 6 point 8; issue 10: under 300 ms warm, ratio under 2 to the
 * hand-written SQL aggregate that answers the same question).
 *
 * As part of the suite, `scripts/bench/run.ts` calls `run(ctx)` against the
 * generated data set. On its own:
 *
 *   npx tsx scripts/bench/compliance-organisation.ts [--staff 10000] [--keep]
 *   npx tsx scripts/bench/compliance-organisation.ts --database-url postgres://.../lms_bench
 *
 * Without --database-url it creates a database on the machine's PostgreSQL
 * (BENCH_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/postgres),
 * fills one organisation with generated staff and evidence (bulk SQL) and
 * drops it afterwards unless --keep is given.
 */
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { PRODUCT_TYPES } from '../../server/db';
import { complianceForOrganisation, londonToday, releaseHeldResults } from '../../modules/compliance/service';
import { cpuNow, isMain, median, p95, runStandalone } from './compliance-support';
import type { Benchmark, BenchContext, BenchResult } from './types';

/** Before/after of the work on this figure, kept here so the runner writes it into docs/benchmarks.md each time. */
export const HISTORY = [
  'Before (2026-11-23, idle machine, own generator: one organisation of 10,000 staff, 132,500 evidence rows): median 678–843 ms, p95 ~1 s, ratio 2.0–3.9 to the floor. ' +
    'Profiled: the evidence query (a `not exists` anti-join over entries replaced by a correction, then every row parsed in Node) and, in Node, garbage collection and date arithmetic.',
  'Fixes: (1) evidence.replaced_at, set by a trigger when a correction or withdrawal is recorded, and a partial index of current entries, instead of the anti-join; ' +
    '(2) current_evidence, one row per person listing their current entries, kept by the same trigger in the same transaction, so an organisation is one row per person instead of one per entry; ' +
    '(3) the staff list sorted by name without carrying the evidence through the sort (it spilled to disk); (4) in the engine, date caches keyed by the day alone (no string keys built per call, no closures) and sorts in place.',
  "Before and after on the same data set in the same run, interleaved (2026-11-23, generated partnership, largest organisation 23,873 staff, 248,267 evidence rows; the machine was shared with seven other engineers' test suites, load average about 35 on 2 cores, so absolute times are several times an idle machine's): " +
    'before 11,510 ms median against 4,182 ms for the floor written with the anti-join (ratio 2.75); after 4,629 ms against 3,127 ms for the floor written with the partial index (ratio 1.48). ' +
    'Before and after gave identical statuses and per-competency results for every person.',
  'CPU time (this process plus the PostgreSQL backends serving the benchmark database, read from /proc) is reported beside wall time because it is steadier on a shared machine. ' +
    'Own-generator data set (9,800 staff, 194,482 evidence rows): 491 ms CPU per run, 411 ms of it in Node, against 367 ms for the floor (CPU ratio 1.34). ' +
    'Generated partnership, largest organisation (23,873 staff, 248,267 rows), 2026-11-23 14:07: wall median 1,411 ms against 990 ms (ratio 1.43), CPU 893 ms (609 ms Node) against 402 ms (CPU ratio 2.22; the floor uses parallel workers). ' +
    'The 300 ms target is not met at 10,000+ staff by working everyone out afresh: what remains is Node work proportional to the evidence entries (parsing, unpacking, the engine, garbage collection).',
  'Idle machine, 2026-11-23 15:58, own generator (9,800 staff, 194,532 evidence rows), working everyone out afresh: median 392 ms, p95 455 ms, floor 295 ms (ratio 1.33): well under a second for 10,000 staff (issue 6 point 8).',
  "Fix (2026-11-23, session 3): results kept between requests (modules/compliance/kept.ts, table kept_compliance). Each person's result is kept with the first day the calendar alone could change it (engine.resultHoldsUntil, property-tested) and a stamp that triggers move on, in the same transaction, when their evidence, group, dates or organisation settings change; " +
    'a request reads the kept results and works out again only the people whose result no longer holds, and each process holds recently read organisations in memory, checked against the count and newest stamp of their kept rows on every request. "Warm" below is what a lead\'s page or the API pays on an ordinary day in a process that has read the organisation before; "read from the kept results" is the first request in a process; "worked out afresh" is every person recomputed (the first request after a bulk load, or after a settings change).',
];

/**
 * The floor: one hand-written SQL aggregate giving the same counts (how many
 * current staff have current evidence for every competency their group needs),
 * over the same current-evidence rule the product uses, written the way a
 * person would against the evidence table (its partial index of current
 * entries), not against the product's per-person current_evidence rows.
 */
export const FLOOR_SQL = `
  with req as (select sg.number as g, unnest(array[sg.number] || sg.includes_groups) as needs
                 from staff_groups sg join frameworks f on f.id = sg.framework_id and f.status = 'published'),
       need as (select s.id as staff_id, c.lineage from staff s join req on req.g = s.group_number
                  join competencies c on c.group_number = req.needs and not c.retired
                  join frameworks f on f.id = c.framework_id and f.status = 'published'
                 where s.organisation_id = $1 and (s.leaving_date is null or s.leaving_date > $2::date)),
       have as (select distinct e.staff_id, c.lineage from evidence e join competencies c on c.id = e.competency_id
                 where e.staff_id in (select id from staff where organisation_id = $1)
                   and e.achieved_on > $2::date - interval '36 months' and e.achieved_on <= $2::date
                   and e.replaced_at is null and not e.withdrawn)
  select count(*) filter (where missing = 0) as compliant, count(*) as total
    from (select n.staff_id, count(*) filter (where h.staff_id is null) as missing from need n
          left join have h on h.staff_id = n.staff_id and h.lineage = n.lineage group by n.staff_id) x`;

export async function timed(times: number, warm: number, fn: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < warm + times; i++) {
    const t = performance.now();
    await fn();
    if (i >= warm) out.push(performance.now() - t);
  }
  return out;
}

export const run: Benchmark = async (ctx: BenchContext): Promise<BenchResult> => {
  const pool = new pg.Pool({ connectionString: ctx.databaseUrl, max: 4, idleTimeoutMillis: 0, types: PRODUCT_TYPES });
  try {
    const { rows: largest } = await pool.query<{ id: string; name: string; staff: number }>(
      `select o.id, o.name, count(*)::int as staff from staff s join organisations o on o.id = s.organisation_id
        where s.leaving_date is null or s.leaving_date > current_date group by o.id, o.name order by 3 desc limit 1`,
    );
    if (!largest[0]) throw new Error('the data set has no staff');
    const org = largest[0];
    const { rows: ev } = await pool.query<{ n: number }>(
      'select count(*)::int as n from evidence e join staff s on s.id = e.staff_id where s.organisation_id = $1',
      [org.id],
    );
    const today = londonToday();
    const iterations = ctx.quick ? 5 : 20;
    ctx.log(`organisation compliance: ${org.name}, ${org.staff} current staff, ${ev[0].n} evidence rows`);
    let answer = 0;
    let floorAnswer = 0;
    // Interleaved, so the product and its floor see the same machine load.
    const product: number[] = [];
    const floor: number[] = [];
    const database = new URL(ctx.databaseUrl).pathname.slice(1);
    const cpu = { product: [] as number[], productNode: [] as number[], floor: [] as number[] };
    const afresh: number[] = [];
    const fromKept: number[] = [];
    for (let i = 0; i < iterations + 2; i++) {
      if (i % 4 === 0) {
        // Every few rounds, everyone worked out again (and kept), as on the first request after a bulk load.
        await pool.query(`update kept_compliance set stamp = nextval('compliance_stamp') where organisation_id = $1`, [org.id]);
        const [a] = await timed(1, 0, () => complianceForOrganisation(pool, { kind: 'all' }, org.id, today));
        if (i >= 2) afresh.push(a);
      }
      // Read from the kept results in the database, as a process that does not hold the organisation yet (another instance, or after a restart).
      releaseHeldResults(pool);
      const [k] = await timed(1, 0, () => complianceForOrganisation(pool, { kind: 'all' }, org.id, today));
      if (i >= 2) fromKept.push(k);
      const c0 = cpuNow(database);
      const [p] = await timed(1, 0, async () => {
        const result = await complianceForOrganisation(pool, { kind: 'all' }, org.id, today);
        if (!result) throw new Error('no result');
        answer = result.counts.byStatus.compliant + result.counts.byStatus['due-soon'];
      });
      const c1 = cpuNow(database);
      const [f] = await timed(1, 0, async () => {
        const { rows } = await pool.query<{ compliant: number }>(FLOOR_SQL, [org.id, today]);
        floorAnswer = Number(rows[0].compliant);
      });
      const c2 = cpuNow(database);
      if (i >= 2) {
        product.push(p);
        floor.push(f);
        if (c0 && c1 && c2) {
          cpu.product.push(c1.node - c0.node + c1.postgres - c0.postgres);
          cpu.productNode.push(c1.node - c0.node);
          cpu.floor.push(c2.node - c1.node + c2.postgres - c1.postgres);
        }
      }
    }
    const m = median(product);
    const f = median(floor);
    const ratio = m / f;
    return {
      id: 'organisation-compliance',
      title: `Organisation compliance, largest organisation (${org.staff.toLocaleString('en-GB')} staff)`,
      target: 'under 300 ms warm, ratio to the SQL aggregate under 2',
      met: m < 300 && ratio < 2,
      figures: [
        { label: 'median (warm)', value: Math.round(m), unit: 'ms' },
        { label: 'p95 (warm)', value: Math.round(p95(product)), unit: 'ms' },
        { label: 'floor median (one SQL aggregate)', value: Math.round(f), unit: 'ms' },
        { label: 'read from the kept results in the database (not yet held in this process), median', value: Math.round(median(fromKept)), unit: 'ms' },
        { label: 'everyone worked out afresh (nothing kept), median', value: Math.round(median(afresh)), unit: 'ms' },
        ...(cpu.product.length
          ? [
              { label: 'CPU time per run (Node + PostgreSQL), median', value: Math.round(median(cpu.product)), unit: 'ms' },
              { label: 'of which Node', value: Math.round(median(cpu.productNode)), unit: 'ms' },
              { label: 'floor CPU time (PostgreSQL), median', value: Math.round(median(cpu.floor)), unit: 'ms' },
            ]
          : []),
        { label: 'staff', value: org.staff, unit: 'people' },
        { label: 'evidence rows of the organisation', value: ev[0].n, unit: 'rows' },
      ],
      ratios: [
        { label: 'median / SQL floor', value: Math.round(ratio * 100) / 100 },
        { label: 'read from the kept results / SQL floor', value: Math.round((median(fromKept) / f) * 100) / 100 },
        { label: 'worked out afresh / SQL floor', value: Math.round((median(afresh) / f) * 100) / 100 },
        ...(cpu.product.length ? [{ label: 'CPU time / floor CPU time', value: Math.round((median(cpu.product) / median(cpu.floor)) * 100) / 100 }] : []),
      ],
      notes: [
        `complianceForOrganisation(pool, all, largest organisation, today): every person's status and per-competency results; ${iterations} warm runs after 2 warm-up runs, interleaved with the floor, one SQL aggregate counting staff with current evidence for every competency they need; and, every fourth round, ${afresh.length} runs with every kept result of the organisation made stale first.`,
        `Same answer: compliant or due soon by the product ${answer}, compliant by the floor ${floorAnswer} (the floor uses the 36-month default refresher for everyone, so it may differ where an organisation sets its own intervals).`,
        ...HISTORY,
      ],
    };
  } finally {
    await pool.end();
  }
};

if (isMain(module)) runStandalone('compliance-organisation', run);
