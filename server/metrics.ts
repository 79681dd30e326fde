import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import type { Pool } from 'pg';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Jobs } from './jobs';

/** Every metric of this product starts so, apart from prom-client's process defaults. */
export const METRIC_PREFIX = 'lms_';

export interface CounterHandle<L extends string> {
  inc(labels?: Partial<Record<L, string>>, value?: number): void;
}

export interface HistogramHandle<L extends string> {
  observe(labels: Partial<Record<L, string>>, value: number): void;
}

/**
 * What a module is given to count its own events (on the ModuleContext), so
 * the composition root never has to know them. Asking twice for one name gives
 * the same metric, so routes and jobs of a module can each ask for it.
 * Label values must come from a short fixed list (an outcome, a job name):
 * never an id, an address or anything a user typed.
 */
export interface Metrics {
  counter<L extends string = never>(options: { name: string; help: string; labelNames?: readonly L[] }): CounterHandle<L>;
  histogram<L extends string = never>(options: { name: string; help: string; labelNames?: readonly L[]; buckets?: number[] }): HistogramHandle<L>;
}

export interface ProductMetrics extends Metrics {
  registry: Registry;
  /** Counts every request's time by route pattern and status class. Mounted first. */
  httpTimer: RequestHandler;
  /** The database pool's connections, read at each scrape. */
  watchPool(pool: Pool): void;
  /** Job runs and failures by job name, from Agenda's events; jobs due and not yet started, read at each scrape. */
  watchJobs(jobs: Jobs, pool: Pool): void;
}

function checkName(name: string): void {
  if (!name.startsWith(METRIC_PREFIX)) throw new Error(`Metric "${name}" must start with "${METRIC_PREFIX}"`);
}

/**
 * One registry per running product (tests start several in one process),
 * with prom-client's process metrics (CPU, memory, event loop lag, handles)
 * only when the operator turned metrics on.
 */
export function createMetrics(options: { processDefaults: boolean }): ProductMetrics {
  const registry = new Registry();
  if (options.processDefaults) collectDefaultMetrics({ register: registry });

  const counter: Metrics['counter'] = ({ name, help, labelNames }) => {
    checkName(name);
    const existing = registry.getSingleMetric(name);
    const metric = (existing as Counter<string> | undefined) ?? new Counter({ name, help, labelNames: [...(labelNames ?? [])], registers: [registry] });
    return { inc: (labels, value) => metric.inc((labels ?? {}) as Record<string, string>, value ?? 1) };
  };
  const histogram: Metrics['histogram'] = ({ name, help, labelNames, buckets }) => {
    checkName(name);
    const existing = registry.getSingleMetric(name);
    const metric =
      (existing as Histogram<string> | undefined) ?? new Histogram({ name, help, labelNames: [...(labelNames ?? [])], buckets, registers: [registry] });
    return { observe: (labels, value) => metric.observe(labels as Record<string, string>, value) };
  };

  const requests = histogram({
    name: `${METRIC_PREFIX}http_request_duration_seconds`,
    help: 'Time to answer an HTTP request, by method, route pattern and status class',
    labelNames: ['method', 'route', 'status_class'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  });
  const httpTimer: RequestHandler = (req, res, next) => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      requests.observe(
        {
          method: methodLabel(req.method),
          route: routeLabel(req, res.statusCode, res.locals.metricsRoute),
          status_class: `${Math.floor(res.statusCode / 100)}xx`,
        },
        seconds,
      );
    });
    next();
  };

  const watchPool = (pool: Pool) => {
    const states: [string, string, () => number][] = [
      ['db_pool_connections', 'Connections the database pool holds open', () => pool.totalCount],
      ['db_pool_idle_connections', 'Open connections waiting for a query', () => pool.idleCount],
      [
        'db_pool_waiting_clients',
        'Queries waiting for a free connection (above zero for long: the pool is too small or the database too slow)',
        () => pool.waitingCount,
      ],
    ];
    for (const [name, help, read] of states) {
      if (registry.getSingleMetric(`${METRIC_PREFIX}${name}`)) continue;
      new Gauge({
        name: `${METRIC_PREFIX}${name}`,
        help,
        registers: [registry],
        collect() {
          this.set(read());
        },
      });
    }
  };

  const watchJobs: ProductMetrics['watchJobs'] = (jobs, pool) => {
    if (!registry.getSingleMetric(`${METRIC_PREFIX}jobs_waiting`)) {
      new Gauge({
        name: `${METRIC_PREFIX}jobs_waiting`,
        help: 'Background jobs due and not yet started (the queue depth; shared by every instance on the database)',
        registers: [registry],
        async collect() {
          // While the database is away the gauge keeps its last value: the pool gauges and /health/ready say why.
          const { rows } = await pool
            .query<{ n: number }>('select count(*)::int as n from agenda_jobs where next_run_at <= now() and locked_at is null and disabled is not true')
            .catch(() => ({ rows: [] as { n: number }[] }));
          if (rows[0]) this.set(rows[0].n);
        },
      });
    }
    const runs = counter({ name: `${METRIC_PREFIX}job_runs_total`, help: 'Background job runs finished, by job name', labelNames: ['job'] as const });
    const failures = counter({
      name: `${METRIC_PREFIX}job_failures_total`,
      help: 'Background job runs that failed, by job name',
      labelNames: ['job'] as const,
    });
    // Only this instance's own runs: another instance's (remote) events are that instance's to count.
    jobs.on('complete', (job, remote) => {
      if (!remote) runs.inc({ job: job.attrs.name });
    });
    jobs.on('fail', (_err, job, remote) => {
      if (!remote) failures.inc({ job: job.attrs.name });
    });
  };

  return { registry, counter, histogram, httpTimer, watchPool, watchJobs };
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
function methodLabel(method: string): string {
  return METHODS.has(method) ? method : 'other';
}

// A path segment that is a value rather than a name: a UUID, a number, a long token.
const VALUE_SEGMENT = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\d+|[\w-]{24,})$/i;

/**
 * The route pattern that answered ("/courses/:slug"), never the address asked
 * for: one label per route the code declares, whatever the ids in the address.
 * A router mounted at a pattern contributes the pattern's values to baseUrl,
 * so any segment that looks like a value is replaced as a second guard.
 * Static files and unmatched addresses fall into a few fixed labels. A handler
 * that is not an Express route (one mounted before sessions) names its pattern
 * in res.locals.metricsRoute.
 */
export function routeLabel(req: Request, status: number, named?: unknown): string {
  if (typeof named === 'string') return named;
  const routePath = req.route?.path;
  if (typeof routePath === 'string') {
    const full = `${req.baseUrl ?? ''}${routePath}` || '/';
    return full
      .split('/')
      .map((s) => (VALUE_SEGMENT.test(s) ? ':value' : s))
      .join('/');
  }
  if (routePath !== undefined) return `${req.baseUrl ?? ''}(pattern)`;
  const url = req.originalUrl ?? '';
  if (url.startsWith('/assets/') || url.startsWith('/public/') || url.startsWith('/modules/')) return '(static)';
  return status === 404 ? '(not found)' : '(other)';
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/**
 * GET /metrics for Prometheus. Off (METRICS unset): passed on, so it is the
 * same "page not found" as any other unknown address. On: only with
 * "Authorization: Bearer METRICS_TOKEN", compared in constant time.
 */
export function metricsEndpoint(metrics: ProductMetrics, token: string | undefined): RequestHandler {
  const expected = token ? digest(token) : undefined;
  return async (req, res, next) => {
    if (!expected) return next();
    const header = req.headers.authorization ?? '';
    const given = /^Bearer\s+(\S+)$/i.exec(header)?.[1] ?? '';
    // Both sides hashed to one length first, so the comparison time says nothing about the token.
    if (!timingSafeEqual(digest(given), expected)) {
      res
        .status(401)
        .set('www-authenticate', 'Bearer realm="metrics"')
        .type('text/plain')
        .send('A metrics token is needed: Authorization: Bearer METRICS_TOKEN\n');
      return;
    }
    try {
      res
        .set('cache-control', 'no-store')
        .type(metrics.registry.contentType)
        .send(await metrics.registry.metrics());
    } catch (err) {
      next(err);
    }
  };
}
