import { PostgresBackend } from '@agendajs/postgres-backend';
import type { JobParameters } from 'agenda';
import { expect } from 'chai';
import type { Pool } from 'pg';
import { releaseLocksLeftByOutage } from '../../server/jobs';
import { createLogger } from '../../server/logger';
import { createOutageLog } from '../../server/outage-log';
import { createTestDatabase, type TestDatabase } from '../support/database';

const INSTANCE = 'test-host:1';
const RELEASE = /set locked_at = null\s+from unnest/;

/**
 * The job queue releases the locks it was left holding by an outage, so that a
 * job due during it runs as soon as the database is back. A job must still run
 * once: here two looks for due jobs race each other after the outage, as the
 * queue's poll and a notification do, and the later release must not free the
 * lock the earlier look has just taken for its run.
 */
describe('job locks left by a database outage', () => {
  let db: TestDatabase;
  let down = false;
  let holdSecondRelease: Promise<void> | undefined;
  let releases = 0;
  let repository: PostgresBackend['repository'];

  before(async () => {
    db = await createTestDatabase();
    const real = db.database.pool;
    // The queue's pool as the jobs see it: refused while "down", and with a gate
    // that can hold back a second release until the test lets it go.
    const pool = new Proxy(real, {
      get(target, key, receiver) {
        if (key !== 'query') return Reflect.get(target, key, receiver);
        return async (text: unknown, values?: unknown[]) => {
          if (down) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
          if (typeof text === 'string' && RELEASE.test(text)) {
            releases++;
            if (releases === 2 && holdSecondRelease) await holdSecondRelease;
          }
          return target.query(text as string, values);
        };
      },
    }) as Pool;
    const backend = new PostgresBackend({ pool, ensureSchema: true, disableNotifications: true });
    await backend.connect();
    repository = backend.repository;
    const logger = createLogger({ env: 'test', logLevel: 'silent' });
    releaseLocksLeftByOutage(repository, pool, INSTANCE, createOutageLog(logger, { down: 'down', up: 'up' }));
  });

  after(async () => {
    await db?.drop();
  });

  const look = () =>
    repository.getNextJobToRun('reminders: scan', new Date(Date.now() + 1000), new Date(Date.now() - 600_000), undefined, { lastModifiedBy: INSTANCE });

  it('runs the job that was due during the outage once, when two looks for due jobs race', async () => {
    const saved = await repository.saveJob(
      { name: 'reminders: scan', nextRunAt: new Date(Date.now() - 1000), priority: 0, data: {}, type: 'normal' } as unknown as JobParameters,
      {},
    );
    const taken = await look();
    expect(taken?._id, 'the job is taken before the outage').to.equal(saved._id);

    // The database goes away between taking the job and recording its start.
    down = true;
    const error = await repository.saveJobState({ ...taken!, lastRunAt: new Date() }, {}).catch((err: Error) => err);
    expect(error).to.be.instanceOf(Error);
    down = false;

    let letGo!: () => void;
    holdSecondRelease = new Promise((resolve) => {
      letGo = resolve;
    });
    const first = look();
    const second = look();
    const firstRun = await first;
    expect(firstRun?._id, 'the first look after the outage takes the job at once').to.equal(saved._id);
    letGo();
    const secondRun = await second;
    expect(secondRun, 'and the second look does not take it again').to.equal(undefined);
    const { rows } = await db.database.pool.query<{ locked_at: Date | null }>('select locked_at from agenda_jobs where id = $1', [saved._id]);
    expect(rows[0].locked_at, 'the job stays locked for the run that took it').to.not.equal(null);
  });

  it('keeps a lock taken after the outage began', async () => {
    const saved = await repository.saveJob(
      { name: 'reminders: scan', nextRunAt: new Date(Date.now() - 1000), priority: 0, data: {}, type: 'normal' } as unknown as JobParameters,
      {},
    );
    // Stranded by a failed record now...
    down = true;
    await repository.saveJobState({ _id: saved._id, name: 'reminders: scan', lastRunAt: new Date() } as JobParameters, {}).catch(() => undefined);
    down = false;
    // ...then taken again afresh (a notification's lock, say) before the next look.
    await new Promise((resolve) => setTimeout(resolve, 20));
    await db.database.pool.query("update agenda_jobs set locked_at = now() + interval '1 second', last_modified_by = $2 where id = $1", [saved._id, INSTANCE]);
    holdSecondRelease = undefined;
    expect(await look(), 'a lock newer than the outage is left alone').to.equal(undefined);
  });
});
