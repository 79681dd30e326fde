import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../support/process';

/**
 * A PostgreSQL cluster of the test's own, on a free port, that the test may
 * stop and start: the machine's shared PostgreSQL serves every other suite
 * and must never be stopped. initdb refuses to run as root, so as root the
 * cluster belongs to the postgres user.
 */
export interface PrivatePostgres {
  url: string;
  port: number;
  /** Stops the server: 'fast' (disconnects everyone, then a clean shutdown) or 'immediate' (no shutdown at all, as after a crash). */
  stop(mode?: 'fast' | 'immediate'): void;
  start(): void;
  destroy(): void;
}

function binDir(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (!fs.existsSync(base)) return undefined;
  const version = fs
    .readdirSync(base)
    .filter((v) => /^\d+$/.test(v) && fs.existsSync(path.join(base, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a))[0];
  return version ? path.join(base, version, 'bin') : undefined;
}

/** Why a private cluster cannot be made on this machine, or undefined when it can. */
export function privatePostgresUnavailable(): string | undefined {
  if (!binDir()) return 'PostgreSQL server binaries (initdb, pg_ctl) are not installed under /usr/lib/postgresql';
  if (process.getuid?.() === 0) {
    try {
      execFileSync('id', ['-u', 'postgres'], { stdio: 'ignore' });
    } catch {
      return 'running as root and there is no postgres user to own a private cluster';
    }
  }
  return undefined;
}

export interface PrivatePostgresOptions {
  /** More server settings (name -> value), e.g. for a replication primary. */
  settings?: Record<string, string>;
}

/** Runs one of PostgreSQL's programs as the cluster's owner (the postgres user when the test runs as root). */
function runner(bin: string, asRoot: boolean) {
  return (tool: string, args: string[]) =>
    asRoot
      ? execFileSync('runuser', ['-u', 'postgres', '--', path.join(bin, tool), ...args], { stdio: 'pipe' })
      : execFileSync(path.join(bin, tool), args, { stdio: 'pipe' });
}

/** A folder for a cluster, owned by whoever runs its server. */
function clusterDir(asRoot: boolean): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lms-pg-'));
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    fs.chownSync(dir, uid, gid);
  }
  return dir;
}

/** Starts the cluster in data (already made) on a free port, and what the test needs to stop, start and remove it. */
async function serve(run: ReturnType<typeof runner>, dir: string, data: string, settings: Record<string, string>): Promise<PrivatePostgres> {
  const port = await freePort();
  // Test clusters: small and without fsync, so they start in a moment; nothing here must survive a power cut.
  const all: Record<string, string> = { listen_addresses: '127.0.0.1', fsync: 'off', max_connections: '40', ...settings };
  const options = [`-p ${port} -k ${dir}`, ...Object.entries(all).map(([k, v]) => `-c ${k}=${v}`)].join(' ');
  const start = () => run('pg_ctl', ['-D', data, '-o', options, '-l', path.join(dir, 'log'), '-w', '-t', '60', 'start']);
  const stop = (mode: 'fast' | 'immediate' = 'fast') => run('pg_ctl', ['-D', data, '-m', mode, '-w', '-t', '60', 'stop']);
  start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    start,
    stop: (mode) => {
      stop(mode);
    },
    destroy() {
      try {
        stop();
      } catch {
        // already stopped
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function startPrivatePostgres(options: PrivatePostgresOptions = {}): Promise<PrivatePostgres> {
  const asRoot = process.getuid?.() === 0;
  const run = runner(binDir()!, asRoot);
  const dir = clusterDir(asRoot);
  const data = path.join(dir, 'data');
  run('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8']);
  return serve(run, dir, data, options.settings ?? {});
}

/**
 * A hot standby of `primary` (started with wal_level=replica, the default),
 * made as an operator makes one: pg_basebackup -R copies the primary and
 * writes the settings that make the copy stream from it; then it starts on a
 * port of its own and serves read-only queries while it replays.
 */
export async function startStandbyOf(primary: PrivatePostgres, options: PrivatePostgresOptions = {}): Promise<PrivatePostgres> {
  const asRoot = process.getuid?.() === 0;
  const run = runner(binDir()!, asRoot);
  const dir = clusterDir(asRoot);
  const data = path.join(dir, 'data');
  run('pg_basebackup', ['-h', '127.0.0.1', '-p', String(primary.port), '-U', 'postgres', '-D', data, '-R', '-X', 'stream', '-c', 'fast', '--no-sync']);
  return serve(run, dir, data, { hot_standby: 'on', ...options.settings });
}
