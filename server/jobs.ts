import { PostgresBackend } from '@agendajs/postgres-backend';
import { Agenda } from 'agenda';
import type { Pool } from 'pg';
import { inTransaction } from './db';
import type { Logger } from './logger';

export type Jobs = Agenda;

// Any constant works; it only has to differ from the migrations' lock.
const JOB_TABLES_LOCK = 7_402_119;

/**
 * Background jobs on Agenda with its PostgreSQL backend, on the same pool as
 * everything else. On the embedded database LISTEN/NOTIFY does not wake the
 * worker, so jobs start at the next poll (JOBS_POLL_SECONDS).
 */
export async function createJobs(pool: Pool, logger: Logger, pollSeconds: number): Promise<Jobs> {
  await prepareJobTables(pool);
  const agenda = new Agenda({
    // The tables exist by now. Agenda connects from its constructor, where a
    // failure cannot be caught, so it must not try to create them again.
    backend: new PostgresBackend({ pool, ensureSchema: false }),
    processEvery: pollSeconds * 1000,
  });
  agenda.on('error', (err: Error) => logger.error({ err: err.message }, 'job queue error'));
  agenda.on('fail', (err: Error, job: { attrs: { name: string } }) => logger.warn({ job: job.attrs.name, err: err.message }, 'job failed'));
  return agenda;
}

/**
 * Creates Agenda's tables, indexes and trigger function, one instance at a
 * time. Its own schema step runs CREATE OR REPLACE FUNCTION, which PostgreSQL
 * refuses ("duplicate key value violates unique constraint") when two
 * instances of a freshly deployed product run it at the same moment.
 *
 * The backend creates them through whatever pool it is given, so it is given
 * one connection, inside a transaction holding a transaction-level lock
 * (released by COMMIT on that connection, also through PgBouncer in
 * transaction mode). The whole schema step is then one transaction too.
 */
async function prepareJobTables(pool: Pool): Promise<void> {
  await inTransaction(pool, async (client) => {
    await client.query('select pg_advisory_xact_lock($1)', [JOB_TABLES_LOCK]);
    const oneConnection = {
      connect: async () => ({ query: client.query.bind(client), release: () => {} }),
      query: client.query.bind(client),
    } as unknown as Pool;
    await new PostgresBackend({ pool: oneConnection, ensureSchema: true, disableNotifications: true }).connect();
  });
}
