/**
 * Start time and memory of the server as an operator runs it, measured from
 * outside: the time from spawning the process to the first 200 from /health,
 * and the resident memory once it has been idle for a few seconds.
 *
 *   npm run bench:startup -- [--runs N] [--via build|tsx] [--database-url URL] [--json FILE]
 *
 * --via build (the default) runs `node dist/server/main.js`, what `npm start`
 * runs once built; --via tsx runs `tsx server/main.ts`, how the product was
 * started before it had a build (kept to measure the difference).
 *
 * Measured: the embedded default's first start with demo data (a fresh
 * DATA_DIR), its restart on the same DATA_DIR, and a start on PostgreSQL (a new
 * database on --database-url, default the machine's server, dropped after).
 * PGlite's share of the embedded server's memory is the difference between
 * the two idle servers, which run the same code on the same demo data.
 * The processor time of each start is shown beside its wall-clock time.
 * Each figure is the median of --runs runs (default 3).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from '../../test/support/process';
import { median, round } from './support';

const ROOT = path.resolve(__dirname, '..', '..');
const IDLE_MS = 5_000;

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i === -1 ? undefined : process.argv[i + 1];
}

interface Started {
  child: ChildProcess;
  ms: number;
  cpuSeconds: number;
}

function command(via: string): string[] {
  if (via === 'tsx') return [path.join(ROOT, 'node_modules/.bin/tsx'), 'server/main.ts'];
  return [process.execPath, 'dist/server/main.js'];
}

async function start(via: string, env: Record<string, string>): Promise<Started> {
  const port = await freePort();
  const [bin, ...args] = command(via);
  const began = performance.now();
  const child = spawn(bin, args, {
    cwd: ROOT,
    // A long wait for a database connection: on a busy machine the default 5 s can end a start.
    env: { ...process.env, NODE_ENV: 'production', LOG_LEVEL: 'warn', HOST: '127.0.0.1', PORT: String(port), DATABASE_POOL_WAIT_SECONDS: '120', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const deadline = began + 600_000;
  while (performance.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode} before /health answered`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/health`);
      if (res.status === 200) return { child, ms: performance.now() - began, cpuSeconds: cpuSeconds(child.pid!) };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  for (const pid of tree(child.pid!)) process.kill(pid, 'SIGKILL');
  throw new Error('/health did not answer within 600 s');
}

/** Stops the server and waits for every process of it to end (tsx's relay can exit before its child). */
async function stop(child: ChildProcess): Promise<void> {
  const pids = tree(child.pid!);
  if (child.exitCode === null) child.kill('SIGTERM');
  while (pids.some((pid) => fs.existsSync(`/proc/${pid}`) && !fs.readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z '))) {
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every process in the tree under pid (tsx runs the server in a child of its own). */
function tree(pid: number): number[] {
  const all = [pid];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) all.push(...tree(Number(entry)));
    } catch {
      // gone
    }
  }
  return all;
}

/** Resident memory of the process tree, in MB. */
function rssMb(pid: number): number {
  let kb = 0;
  for (const p of tree(pid)) kb += Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0);
  return round(kb / 1024);
}

/**
 * Processor time the tree has used, in seconds: unlike the wall-clock time it
 * hardly depends on what else the machine is doing, so it shows the cost of a
 * start even on a busy machine.
 */
function cpuSeconds(pid: number): number {
  let ticks = 0;
  for (const p of tree(pid)) {
    const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
  }
  return ticks / 100;
}

async function idleRssMb(child: ChildProcess): Promise<number> {
  await new Promise((r) => setTimeout(r, IDLE_MS));
  return rssMb(child.pid!);
}

interface Run {
  firstStartMs: number;
  firstStartCpuSeconds: number;
  restartMs: number;
  restartCpuSeconds: number;
  embeddedRssMb: number;
  postgresStartMs?: number;
  postgresRssMb?: number;
}

async function once(via: string, databaseUrl: string | undefined): Promise<Run> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-startup-'));
  const env = { DATA_DIR: path.join(dir, 'data'), SCORM_DIR: path.join(dir, 'scorm'), DEMO_DATA: 'true' };
  try {
    const first = await start(via, env);
    await stop(first.child);
    const again = await start(via, env);
    const embeddedRssMb = await idleRssMb(again.child);
    await stop(again.child);
    const run: Run = {
      firstStartMs: first.ms,
      firstStartCpuSeconds: first.cpuSeconds,
      restartMs: again.ms,
      restartCpuSeconds: again.cpuSeconds,
      embeddedRssMb,
    };
    if (databaseUrl) {
      const name = `bench_startup_${randomBytes(4).toString('hex')}`;
      const admin = new pg.Client({ connectionString: databaseUrl });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${name}`);
      try {
        const url = new URL(databaseUrl);
        url.pathname = `/${name}`;
        const pgEnv = { ...env, DATABASE_URL: url.toString(), SESSION_SECRET: randomBytes(32).toString('hex'), DEMO_DATA: 'true' };
        // The first start migrates and seeds; the idle figure is a restart's, as a running service would be.
        await stop((await start(via, pgEnv)).child);
        const onPostgres = await start(via, pgEnv);
        run.postgresStartMs = onPostgres.ms;
        run.postgresRssMb = await idleRssMb(onPostgres.child);
        await stop(onPostgres.child);
      } finally {
        await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await admin.end();
      }
    }
    return run;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  const via = arg('--via') ?? 'build';
  const runs = Number(arg('--runs') ?? 3);
  const databaseUrl = process.argv.includes('--no-postgres') ? undefined : (arg('--database-url') ?? 'postgres://postgres@127.0.0.1:5432/postgres');
  if (via === 'build' && !fs.existsSync(path.join(ROOT, 'dist/server/main.js'))) throw new Error('No build: run `npm run build` first');
  const results: Run[] = [];
  for (let i = 0; i < runs; i++) {
    results.push(await once(via, databaseUrl));
    console.error(`run ${i + 1}/${runs}: ${JSON.stringify(results.at(-1))}`);
  }
  const med = (f: (r: Run) => number | undefined) => {
    const xs = results.map(f).filter((x): x is number => x !== undefined);
    return xs.length ? round(median(xs), 2) : undefined;
  };
  const summary = {
    via,
    node: process.version,
    cpu: os.cpus()[0]?.model,
    cores: os.cpus().length,
    loadAverage: os.loadavg().map((x) => round(x, 2)),
    date: new Date().toISOString(),
    runs,
    firstStartSeconds: med((r) => r.firstStartMs / 1000),
    firstStartCpuSeconds: med((r) => r.firstStartCpuSeconds),
    restartSeconds: med((r) => r.restartMs / 1000),
    restartCpuSeconds: med((r) => r.restartCpuSeconds),
    embeddedRssMb: med((r) => r.embeddedRssMb),
    postgresStartSeconds: med((r) => (r.postgresStartMs === undefined ? undefined : r.postgresStartMs / 1000)),
    postgresRssMb: med((r) => r.postgresRssMb),
    // The same server and data on each: the difference is what PGlite holds in the process.
    pgliteShareMb: med((r) => (r.postgresRssMb === undefined ? undefined : r.embeddedRssMb - r.postgresRssMb)),
  };
  const out = arg('--json');
  if (out) fs.writeFileSync(out, `${JSON.stringify(summary, null, 2)}\n`);
  console.log(JSON.stringify(summary, null, 2));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
