/**
 * What several benchmarks share: percentiles, a small HTTP client with
 * keep-alive connections (one per simulated learner, as browsers have), and
 * the two ways of offering load: paced (each learner commits every few
 * seconds, as the SCORM player does) and saturated (each connection sends
 * its next request as soon as the last is answered).
 */
import fs from 'node:fs';
import http from 'node:http';
import { performance } from 'node:perf_hooks';

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export function median(xs: number[]): number {
  return percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );
}

export const round = (n: number, places = 1) => Math.round(n * 10 ** places) / 10 ** places;

export interface Response {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface Client {
  request(method: string, path: string, options?: { headers?: Record<string, string>; body?: string }): Promise<Response>;
  close(): void;
}

/** Requests to one server over keep-alive connections (up to `connections` at once). */
export function httpClient(baseUrl: string, connections = 1): Client {
  const url = new URL(baseUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections });
  return {
    request(method, path, options = {}) {
      return new Promise((resolve, reject) => {
        const req = http.request(
          {
            host: url.hostname,
            port: url.port,
            method,
            path,
            agent,
            headers: { ...(options.body ? { 'content-length': Buffer.byteLength(options.body) } : {}), ...options.headers },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
            res.on('error', reject);
          },
        );
        req.on('error', reject);
        req.end(options.body);
      });
    },
    close: () => agent.destroy(),
  };
}

export interface LoadFigures {
  requests: number;
  errors: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
  max: number;
  firstError?: string;
}

/** One simulated learner: sends the next request and says whether the answer was right. */
export type Sender = (worker: number, n: number) => Promise<{ ok: boolean; detail?: string }>;

function figures(latencies: number[], errors: number, seconds: number, firstError?: string): LoadFigures {
  const sorted = latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    errors,
    seconds: round(seconds, 2),
    perSecond: round(latencies.length / seconds),
    p50: round(percentile(sorted, 50), 2),
    p99: round(percentile(sorted, 99), 2),
    max: round(sorted[sorted.length - 1] ?? Number.NaN, 2),
    firstError,
  };
}

/** Sends requests for a load and keeps their latencies (from `from`), errors and the first error's detail. */
function tally() {
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  return {
    async send(send: Sender, worker: number, n: number, from: number): Promise<void> {
      try {
        const r = await send(worker, n);
        if (r.ok) latencies.push(performance.now() - from);
        else {
          errors++;
          firstError ??= r.detail;
        }
      } catch (err) {
        errors++;
        firstError ??= (err as Error).message;
      }
    },
    figures: (started: number) => figures(latencies, errors, (performance.now() - started) / 1000, firstError),
  };
}

/**
 * Each of `workers` learners sends a request every `intervalMs` (the first at
 * a random point in the first interval, so they do not arrive together),
 * for `durationMs`. Latency is measured from the moment the request was due.
 */
export async function pacedLoad(workers: number, intervalMs: number, durationMs: number, send: Sender): Promise<LoadFigures> {
  const load = tally();
  const started = performance.now();
  const end = started + durationMs;
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      let due = started + Math.random() * intervalMs;
      for (let n = 0; due < end; n++) {
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        await load.send(send, w, n, Math.min(performance.now(), due));
        due += intervalMs;
      }
    }),
  );
  return load.figures(started);
}

/** Each of `workers` connections sends its next request as soon as the last is answered. */
export async function saturatedLoad(workers: number, durationMs: number, send: Sender): Promise<LoadFigures> {
  const load = tally();
  const started = performance.now();
  const end = started + durationMs;
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      for (let n = 0; performance.now() < end; n++) await load.send(send, w, n, performance.now());
    }),
  );
  return load.figures(started);
}

/** Resident memory of a process now, and its peak so far, in MB (Linux /proc). */
export function memoryOf(pid: number): { rssMb: number; peakMb: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? Number.NaN);
  return { rssMb: round(kb('VmRSS') / 1024), peakMb: round(kb('VmHWM') / 1024) };
}
