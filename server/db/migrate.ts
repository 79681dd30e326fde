import fs from 'node:fs';
import path from 'node:path';
import type { Pool, PoolClient } from 'pg';
import type { Logger } from '../logger';
import { inTransaction } from './index';

export interface MigrationSource {
  /** The module the migrations belong to; migrations are recorded per module. */
  module: string;
  dir: string;
}

// One arbitrary number: all instances starting at once queue on it, so two
// servers never apply the same migration together on a shared PostgreSQL.
const MIGRATION_LOCK = 7_284_600_1;

/**
 * Applies each module's SQL migrations (files named NNN_what.sql) in module
 * order, each file in its own transaction, and records them so that a restart
 * applies nothing twice.
 *
 * The lock is taken inside each file's transaction (pg_advisory_xact_lock),
 * never for the session: COMMIT or ROLLBACK always releases it on the
 * connection that took it, which also holds through PgBouncer in transaction
 * mode, where a session-level unlock can reach another server connection and
 * leave the lock held for ever. Each file is checked again under the lock, so
 * an instance that waited skips what another has just applied.
 */
function migrationFiles(source: MigrationSource): string[] {
  if (!fs.existsSync(source.dir)) return [];
  return fs
    .readdirSync(source.dir)
    .filter((f) => f.endsWith('.sql'))
    .sort();
}

/**
 * Whether the database holds every migration this code has (readiness): false
 * while another instance is still applying them, or on a database restored from
 * an older backup that nobody has migrated. Read from disk once, then one query each call.
 */
export function migrationCheck(sources: MigrationSource[]): (pool: Pool) => Promise<boolean> {
  const keys = sources.flatMap((s) => migrationFiles(s).map((f) => `${s.module}/${f}`));
  return async (pool) => {
    const { rows } = await pool.query<{ n: number }>(`select count(*)::int as n from schema_migrations where module || '/' || name = any($1::text[])`, [keys]);
    return rows[0].n === keys.length;
  };
}

export async function runMigrations(pool: Pool, sources: MigrationSource[], logger: Logger): Promise<number> {
  const locked = <T>(work: (client: PoolClient) => Promise<T>) =>
    inTransaction(pool, async (client) => {
      // A migration building an index on a large table may take minutes; the server's
      // per-statement limit is for requests and jobs, not for changing the schema.
      await client.query('set local statement_timeout = 0');
      await client.query('select pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      return work(client);
    });
  const applied = async () =>
    new Set((await pool.query<{ module: string; name: string }>('select module, name from schema_migrations')).rows.map((r) => `${r.module}/${r.name}`));
  // A restart finds the table and reads it in one query; only a new database takes the lock to make it.
  let done: Set<string>;
  try {
    done = await applied();
  } catch (err) {
    if ((err as { code?: string }).code !== '42P01') throw err; // undefined_table
    await locked((client) =>
      client.query(`create table if not exists schema_migrations (
        module text not null, name text not null, applied_at timestamptz not null default now(),
        primary key (module, name))`),
    );
    done = await applied();
  }
  let count = 0;
  for (const source of sources) {
    for (const file of migrationFiles(source)) {
      if (done.has(`${source.module}/${file}`)) continue;
      const sql = fs.readFileSync(path.join(source.dir, file), 'utf8');
      let ran: boolean;
      try {
        ran = await locked(async (client) => {
          const already = await client.query('select 1 from schema_migrations where module = $1 and name = $2', [source.module, file]);
          if (already.rowCount) return false;
          await client.query(sql);
          await client.query('insert into schema_migrations (module, name) values ($1, $2)', [source.module, file]);
          return true;
        });
      } catch (err) {
        throw new Error(`Migration ${source.module}/${file} failed: ${(err as Error).message}`);
      }
      if (!ran) continue;
      count++;
      logger.info({ module: source.module, migration: file }, 'applied migration');
    }
  }
  return count;
}
