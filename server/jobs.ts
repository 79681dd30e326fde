import { PostgresBackend } from '@agendajs/postgres-backend';
import { Agenda } from 'agenda';
import type { Pool } from 'pg';
import type { Logger } from './logger';

export type Jobs = Agenda;

/**
 * Background jobs on Agenda with its PostgreSQL backend, on the same pool as
 * everything else. On the embedded database LISTEN/NOTIFY does not wake the
 * worker, so jobs start at the next poll (JOBS_POLL_SECONDS).
 */
export function createJobs(pool: Pool, logger: Logger, pollSeconds: number): Jobs {
  const agenda = new Agenda({
    backend: new PostgresBackend({ pool }),
    processEvery: pollSeconds * 1000,
  });
  agenda.on('error', (err: Error) => logger.error({ err: err.message }, 'job queue error'));
  agenda.on('fail', (err: Error, job: { attrs: { name: string } }) => logger.warn({ job: job.attrs.name, err: err.message }, 'job failed'));
  return agenda;
}
