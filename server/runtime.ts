import http from 'node:http';
import path from 'node:path';
import type { Express } from 'express';
import type { Config } from './config';
import { type Database, openDatabase } from './db';
import { type MigrationSource, migrationCheck, runMigrations } from './db/migrate';
import { createApp } from './app';
import type { Jobs } from './jobs';
import { createLogger, type Logger } from './logger';
import { createMailer, type Mailer } from './mail';
import { createEventBus, type EventBus } from './events';
import { createMetrics, type ProductMetrics } from './metrics';
import { type LoadedModule, loadModules, type ModuleContext } from './module';
import { type DemoLogin, databaseIsEmpty, seedDemoPartnership } from './demo';

export interface Prepared {
  config: Config;
  logger: Logger;
  database: Database;
  modules: LoadedModule[];
  mailer: Mailer;
  events: EventBus;
  metrics: ProductMetrics;
  /** Whether the database answers and holds every migration this code knows (/health/ready). */
  ready(): Promise<{ database: boolean; migrations: boolean }>;
  contextFor(mod: LoadedModule): ModuleContext;
  /** A context for code outside any module (the CLI, the demo seed). */
  rootContext: ModuleContext;
}

/** The core's migrations first, then each module's in load order (dependencies first). */
export function migrationSources(modules: LoadedModule[]): MigrationSource[] {
  return [{ module: 'core', dir: path.join(__dirname, 'migrations') }, ...modules.map((m) => ({ module: m.definition.name, dir: m.migrationsDir }))];
}

/** Opens the database, applies every migration and runs each module's start-up step. */
export async function prepare(
  config: Config,
  options: { logger?: Logger; database?: Database; role: 'server' | 'cli' | 'test'; borrowIfBusy?: boolean; inMemory?: boolean },
): Promise<Prepared> {
  const logger = options.logger ?? createLogger(config);
  const modules = loadModules();
  const database =
    options.database ??
    (await openDatabase(config, logger, {
      role: options.role,
      borrowIfBusy: options.borrowIfBusy,
      inMemory: options.inMemory,
      // A CLI command is the operator's own work (a restore, an import): it may take as long as it needs.
      statementTimeoutMs: options.role === 'cli' ? undefined : config.statementTimeoutSeconds * 1000,
      poolWaitMs: config.databasePoolWaitSeconds * 1000,
    }));
  try {
    const sources = migrationSources(modules);
    await runMigrations(database.pool, sources, logger);
    const metrics = createMetrics({ processDefaults: !!config.metricsToken });
    metrics.watchPool(database.pool);
    const mailer = createMailer(config, database.pool, logger, metrics);
    const events = createEventBus(logger);
    const contextFor = (mod: LoadedModule): ModuleContext => ({
      config,
      database,
      logger: logger.child({ module: mod.definition.name }),
      mailer,
      events,
      metrics,
      view: (name: string) => path.join(mod.viewsDir, `${name}.hbs`),
    });
    const rootContext: ModuleContext = {
      config,
      database,
      logger,
      mailer,
      events,
      metrics,
      view: (name) => path.join(__dirname, '..', 'views', `${name}.hbs`),
    };
    const migrated = migrationCheck(sources);
    const ready = async () => {
      if (!(await database.ping())) return { database: false, migrations: false };
      return { database: true, migrations: await migrated(database.pool).catch(() => false) };
    };
    for (const mod of modules) mod.definition.events?.(contextFor(mod));
    for (const mod of modules) await mod.definition.onStart?.(contextFor(mod));
    return { config, logger, database, modules, mailer, events, metrics, ready, contextFor, rootContext };
  } catch (err) {
    if (!options.database) await database.close();
    throw err;
  }
}

export interface RunningProduct extends Prepared {
  app: Express;
  server: http.Server;
  url: string;
  jobs?: Jobs;
  demoLogins?: DemoLogin[];
  stop(): Promise<void>;
}

export async function startProduct(
  config: Config,
  options: { logger?: Logger; database?: Database; role?: 'server' | 'test'; inMemory?: boolean } = {},
): Promise<RunningProduct> {
  const prepared = await prepare(config, { ...options, role: options.role ?? 'server' });
  const { logger, database, modules, contextFor, metrics, ready } = prepared;
  let demoLogins: DemoLogin[] | undefined;
  if (config.demoData && (await databaseIsEmpty(prepared))) {
    demoLogins = await seedDemoPartnership(prepared);
  }

  const app = createApp({ config, database, logger, modules, contextFor, metrics, ready });
  const server = http.createServer(app);
  // Slightly longer than a typical load balancer's idle timeout, so it closes first.
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://127.0.0.1:${port}`;

  let jobs: Jobs | undefined;
  if (config.jobsEnabled) {
    // The job queue (Agenda and its PostgreSQL backend) is loaded once the server answers, not before.
    const { createJobs } = require('./jobs') as typeof import('./jobs');
    jobs = await createJobs(database.pool, logger, config.jobsPollSeconds);
    metrics.watchJobs(jobs, database.pool);
    for (const mod of modules) await mod.definition.jobs?.(contextFor(mod), jobs);
    await jobs.start();
  }

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      // Stop taking requests and let in-flight ones finish while the job queue
      // stops, each bounded so the whole stop fits in 10 seconds; then the database.
      // A job cut short keeps its lock only until the lock expires, then runs again.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const force = setTimeout(() => server.closeAllConnections(), 6000);
      const jobsStopped = jobs
        ? Promise.race([
            jobs.stop().catch((err: Error) => logger.warn({ err: err.message }, 'stopping jobs')),
            new Promise<void>((resolve) => setTimeout(resolve, 6000).unref()),
          ])
        : Promise.resolve();
      await Promise.all([closed, jobsStopped]);
      clearTimeout(force);
      await database.close();
    })();
    return stopping;
  };
  return { ...prepared, app, server, url, jobs, demoLogins, stop };
}
