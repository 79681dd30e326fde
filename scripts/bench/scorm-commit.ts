/**
 * SCORM commit under load, and the server's memory while it serves it.
 *
 * The real product runs as its own process (server/main.ts, as `npm start`
 * runs it) on the bench database. Learners from the data set sign in through
 * the real sign-in form (each from its own address, as behind a load
 * balancer), open the awareness e-learning (starting a fresh attempt) and
 * then commit run-time data to the real commit endpoint as the player does:
 * with the commit token the player page gave them (and their session cookie
 * and CSRF token, which the endpoint uses when the token has expired, taking
 * the fresh token from the answer), validation of the CMI data and durable
 * storage on every commit (README, "How SCORM commits stay fast").
 *
 * The floor is scripts/bench/floor-server.ts, also its own process on the
 * same machine in the same run: a bare Express route doing one equivalent
 * single-row upsert. Both are measured paced (each learner commits every 3
 * seconds, at 50, 200 and 1,000 learners) and saturated (50 connections
 * sending as fast as answers come back).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import pg from 'pg';
import { PRODUCT_TYPES } from '../../server/db';
import { freePort, ROOT, startServerProcess } from '../../test/support/process';
import { BENCH_SCORM_DIR, benchConfig } from './generate';
import { type Client, httpClient, type LoadFigures, memoryOf, pacedLoad, round, saturatedLoad } from './support';
import type { BenchContext, BenchFigure, BenchResult } from './types';

const COURSE = 'domestic-abuse-awareness';
const INTERVAL_MS = 3000;
/** Learners signed in through the real form; the rest get the same session row directly. */
const FORM_SIGN_INS = 12;

interface Learner {
  client: Client;
  cookie: string;
  csrf: string;
  /** The player's commit token, renewed from an answer that carries one, as the player does. */
  commitToken: string;
  attemptId: string;
  sco: string;
  sessionId: string;
  sequence: number;
}

/** The cookies a browser would send next: `current` with whatever the answer set (the session, and the CSRF cookie the sign-in form sets). */
export function cookieFrom(res: { headers: Record<string, string | string[] | undefined> }, current: string): string {
  const set = res.headers['set-cookie'];
  const jar = new Map(
    current
      .split('; ')
      .filter(Boolean)
      .map((c) => [c.slice(0, c.indexOf('=')), c] as const),
  );
  for (const c of (Array.isArray(set) ? set : set ? [set] : []).map((x) => x.split(';')[0])) jar.set(c.slice(0, c.indexOf('=')), c);
  return [...jar.values()].join('; ');
}

function unescapeHtml(s: string): string {
  return s
    .replace(/&quot;/g, '"')
    .replace(/&#x27;/g, "'")
    .replace(/&#39;/g, "'")
    .replace(/&#x3D;/g, '=')
    .replace(/&#x60;/g, '`')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/**
 * A session as the sign-in form leaves it (connect-pg-simple's row, express-session's
 * signed cookie), for learners beyond the sample signed in through the form: each
 * form sign-in spends most of a second on the argon2 password check by design.
 */
export async function mintSession(pool: pg.Pool, secret: string, email: string): Promise<string> {
  const sid = randomBytes(24).toString('base64url');
  const { rows } = await pool.query<{ id: string }>('select id from users where lower(email) = lower($1)', [email]);
  const expires = new Date(Date.now() + 60 * 60 * 1000);
  const sess = {
    cookie: { originalMaxAge: 3_600_000, expires: expires.toISOString(), secure: false, httpOnly: true, path: '/', sameSite: 'lax' },
    passport: { user: rows[0].id },
  };
  await pool.query('insert into sessions (sid, sess, expire) values ($1, $2, $3)', [sid, JSON.stringify(sess), expires]);
  const signature = createHmac('sha256', secret).update(sid).digest('base64').replace(/=+$/, '');
  return `dal.sid=${encodeURIComponent(`s:${sid}.${signature}`)}`;
}

/** Signs one learner in (through the real form, or with a minted session) and opens a fresh attempt of the course, as a browser would. */
async function signIn(baseUrl: string, email: string, password: string, i: number, minted?: string): Promise<Learner> {
  const client = httpClient(baseUrl, 1);
  const ip = { 'x-forwarded-for': `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` };
  const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
  let cookie = minted ?? '';
  if (!minted) {
    const page = await client.request('GET', '/sign-in', { headers: ip });
    cookie = cookieFrom(page, cookie);
    const token = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
    const signedIn = await client.request('POST', '/sign-in', {
      headers: { ...ip, cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: form({ email, password, _csrf: token }),
    });
    if (signedIn.status !== 302) throw new Error(`sign-in of ${email} answered ${signedIn.status}: ${signedIn.body.slice(0, 300)}`);
    cookie = cookieFrom(signedIn, cookie);
  }
  const play = async () => {
    const res = await client.request('GET', `/courses/${COURSE}/play`, { headers: { ...ip, cookie } });
    cookie = cookieFrom(res, cookie);
    const attr = /data-player="([^"]+)"/.exec(res.body)?.[1];
    if (res.status !== 200 || !attr) throw new Error(`the player for ${email} answered ${res.status}`);
    return JSON.parse(unescapeHtml(attr)) as {
      attemptId: string;
      csrfToken: string;
      commitToken: string;
      sessionId: string;
      review: boolean;
      scos: { identifier: string }[];
    };
  };
  let player = await play();
  if (player.review) {
    // Finished before: start again, as someone doing their refresher would.
    const again = await client.request('POST', `/courses/${COURSE}/attempts`, {
      headers: { ...ip, cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: form({ _csrf: player.csrfToken }),
    });
    cookie = cookieFrom(again, cookie);
    player = await play();
  }
  return {
    client,
    cookie,
    csrf: player.csrfToken,
    commitToken: player.commitToken,
    attemptId: player.attemptId,
    sco: player.scos[0].identifier,
    sessionId: player.sessionId,
    sequence: Date.now(),
  };
}

function commitBody(l: Learner): string {
  const n = ++l.sequence;
  return JSON.stringify({
    sco: l.sco,
    sequence: n,
    sessionId: l.sessionId,
    cmi: {
      'cmi.core.lesson_status': 'incomplete',
      'cmi.core.lesson_location': `page-${n % 12}`,
      'cmi.core.exit': 'suspend',
      'cmi.core.session_time': `0000:${String(Math.floor((n * 3) / 60) % 60).padStart(2, '0')}:${String((n * 3) % 60).padStart(2, '0')}`,
      'cmi.suspend_data': `p=${n % 12};q=${'1,0,'.repeat(10)};t=${n}`,
    },
  });
}

function startFloor(databaseUrl: string, port: number): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/bench/floor-server.ts'], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: databaseUrl, PORT: String(port) },
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('floor is running')) resolve(child);
    });
    child.stderr.on('data', (d) => (out += d));
    child.on('exit', (code) => reject(new Error(`the floor server exited with ${code}: ${out}`)));
  });
}

export async function run(ctx: BenchContext): Promise<BenchResult[]> {
  const levels = ctx.quick ? [50, 200] : [50, 200, 1000];
  const pacedMs = ctx.quick ? 9_000 : 30_000;
  const saturatedMs = ctx.quick ? 5_000 : 15_000;
  const saturatedConnections = 50;
  const pool = new pg.Pool({ connectionString: ctx.databaseUrl, max: 2, types: PRODUCT_TYPES });
  const { rows: people } = await pool.query<{ email: string }>(
    `select u.email from staff s join users u on u.id = s.user_id
      where s.group_number in (1, 2) and s.leaving_date is null order by s.staff_number limit $1`,
    // A few more than needed: someone who finished the course and may only review it gets no commit token, and is left out.
    [Math.max(...levels) + 50],
  );
  await pool.query('create table if not exists bench_floor_sco_states (like scorm_sco_states including defaults including indexes)');
  await pool.query('truncate bench_floor_sco_states');
  const password = (await pool.query<{ recorded: { password: string } }>('select recorded from bench_data_set')).rows[0].recorded.password;

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
  const floor = await startFloor(ctx.databaseUrl, floorPort);
  const floorClients = people.map(() => httpClient(`http://127.0.0.1:${floorPort}`, 1));
  const learners: Learner[] = [];
  const results: BenchResult[] = [];
  try {
    const idle = memoryOf(server.child.pid!);
    const signInStarted = Date.now();
    const throughForm = Math.min(FORM_SIGN_INS, people.length);
    for (let i = 0; i < throughForm; i += 4) {
      learners.push(...(await Promise.all(people.slice(i, Math.min(i + 4, throughForm)).map((p, k) => signIn(server.url, p.email, password, i + k)))));
    }
    const formSeconds = (Date.now() - signInStarted) / 1000;
    for (let i = throughForm; i < people.length; i += 16) {
      const batch = people.slice(i, i + 16);
      learners.push(
        ...(await Promise.all(batch.map(async (p, k) => signIn(server.url, p.email, password, i + k, await mintSession(pool, config.sessionSecret, p.email))))),
      );
    }
    const reviewOnly = learners.filter((l) => !l.commitToken);
    for (const l of reviewOnly) l.client.close();
    learners.splice(0, learners.length, ...learners.filter((l) => l.commitToken).slice(0, Math.max(...levels)));
    if (learners.length < Math.max(...levels)) throw new Error(`only ${learners.length} learners could open a fresh attempt`);
    // Opening the player resumes an unfinished attempt, so a learner may commit to the attempt an
    // earlier run left behind: start above anything stored, or its commits are refused as stale.
    const { rows: stored } = await pool.query<{ attemptId: string; last: string }>(
      `select attempt_id as "attemptId", max(last_sequence)::text as last from scorm_sco_states where attempt_id = any($1::uuid[]) group by attempt_id`,
      [learners.map((l) => l.attemptId)],
    );
    const lastStored = new Map(stored.map((r) => [r.attemptId, Number(r.last)]));
    for (const l of learners) l.sequence = Math.max(l.sequence, (lastStored.get(l.attemptId) ?? 0) + 1);
    ctx.log(
      `${throughForm} learners signed in through the form in ${formSeconds.toFixed(1)} s; the rest with sessions as the form leaves them; ${reviewOnly.length} left out (the course only reviewable for them), ${learners.length} commit`,
    );

    const product = (w: number) => {
      const l = learners[w];
      return l.client
        .request('POST', `/scorm/attempts/${l.attemptId}/commit`, {
          headers: {
            cookie: l.cookie,
            'x-csrf-token': l.csrf,
            'x-commit-token': l.commitToken,
            'content-type': 'application/json',
            accept: 'application/json',
          },
          body: commitBody(l),
        })
        .then((r) => {
          const renewed = /"commitToken":"([^"]+)"/.exec(r.body)?.[1];
          if (renewed) l.commitToken = renewed;
          return { ok: r.status === 200 && r.body.includes('"stored":true'), detail: `${r.status} ${r.body.slice(0, 200)}` };
        });
    };
    const bare = (w: number) => {
      const l = learners[w];
      return floorClients[w]
        .request('POST', `/commit/${l.attemptId}`, { headers: { 'content-type': 'application/json' }, body: commitBody(l) })
        .then((r) => ({ ok: r.status === 200 && r.body.includes('"stored":true'), detail: `${r.status} ${r.body.slice(0, 200)}` }));
    };

    // Warm both (JIT, connection pools, caches) before measuring.
    await saturatedLoad(20, 2000, product);
    await saturatedLoad(20, 2000, bare);

    const paced: { learners: number; product: LoadFigures; floor: LoadFigures; peakRssMb?: number }[] = [];
    let rssAt200 = { peak: 0, end: 0 };
    for (const n of levels) {
      let peak = 0;
      const sampler = setInterval(() => {
        peak = Math.max(peak, memoryOf(server.child.pid!).rssMb);
      }, 250);
      const p = await pacedLoad(n, INTERVAL_MS, pacedMs, product);
      clearInterval(sampler);
      if (n === 200) rssAt200 = { peak, end: memoryOf(server.child.pid!).rssMb };
      const f = await pacedLoad(n, INTERVAL_MS, pacedMs, bare);
      ctx.log(
        `paced ${n} learners: product ${p.perSecond}/s p50 ${p.p50} p99 ${p.p99} ms (${p.errors} errors); floor ${f.perSecond}/s p50 ${f.p50} p99 ${f.p99} ms`,
      );
      if (p.firstError) ctx.log(`first product error: ${p.firstError}`);
      paced.push({ learners: n, product: p, floor: f, peakRssMb: peak });
    }
    const satProduct = await saturatedLoad(saturatedConnections, saturatedMs, product);
    const satFloor = await saturatedLoad(saturatedConnections, saturatedMs, bare);
    ctx.log(
      `saturated (${saturatedConnections} connections): product ${satProduct.perSecond}/s p50 ${satProduct.p50} p99 ${satProduct.p99}; floor ${satFloor.perSecond}/s p50 ${satFloor.p50} p99 ${satFloor.p99}`,
    );

    const at200 = paced.find((p) => p.learners === 200)!;
    const at1000 = paced.find((p) => p.learners === 1000);
    const ratio = round(satProduct.perSecond / satFloor.perSecond, 2);
    const p99Ratio1000 = at1000 ? round(at1000.product.p99 / at1000.floor.p99, 2) : undefined;
    const figures: BenchFigure[] = [];
    for (const p of paced) {
      figures.push(
        { label: `${p.learners} learners paced (one commit each every 3 s): commits per second`, value: p.product.perSecond, unit: '/s' },
        { label: `${p.learners} learners paced: p50`, value: p.product.p50, unit: 'ms' },
        { label: `${p.learners} learners paced: p99`, value: p.product.p99, unit: 'ms' },
        { label: `${p.learners} learners paced: failed commits`, value: p.product.errors, unit: '' },
        { label: `${p.learners} learners paced, floor: p50`, value: p.floor.p50, unit: 'ms' },
        { label: `${p.learners} learners paced, floor: p99`, value: p.floor.p99, unit: 'ms' },
      );
    }
    figures.push(
      { label: `saturated, ${saturatedConnections} connections: commits per second`, value: satProduct.perSecond, unit: '/s' },
      { label: 'saturated: p50', value: satProduct.p50, unit: 'ms' },
      { label: 'saturated: p99', value: satProduct.p99, unit: 'ms' },
      { label: 'saturated, floor: upserts per second', value: satFloor.perSecond, unit: '/s' },
      { label: 'saturated, floor: p50', value: satFloor.p50, unit: 'ms' },
      { label: 'saturated, floor: p99', value: satFloor.p99, unit: 'ms' },
    );
    results.push({
      id: 'scorm-commit',
      title: 'SCORM commit under load (real endpoint as the player calls it: commit token or session, CMI validation, durable storage)',
      target:
        "saturated throughput at least the floor's; p99 under 50 ms at 200 learners and, at 1,000 paced learners, within 2× the floor's p99 (issues 9 and 26)",
      met: ratio >= 1 && at200.product.p99 < 50 && (p99Ratio1000 === undefined || p99Ratio1000 <= 2) && paced.every((p) => p.product.errors === 0),
      figures,
      ratios: [
        { label: 'saturated throughput / floor', value: ratio },
        { label: 'p99 at 200 learners / floor p99', value: round(at200.product.p99 / at200.floor.p99, 2) },
        ...(p99Ratio1000 === undefined ? [] : [{ label: 'p99 at 1,000 learners / floor p99', value: p99Ratio1000 }]),
      ],
      notes: [
        `${learners.length} learners from the data set, ${FORM_SIGN_INS} signed in through the real sign-in form and the rest given the same session row and signed cookie the form leaves (argon2 makes each form sign-in take most of a second, by design); each commits to a fresh attempt of "${COURSE}" (SCORM 1.2, a real package) every ${INTERVAL_MS / 1000} s for ${pacedMs / 1000} s per level, as the player does: with the commit token the player page gave (answered before the session is read), plus the session cookie and CSRF token the endpoint falls back to when the token has expired, taking the fresh token from that answer; the server and the floor are separate processes on the same machine, the load generator a third.`,
        'Floor: scripts/bench/floor-server.ts, a bare Express route with one single-row upsert of the same CMI data into a table like scorm_sco_states (no session, CSRF, validation or attempt outcome).',
        'Latency in the paced runs is measured from when the commit was due, so a server that falls behind shows it.',
      ],
    });
    results.push({
      id: 'server-memory',
      title: 'Server memory (RSS) at 200 concurrent learners',
      target: 'no target in the issue; we hold it under 300 MB',
      met: rssAt200.peak < 300,
      figures: [
        { label: 'RSS after start, before sign-ins', value: idle.rssMb, unit: 'MB' },
        { label: 'peak RSS while 200 learners commit', value: rssAt200.peak, unit: 'MB' },
        { label: 'RSS at the end of that run', value: rssAt200.end, unit: 'MB' },
      ],
      notes: ['Read from /proc/<pid>/status (VmRSS) of the server process every 250 ms.'],
    });
    return results;
  } finally {
    for (const l of learners) l.client.close();
    for (const c of floorClients) c.close();
    floor.kill('SIGTERM');
    await server.stop();
    await pool.end();
  }
}
