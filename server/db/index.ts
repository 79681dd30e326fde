import pg, { type CustomTypesConfig, type Pool, type PoolClient } from 'pg';
import type { Config } from '../config';
import { isDatabaseUnavailable } from '../errors';
import type { Logger } from '../logger';
import { createOutageLog } from '../outage-log';
import type { OpenEmbeddedOptions } from './embedded';

const OWN_PARSERS: Record<number, (value: string) => unknown> = {
  // Dates stay as 'YYYY-MM-DD' strings: a training date has no time zone, and
  // turning it into a JS Date at midnight UTC shifts it a day in British Summer Time.
  1082: (v) => v,
  // bigint counts (count(*)) come back as numbers; our counts never pass 2^53.
  20: (v) => Number(v),
  // numeric (percentages, scores) as numbers.
  1700: (v) => Number(v),
};

/**
 * How the product reads values from PostgreSQL, given to every pool and
 * client it makes (`types`), rather than set in pg's process-wide defaults:
 * importing this file changes nothing for other code in the process.
 */
export const PRODUCT_TYPES: CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    (format !== 'binary' && OWN_PARSERS[oid]) || pg.types.getTypeParser(oid, format)) as CustomTypesConfig['getTypeParser'],
};

export interface Database {
  kind: 'pglite' | 'postgres';
  pool: Pool;
  /**
   * For reads that tolerate a few seconds' lag and never follow the caller's
   * own write (board coverage and reports, licensing): the streaming replica
   * when DATABASE_REPLICA_URL is set, else the same pool as `pool`. Never
   * write through it: a replica refuses writes.
   */
  reads: Pool;
  /** A connection string that reaches the same database (for pg_dump and second processes). */
  url: string;
  /** Runs fn in one transaction on one connection; rolls back if it throws. */
  transaction<T>(fn: (client: PoolClient) => Promise<T>): Promise<T>;
  /** In-memory embedded databases only: the whole database as a tarball, to start another from. */
  dump?(): Promise<Blob>;
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  role: OpenEmbeddedOptions['role'];
  borrowIfBusy?: boolean;
  inMemory?: boolean;
  /** With inMemory: start from another in-memory database's dump(). */
  loadDataDir?: Blob;
  poolSize?: number;
  /**
   * Longest a statement may run before PostgreSQL cancels it (DATABASE_STATEMENT_TIMEOUT_SECONDS).
   * Unset for CLI commands: an operator's restore or import waits as long as it takes.
   */
  statementTimeoutMs?: number;
  /** Longest a query waits for a free connection, or for a new one to open (DATABASE_POOL_WAIT_SECONDS). */
  poolWaitMs?: number;
}

/** What PostgreSQL's pg_stat_activity shows for this product's connections. */
export const APPLICATION_NAME = 'da-training';
/** The same for the connections to the replica (DATABASE_REPLICA_URL). */
export const REPLICA_APPLICATION_NAME = 'da-training replica reads';

export async function openDatabase(
  config: Pick<Config, 'databaseUrl' | 'dataDir'> & Partial<Pick<Config, 'databaseReplicaUrl'>>,
  logger: Logger,
  options: OpenDatabaseOptions,
): Promise<Database> {
  let url: string;
  let closeEmbedded = async () => {};
  let kind: Database['kind'];
  let dump: Database['dump'];
  if (config.databaseUrl) {
    kind = 'postgres';
    url = config.databaseUrl;
  } else {
    kind = 'pglite';
    // Loaded only here: PGlite's WebAssembly build adds about 50 MB to every
    // process that imports it, which a server or CLI on PostgreSQL never needs.
    const { openEmbedded, embeddedUrl } = require('./embedded') as typeof import('./embedded');
    const embedded = await openEmbedded({
      dataDir: config.dataDir,
      role: options.role,
      borrowIfBusy: options.borrowIfBusy ?? false,
      inMemory: options.inMemory,
      loadDataDir: options.loadDataDir,
      logger,
    });
    if (!embedded.owned) logger.info({ pid: embedded.ownerPid }, 'using the embedded database through the process that has it open');
    url = embeddedUrl(embedded.socketDir);
    closeEmbedded = embedded.close;
    dump = embedded.dump;
  }

  const statementTimeout = options.statementTimeoutMs;
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? (kind === 'pglite' ? 8 : 20),
    connectionTimeoutMillis: options.poolWaitMs ?? 5000,
    idleTimeoutMillis: 30_000,
    application_name: APPLICATION_NAME,
    types: PRODUCT_TYPES,
    // A connection whose network path silently died is found by TCP keepalive, not never.
    keepAlive: true,
    ...(statementTimeout
      ? {
          statement_timeout: statementTimeout,
          // The driver's own limit, a little later: it ends a wait on a database that stopped
          // answering without closing the connection (a cut network path), where PostgreSQL
          // cannot cancel anything, and on the embedded database, which has no statement timer.
          query_timeout: statementTimeout + 5000,
        }
      : {}),
  });
  // Every connection lost in an outage is one warning in a row, not one each: the first
  // says what happened, the next successful connection says it is over.
  const lost = createOutageLog(logger, { down: 'database connection lost', up: 'database connections open again' });
  // An idle connection dropped by a database restart must not crash the process;
  // the next query gets a fresh connection and /health reports the outage.
  pool.on('error', (err) => lost.failed(err, { connection: 'idle' }));
  // The same for a connection that is checked out (mid-transaction, between two
  // queries) when it drops: the pool's listener covers idle ones only, and an
  // unheard 'error' would end the server or a CLI command with a stack trace.
  // The transaction's next query fails with the error and rolls back.
  pool.on('connect', (client) => {
    lost.recovered();
    client.on('error', (err) => lost.failed(err, { connection: 'in use' }));
  });

  const transaction = <T>(fn: (client: PoolClient) => Promise<T>): Promise<T> => inTransaction(pool, fn);
  const reads = config.databaseReplicaUrl && kind === 'postgres' ? replicaPool(config.databaseReplicaUrl, pool, logger, options) : pool;

  return {
    kind,
    pool,
    reads,
    url,
    transaction,
    dump,
    async ping() {
      try {
        await pool.query('select 1');
        return true;
      } catch {
        return false;
      }
    },
    async close() {
      if (reads !== pool) await reads.end().catch(() => {});
      await pool.end().catch(() => {});
      await closeEmbedded();
    },
  };
}

/** After the replica fails, how long reads go straight to the primary before the replica is tried again. */
const REPLICA_RETRY_MS = 30_000;

/**
 * A pool on the replica whose queries fall back to the primary: a replica that
 * is down, unreachable or cancels a read for conflicting with replay never
 * turns a board page into an error. Only `query` falls back: the read paths
 * never take a connection of their own from it. The outage is logged once (and its end),
 * and for a while after a failure reads go straight to the primary, so a
 * replica that does not answer does not make every page wait for its timeout.
 */
function replicaPool(url: string, primary: Pool, logger: Logger, options: OpenDatabaseOptions): Pool {
  const replica = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 20,
    // Short: while the replica is unreachable, a read waits this long once before going to the primary.
    connectionTimeoutMillis: Math.min(options.poolWaitMs ?? 5000, 2000),
    idleTimeoutMillis: 30_000,
    application_name: REPLICA_APPLICATION_NAME,
    keepAlive: true,
    ...(options.statementTimeoutMs ? { statement_timeout: options.statementTimeoutMs, query_timeout: options.statementTimeoutMs + 5000 } : {}),
  });
  const outage = createOutageLog(logger, { down: 'replica unreachable; reads go to the primary', up: 'replica answering again; reads go to it' });
  replica.on('error', (err) => outage.failed(err, { connection: 'idle' }));
  replica.on('connect', (client) => client.on('error', (err) => outage.failed(err, { connection: 'in use' })));
  let primaryUntil = 0;
  // Not a statement cancelled for running too long (57014): it would only run as long again on the primary.
  // Reads cancelled for conflicting with replay (40001, 40P01) are the replica's doing: the primary answers them.
  const fallsBack = (err: unknown) => {
    const code = (err as { code?: string })?.code;
    return code === '40001' || code === '40P01' || (code !== '57014' && isDatabaseUnavailable(err));
  };
  const onReplica = replica.query.bind(replica) as (...args: unknown[]) => Promise<unknown>;
  const onPrimary = primary.query.bind(primary) as (...args: unknown[]) => Promise<unknown>;
  const query = async (...args: unknown[]) => {
    if (typeof args[args.length - 1] === 'function') throw new Error('replica reads take no callback; await the query');
    if (Date.now() < primaryUntil) return onPrimary(...args);
    try {
      const result = await onReplica(...args);
      outage.recovered();
      return result;
    } catch (err) {
      if (!fallsBack(err)) throw err;
      outage.failed(err);
      primaryUntil = Date.now() + REPLICA_RETRY_MS;
      return onPrimary(...args);
    }
  };
  (replica as unknown as { query: typeof query }).query = query;
  return replica;
}

/** Runs fn on one connection inside BEGIN ... COMMIT, rolling back if it throws. */
export async function inTransaction<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    // A connection that failed, or whose statement the driver gave up waiting for (it may
    // still be running), is closed rather than handed to the next request; closing it
    // rolls the transaction back without waiting on it again.
    if (isDatabaseUnavailable(err)) broken = err as Error;
    else await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release(broken);
  }
}
