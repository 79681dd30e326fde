import os from 'node:os';
import { PostgresBackend } from '@agendajs/postgres-backend';
import { Agenda, BaseNotificationChannel, type JobNotification, type JobRepository, toJobId } from 'agenda';
import pg, { type Pool } from 'pg';
import { inTransaction } from './db';
import { isDatabaseUnavailable } from './errors';
import type { Logger } from './logger';
import { createOutageLog, errorFields, type OutageLog } from './outage-log';

export type Jobs = Agenda;

// Any constant works; it only has to differ from the migrations' lock.
const JOB_TABLES_LOCK = 7_402_119;

/** How the job queue's listening connection shows in pg_stat_activity. */
export const JOB_LISTENER_APPLICATION_NAME = 'da-training job queue listener';

/**
 * Background jobs on Agenda with its PostgreSQL backend, on the same pool as
 * everything else. On the embedded database LISTEN/NOTIFY does not wake the
 * worker, so jobs start at the next poll (JOBS_POLL_SECONDS).
 *
 * A database outage must never end the process, and the queue must carry on
 * by itself afterwards: the listening connection is our own (below), failures
 * are logged once per outage, and a job whose start could not be recorded
 * while the database was away is released as soon as it is back, so it runs
 * then rather than when its lock expires.
 */
export async function createJobs(pool: Pool, logger: Logger, pollSeconds: number): Promise<Jobs> {
  await prepareJobTables(pool);
  const outage = createOutageLog(logger, {
    down: 'job queue cannot reach the database; jobs wait until it is back',
    up: 'job queue reached the database again',
  });
  const instance = `${os.hostname()}:${process.pid}`;
  const backend = new PostgresBackend({ pool, ensureSchema: false, disableNotifications: true });
  releaseLocksLeftByOutage(backend.repository, pool, instance, outage);
  // Checked no more often than every 30 seconds: a silent loss only delays jobs to the next poll.
  const channel = new ListenChannel(pool, logger, Math.max(pollSeconds, 30) * 1000);
  const agenda = new Agenda({
    name: instance,
    // The tables exist by now. Agenda connects from its constructor, where a
    // failure cannot be caught, so it must not try to create them again.
    backend,
    notificationChannel: channel,
    processEvery: pollSeconds * 1000,
  });
  agenda.on('error', (err: Error) => {
    if (isDatabaseUnavailable(err)) outage.failed(err);
    else logger.error(errorFields(err), 'job queue error');
  });
  agenda.on('fail', (err: Error, job: { attrs: { name: string } }) => {
    if (isDatabaseUnavailable(err)) outage.failed(err, { job: job.attrs.name });
    else logger.warn({ job: job.attrs.name, err: err.message }, 'job failed');
  });
  return agenda;
}

/**
 * Agenda locks a job, then records that it started, then runs it. If the
 * database goes away in between, the record fails and the job never runs, but
 * its lock stays in the table until the lock expires (ten minutes), so a job
 * due during an outage would run long after the database came back. Here the
 * ids of jobs whose state could not be saved are kept, with the moment it
 * failed, and their locks released before the first look for due jobs that
 * succeeds, so they run at once; and that first success ends the outage in
 * the log.
 *
 * A lock is released only if this instance took it before the failure: a lock
 * taken since (by a look for due jobs running alongside, or by a notification)
 * belongs to a run that is about to happen, and releasing it would let the
 * job be taken, and run, a second time. For the same reason the list is
 * emptied before the release is sent, so two looks at once never both send it.
 *
 * Exported for its test, which races two looks against each other.
 */
export function releaseLocksLeftByOutage(repository: JobRepository, pool: Pool, instance: string, outage: OutageLog): void {
  const stranded = new Map<string, Date>();
  const strand = (id: string) => {
    if (!stranded.has(id)) stranded.set(id, new Date());
  };
  const saveJobState = repository.saveJobState.bind(repository);
  repository.saveJobState = async (job, options) => {
    try {
      await saveJobState(job, options);
    } catch (err) {
      if (job._id && isDatabaseUnavailable(err)) strand(String(job._id));
      throw err;
    }
  };
  const getNextJobToRun = repository.getNextJobToRun.bind(repository);
  repository.getNextJobToRun = async (...args) => {
    if (stranded.size > 0) {
      const held = [...stranded];
      stranded.clear();
      try {
        await pool.query(
          `update agenda_jobs j set locked_at = null
             from unnest($1::uuid[], $2::timestamptz[]) as s(id, stranded_at)
            where j.id = s.id and j.locked_at is not null and j.locked_at <= s.stranded_at and j.last_modified_by = $3`,
          [held.map(([id]) => id), held.map(([, at]) => at), instance],
        );
      } catch (err) {
        for (const [id, at] of held) if (!stranded.has(id)) stranded.set(id, at);
        throw err;
      }
    }
    const next = await getNextJobToRun(...args);
    outage.recovered();
    return next;
  };
  // Agenda calls this without waiting for it; a refusal must not become an unhandled rejection.
  const unlockJob = repository.unlockJob.bind(repository);
  repository.unlockJob = async (job) => {
    try {
      await unlockJob(job);
    } catch (err) {
      if (job._id) strand(String(job._id));
      outage.failed(err, { job: job.name });
    }
  };
}

/**
 * The job queue's LISTEN connection, in place of the backend's own. That one
 * re-emits every connection error as an 'error' event nobody hears (which ends
 * the process), keeps a pool connection it failed to LISTEN on, and retries a
 * dead database ten times a second. This one:
 * - uses a connection of its own, outside the pool, so busy requests never
 *   starve it and it never holds a pool slot;
 * - reconnects by itself after any loss (a restart, a terminated backend, a
 *   cut network path), backing off to once every few seconds;
 * - checks the connection every half minute or poll, so a path that died silently
 *   (no reset ever arrives) is noticed and replaced;
 * - never throws from connect(): while it is down, jobs still start at each poll.
 * The notification format is the backend's, so instances interoperate.
 */
class ListenChannel extends BaseNotificationChannel {
  private client?: pg.Client;
  private opening = false;
  private wanted = false;
  private retry?: NodeJS.Timeout;
  private heartbeat?: NodeJS.Timeout;
  private attempts = 0;
  private readonly dead = new WeakSet<pg.Client>();
  private readonly outage: OutageLog;

  constructor(
    private readonly pool: Pool,
    private readonly logger: Logger,
    private readonly checkEveryMs: number,
  ) {
    super({ reconnect: { enabled: false } });
    this.outage = createOutageLog(logger, {
      down: 'job queue stopped listening for new jobs; they start at the next poll until it reconnects',
      up: 'job queue listening for new jobs again',
    });
    // The base class reports a failing subscriber as an 'error' event; unheard, that would end the process.
    this.on('error', (err: Error) => logger.error(errorFields(err), 'job queue notification error'));
  }

  async connect(): Promise<void> {
    this.wanted = true;
    await this.open();
  }

  async disconnect(): Promise<void> {
    this.wanted = false;
    clearTimeout(this.retry);
    clearInterval(this.heartbeat);
    this.retry = undefined;
    const client = this.client;
    this.client = undefined;
    if (client) {
      this.dead.add(client);
      await client.end().catch(() => {});
    }
    this.setState('disconnected');
  }

  async publish(notification: JobNotification): Promise<void> {
    const payload = JSON.stringify({
      jobId: notification.jobId,
      jobName: notification.jobName,
      nextRunAt: notification.nextRunAt?.toISOString() ?? null,
      priority: notification.priority,
      timestamp: notification.timestamp.toISOString(),
      source: notification.source,
    });
    await this.pool.query('select pg_notify($1, $2)', [this.config.channelName, payload]);
  }

  private async open(): Promise<void> {
    this.retry = undefined;
    if (!this.wanted || this.client || this.opening) return;
    this.opening = true;
    const client = new pg.Client({
      ...this.pool.options,
      application_name: JOB_LISTENER_APPLICATION_NAME,
      statement_timeout: undefined,
      query_timeout: undefined,
    });
    // Listened to before connecting, so that no loss, however early, goes unheard.
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client, new Error('the listening connection closed')));
    client.on('notification', (msg) => this.heard(msg));
    try {
      await client.connect();
      await client.query(`LISTEN "${this.config.channelName}"`);
    } catch (err) {
      this.opening = false;
      this.lost(client, err);
      return;
    }
    this.opening = false;
    if (!this.wanted || this.dead.has(client)) {
      this.dead.add(client);
      await client.end().catch(() => {});
      if (this.wanted) this.reconnectSoon();
      return;
    }
    this.client = client;
    this.attempts = 0;
    this.outage.recovered();
    this.setState('connected');
    this.heartbeat = setInterval(() => void this.check(client), this.checkEveryMs);
    this.heartbeat.unref();
  }

  private async check(client: pg.Client): Promise<void> {
    try {
      await client.query({ text: 'select 1', query_timeout: Math.max(5000, this.checkEveryMs) } as pg.QueryConfig);
    } catch (err) {
      this.lost(client, err);
    }
  }

  private lost(client: pg.Client, err: unknown): void {
    if (this.dead.has(client)) return;
    this.dead.add(client);
    client.end().catch(() => {});
    if (this.client === client) {
      this.client = undefined;
      clearInterval(this.heartbeat);
    }
    if (!this.wanted) return;
    this.outage.failed(err);
    this.setState('reconnecting');
    this.reconnectSoon();
  }

  private reconnectSoon(): void {
    if (!this.wanted || this.retry || this.opening || this.client) return;
    const delay = Math.min(250 * 2 ** this.attempts, 5000);
    this.attempts++;
    this.retry = setTimeout(() => void this.open(), delay);
    this.retry.unref();
  }

  private heard(msg: pg.Notification): void {
    if (msg.channel !== this.config.channelName || !msg.payload) return;
    let notification: JobNotification;
    try {
      const data = JSON.parse(msg.payload) as Record<string, string | number | null | undefined>;
      notification = {
        jobId: toJobId(String(data.jobId)),
        jobName: String(data.jobName),
        nextRunAt: data.nextRunAt ? new Date(String(data.nextRunAt)) : null,
        priority: Number(data.priority ?? 0),
        timestamp: new Date(String(data.timestamp)),
        source: data.source == null ? undefined : String(data.source),
      };
    } catch (err) {
      this.logger.warn(errorFields(err), 'job queue ignored a notification it could not read');
      return;
    }
    this.notifyHandlers(notification).catch((err) => this.logger.error(errorFields(err), 'job queue notification error'));
  }
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
