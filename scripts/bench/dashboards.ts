/**
 * The two dashboards as their users get them (issue 9: both answer in under
 * 300 ms for a partnership of 100 organisations, 200,000 staff and 2,000,000
 * evidence records on PostgreSQL): a real HTTP GET to the real server
 * (server/main.ts, as `npm start` runs it) on the generated data set, signed
 * in with a session as the sign-in form leaves it.
 *
 * - The organisational lead's pages `/compliance/<slug>`, `/staff` and
 *   `/self-assessment`, for the lead of an organisation of about 2,000 staff
 *   (a typical one) and of the largest organisation.
 * - The board's `/board`, for a board member. It reads the figures the board
 *   module keeps in board_figures_cache; the first request after the cache is
 *   emptied works them out and is reported on its own.
 *
 * Floor: a bare Express route in this process (no session, no template) that
 * answers with one hand-written SQL statement: for a lead's dashboard the
 * aggregate of scripts/bench/compliance-organisation.ts (compliant / total
 * for the organisation), for the board the cached figures row it reads.
 */
import type http from 'node:http';
import { performance } from 'node:perf_hooks';
import os from 'node:os';
import express from 'express';
import pg from 'pg';
import { PRODUCT_TYPES } from '../../server/db';
import { londonToday } from '../../modules/compliance/service';
import { workOutAfterBulkLoad } from '../../modules/compliance/working-out';
import { freePort, startServerProcess } from '../../test/support/process';
import { FLOOR_SQL as ORGANISATION_FLOOR_SQL } from './compliance-organisation';
import { BENCH_SCORM_DIR, benchConfig } from './generate';
import { mintSession } from './scorm-commit';
import { type Client, httpClient, percentile, round } from './support';
import type { BenchContext, BenchFigure, BenchResult } from './types';

const TARGET_MS = 300;
const TYPICAL_STAFF = 2000;

interface Timing {
  median: number;
  p95: number;
  max: number;
  n: number;
  sorted: number[];
}

/** `times` sequential GETs after `warm` unmeasured ones; every answer must be 200 and contain `expect`. */
async function measure(client: Client, path: string, cookie: string, expect: string, warm: number, times: number): Promise<Timing> {
  const ms: number[] = [];
  for (let i = 0; i < warm + times; i++) {
    const t = performance.now();
    const res = await client.request('GET', path, { headers: cookie ? { cookie } : {} });
    const took = performance.now() - t;
    if (res.status !== 200 || !res.body.includes(expect)) throw new Error(`GET ${path} answered ${res.status}: ${res.body.slice(0, 300)}`);
    if (i >= warm) ms.push(took);
  }
  const sorted = ms.sort((a, b) => a - b);
  return { median: round(percentile(sorted, 50)), p95: round(percentile(sorted, 95)), max: round(sorted[sorted.length - 1]), n: sorted.length, sorted };
}

/** The floor routes: one SQL statement each, answered as JSON. */
function startFloor(pool: pg.Pool, port: number): Promise<http.Server> {
  const app = express();
  app.get('/floor/compliance/:id', async (req, res) => {
    const { rows } = await pool.query(ORGANISATION_FLOOR_SQL, [req.params.id, londonToday()]);
    res.json(rows[0]);
  });
  app.get('/floor/board', async (_req, res) => {
    const { rows } = await pool.query('select figures, computed_at from board_figures_cache order by computed_at desc limit 1');
    res.json(rows[0] ?? {});
  });
  return new Promise((resolve) => {
    const server = app.listen(port, '127.0.0.1', () => resolve(server));
  });
}

export async function run(ctx: BenchContext): Promise<BenchResult[]> {
  const times = ctx.quick ? 10 : 30;
  const warm = ctx.quick ? 2 : 3;
  const loadBefore = os.loadavg().map((n) => round(n, 2));
  const pool = new pg.Pool({ connectionString: ctx.databaseUrl, max: 4, types: PRODUCT_TYPES });
  const lead = async (orgId: string) =>
    (
      await pool.query<{ email: string }>(
        `select u.email from user_roles r join users u on u.id = r.user_id where r.role = 'org-lead' and r.organisation_id = $1 order by u.email limit 1`,
        [orgId],
      )
    ).rows[0]?.email;
  const { rows: orgs } = await pool.query<{ id: string; slug: string; staff: number }>(
    `select o.id, o.slug, count(s.id)::int as staff from organisations o join staff s on s.organisation_id = o.id
      where exists (select 1 from user_roles r where r.role = 'org-lead' and r.organisation_id = o.id)
      group by o.id order by count(s.id) desc`,
  );
  const largest = orgs[0];
  const typical = [...orgs].sort((a, b) => Math.abs(a.staff - TYPICAL_STAFF) - Math.abs(b.staff - TYPICAL_STAFF))[0];
  const board = (
    await pool.query<{ email: string }>(
      `select u.email from user_roles r join users u on u.id = r.user_id where r.role = 'board-member' order by u.email limit 1`,
    )
  ).rows[0].email;

  const config = benchConfig(ctx.databaseUrl);
  const server = await startServerProcess(
    {
      DATABASE_URL: ctx.databaseUrl,
      SESSION_SECRET: config.sessionSecret,
      SCORM_DIR: BENCH_SCORM_DIR,
      JOBS: 'false',
      DEMO_DATA: 'false',
      TRUST_PROXY: 'true',
      LOG_LEVEL: 'warn',
    },
    120_000,
  );
  const floorPort = await freePort();
  const floor = await startFloor(pool, floorPort);
  const client = httpClient(server.url, 1);
  const floorClient = httpClient(`http://127.0.0.1:${floorPort}`, 1);
  try {
    const results: BenchResult[] = [];

    // The lead's dashboard, for a typical and the largest organisation.
    const leadFigures: BenchFigure[] = [];
    const leadNotes: string[] = [];
    let leadMet = true;
    const ratios: { label: string; value: number }[] = [];
    for (const [which, org] of [
      ['typical', typical],
      ['largest', largest],
    ] as const) {
      const cookie = await mintSession(pool, config.sessionSecret, (await lead(org.id)) ?? '');
      const base = `/compliance/${org.slug}`;
      const pages = [
        ['dashboard', base, 'govuk-table'],
        ['staff list', `${base}/staff`, 'govuk-table'],
        ['self-assessment', `${base}/self-assessment`, '<h1'],
      ] as const;
      // As after a bulk load: nothing kept for this organisation holds any more.
      const bulkLoad = async () => {
        await pool.query(`update kept_compliance set stamp = nextval('compliance_stamp') where organisation_id = $1`, [org.id]);
        await pool.query('delete from kept_compliance_days where organisation_id = $1', [org.id]);
      };
      // Opened before the background work reached it: the first request of each page works everything out (issue 9's case).
      await bulkLoad();
      const onDemand = new Map<string, number>();
      for (const [page, path, expect] of pages) onDemand.set(page, (await measure(client, path, cookie, expect, 0, 1)).max);
      // The product's case (issue 26): the bulk load queues the organisation and the background job works it out
      // before anyone looks; the lead's first view then reads what was kept (what the server held has been
      // overtaken by the new stamps, so it reads the kept rows from the database).
      await bulkLoad();
      const jobStarted = performance.now();
      await workOutAfterBulkLoad(pool, org.id, londonToday());
      const jobMs = round(performance.now() - jobStarted);
      ctx.log(`${which} (${org.slug}): the background work for it took ${jobMs} ms`);
      leadFigures.push({ label: `${which} organisation: background work after a bulk load (the job, not a page)`, value: jobMs, unit: 'ms' });
      for (const [page, path, expect] of pages) {
        const first = await measure(client, path, cookie, expect, 0, 1);
        const t = await measure(client, path, cookie, expect, warm, times);
        const all = [...t.sorted, first.max].sort((a, b) => a - b);
        const withFirst = round(percentile(all, 50));
        ctx.log(
          `${which} (${org.slug}, ${org.staff} staff) ${page}: first view ${first.max} ms (${onDemand.get(page)} ms if opened before the background work), then median ${t.median} ms, p95 ${t.p95} ms`,
        );
        leadFigures.push({ label: `${which} organisation, ${page}: first view after the background work`, value: first.max, unit: 'ms' });
        leadFigures.push({
          label: `${which} organisation, ${page}: first view opened before the background work reached it`,
          value: onDemand.get(page) ?? 0,
          unit: 'ms',
        });
        leadFigures.push({
          label: `${which} organisation (${org.staff.toLocaleString('en-GB')} staff), ${path}: median, first view included`,
          value: withFirst,
          unit: 'ms',
        });
        leadFigures.push({ label: `${which} organisation, ${page}: p95`, value: t.p95, unit: 'ms' });
        if (withFirst >= TARGET_MS) leadMet = false;
        if (page === 'dashboard') {
          const f = await measure(floorClient, `/floor/compliance/${org.id}`, '', 'total', warm, times);
          ctx.log(`${which} floor: median ${f.median} ms, p95 ${f.p95} ms`);
          leadFigures.push({ label: `${which} organisation, floor (one SQL aggregate): median`, value: f.median, unit: 'ms' });
          leadFigures.push({ label: `${which} organisation, floor: p95`, value: f.p95, unit: 'ms' });
          ratios.push({ label: `${which} organisation dashboard median / floor median`, value: round(t.median / f.median, 2) });
        }
      }
    }
    leadNotes.push(
      `Real HTTP GETs to the real server (its own process, JOBS off) on the generated data set, one keep-alive connection, sequential; for each organisation its kept compliance results are made stale first (as after a bulk load) and each page requested once with nothing worked out (reported, not the target: a page opened before the background work reaches its organisation); then made stale again, the background job's work for that organisation run (modules/compliance/working-out.ts, timed on its own), and per page the first view (reading what the job kept), ${warm} unmeasured warm-up requests and ${times} measured. Signed in as an org-lead of the organisation with a session row as the sign-in form leaves it. Typical organisation: ${typical.slug} (${typical.staff} staff rows, the org with a lead nearest ${TYPICAL_STAFF}); largest: ${largest.slug} (${largest.staff} staff rows).`,
      "The first view after the background work is reported, not a target: this server did not do that work (JOBS off; the benchmark did it), so it reads the organisation's kept results from the database. A server that runs its own jobs, the default, answers it from memory while it still holds the organisation (as after a staff import into one organisation; it holds a bounded number of people, so not every organisation after a new framework version). Either way the first view works nothing out, which is what a page opened before the background work pays (also reported).",
      'Floor: a bare Express route in the benchmark process running the hand-written aggregate of scripts/bench/compliance-organisation.ts (compliant and total for the organisation) and answering JSON: no session, no template, no per-person statuses.',
    );

    // The board's dashboard: the first request may work the figures out.
    const boardCookie = await mintSession(pool, config.sessionSecret, board);
    await pool.query('delete from board_figures_cache');
    const first = performance.now();
    const firstRes = await client.request('GET', '/board', { headers: { cookie: boardCookie } });
    const firstMs = round(performance.now() - first);
    if (firstRes.status !== 200) throw new Error(`GET /board answered ${firstRes.status}: ${firstRes.body.slice(0, 300)}`);
    ctx.log(`board: first request (works the figures out) ${firstMs} ms`);
    const b = await measure(client, '/board', boardCookie, '<h1', warm, times);
    const bf = await measure(floorClient, '/floor/board', '', 'figures', warm, times);
    ctx.log(`board: median ${b.median} ms, p95 ${b.p95} ms; floor median ${bf.median} ms, p95 ${bf.p95} ms`);
    const loadAfter = os.loadavg().map((n) => round(n, 2));
    const load = `Load average (1, 5, 15 min) ${loadBefore.join(', ')} at the start and ${loadAfter.join(', ')} at the end, on ${os.cpus().length} cores${loadBefore[0] > 1.5 || loadAfter[0] > 1.5 ? ": other work shared the machine, so absolute times are above an idle machine's" : ''}.`;

    results.push({
      id: 'dashboard-organisation',
      title: "Organisational lead's dashboard over HTTP (/compliance/<slug>, /staff, /self-assessment)",
      target: `median under ${TARGET_MS} ms for each page, first view included (issues 9 and 26)`,
      met: leadMet,
      figures: leadFigures,
      ratios,
      notes: [...leadNotes, load],
    });
    results.push({
      id: 'dashboard-board',
      title: "Board's dashboard over HTTP (/board)",
      target: `median under ${TARGET_MS} ms warm (issue 9)`,
      met: b.median < TARGET_MS,
      figures: [
        { label: 'first request with an empty figures cache (works the figures out, once)', value: firstMs, unit: 'ms' },
        { label: '/board warm: median', value: b.median, unit: 'ms' },
        { label: '/board warm: p95', value: b.p95, unit: 'ms' },
        { label: 'floor (reads the cached figures row, answers JSON): median', value: bf.median, unit: 'ms' },
        { label: 'floor: p95', value: bf.p95, unit: 'ms' },
      ],
      ratios: [{ label: '/board median / floor median', value: round(b.median / bf.median, 2) }],
      notes: [
        `Signed in as a board member (${board}); ${warm} warm-up then ${times} measured GETs. The board module keeps the partnership's figures in board_figures_cache (refreshed by its job); the benchmark empties the cache first, so the first request works them out as it does before the job's first run.`,
        'Floor: a bare Express route reading the same cached figures row with one statement and answering it as JSON (the figures behind /board are cached, so a live aggregate would not be the same question; the live computation is measured in board-coverage).',
        load,
      ],
    });
    return results;
  } finally {
    client.close();
    floorClient.close();
    floor.close();
    await server.stop();
    await pool.end();
  }
}
