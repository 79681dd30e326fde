import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { UNHANDLED_REJECTION } from '../../server/outage-log';

export const ROOT = path.resolve(__dirname, '..', '..');

/** Runs a TypeScript entry point of this project as a separate Node process, as an operator would. */
export function runNode(args: string[], env: Record<string, string>, timeoutMs = 60_000): Promise<{ code: number | null; output: string; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'warn', ...env } });
    let output = '';
    let stdout = '';
    child.stdout.on('data', (d) => {
      output += d;
      stdout += d;
    });
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output, stdout });
    });
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  output(): string;
  /**
   * Sends SIGTERM and resolves with the exit code and how long shutdown took; rejects if
   * the server logged a promise rejection nobody handled, so every test that runs one fails on it.
   */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; ms: number }>;
}

/**
 * Starts `server/main.ts` (what `npm start` runs) and waits until /health answers and the
 * start-up message is printed; with `firstAnswer`, only until /health first answers, looking
 * often, so a test can act at the very moment a load balancer or service manager would.
 */
export async function startServerProcess(env: Record<string, string>, timeoutMs = 90_000, options: { firstAnswer?: boolean } = {}): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', NODE_ENV: 'production', PORT: String(port), HOST: '127.0.0.1', ...env },
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${output}`);
    // Ready when it answers /health and has printed its start-up message (demo sign-ins come just before it).
    try {
      const res = await fetch(`${url}/health`);
      if (res.status === 200 && (options.firstAnswer || output.includes('is running at'))) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server did not answer /health within ${timeoutMs} ms:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, options.firstAnswer ? 10 : 250));
  }
  return {
    child,
    url,
    output: () => output,
    stop(signal = 'SIGTERM') {
      const started = Date.now();
      const checked = (result: { code: number | null; ms: number }) => {
        const lines = output.split('\n').filter((l) => l.includes(UNHANDLED_REJECTION));
        if (lines.length) throw new Error(`the server logged ${lines.length} promise rejection(s) nobody handled:\n${lines.join('\n')}`);
        return result;
      };
      return new Promise<{ code: number | null; ms: number }>((resolve) => {
        if (child.exitCode !== null) return resolve({ code: child.exitCode, ms: 0 });
        child.once('exit', (code) => resolve({ code, ms: Date.now() - started }));
        child.kill(signal);
      }).then(checked);
    },
  };
}
