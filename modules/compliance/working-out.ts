/**
 * Working out every affected organisation's figures in the background after
 * a bulk load. A staff import or a new framework version leaves the kept
 * results of many people not holding; left alone, the first person to open
 * each organisation's page (or the board, or the reminder scan) would wait
 * while they are all worked out. Instead the change queues the work here, in
 * its own transaction, and a background job works the organisations out one
 * at a time, recording how far it has got, which the administrator sees.
 *
 * Pages never wait for this: an organisation opened before its turn is worked
 * out on demand as before (and kept, so the job then finds little left to do).
 */
import type { Pool, PoolClient } from 'pg';
import { lastQuarters } from './self-assessment';
import { countsOnDays, workOutOrganisation } from './service';

type Db = Pool | PoolClient;

/** An organisation's name for the administrator (its id if it has gone). */
export async function organisationName(db: Db, organisationId: string): Promise<string> {
  const { rows } = await db.query<{ name: string }>('select name from member_organisations where id = $1', [organisationId]);
  return rows[0]?.name ?? organisationId;
}

export interface WorkingOut {
  id: string;
  reason: string;
  total: number;
  done: number;
  failed: number;
  failures: { organisation: string; error: string }[];
  requestedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

/**
 * Asks for the organisations' figures to be worked out (all of them when
 * `organisationIds` is 'all'), in the caller's transaction. Joins work asked
 * for earlier that has not started yet, so a run of imports is one piece of work.
 */
export async function queueWorkingOut(db: Db, reason: string, organisationIds: string[] | 'all'): Promise<void> {
  const ids =
    organisationIds === 'all' ? (await db.query<{ id: string }>('select id from member_organisations order by name')).rows.map((r) => r.id) : organisationIds;
  if (!ids.length) return;
  const { rowCount } = await db.query(
    `update compliance_working_out
        set organisation_ids = organisation_ids || array(select x from unnest($1::uuid[]) as x where x <> all(organisation_ids)),
            reason = reason || ' and ' || $2
      where id = (select id from compliance_working_out where started_at is null order by id limit 1)`,
    [ids, reason],
  );
  if (!rowCount) await db.query('insert into compliance_working_out (reason, organisation_ids) values ($1, $2::uuid[])', [reason, ids]);
}

function fromRow(r: {
  id: string;
  reason: string;
  total: number;
  done: number;
  failed: number;
  failures: WorkingOut['failures'];
  requested_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}): WorkingOut {
  return {
    id: String(r.id),
    reason: r.reason,
    total: r.total,
    done: r.done,
    failed: r.failed,
    failures: r.failures,
    requestedAt: r.requested_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  };
}

const COLUMNS = 'id, reason, cardinality(organisation_ids) as total, done, failed, failures, requested_at, started_at, finished_at';

/** Work not finished yet, oldest first; or, when there is none, the last finished (what the administrator sees). */
export async function workingOutProgress(db: Db): Promise<{ unfinished: WorkingOut[]; lastFinished: WorkingOut | null }> {
  const { rows } = await db.query(`select ${COLUMNS} from compliance_working_out where finished_at is null order by id`);
  if (rows.length) return { unfinished: rows.map(fromRow), lastFinished: null };
  const { rows: last } = await db.query(
    `select ${COLUMNS} from compliance_working_out where finished_at is not null order by finished_at desc, id desc limit 1`,
  );
  return { unfinished: [], lastFinished: last[0] ? fromRow(last[0]) : null };
}

/** The banner's figures: all work not finished yet, as one ("Working out figures: 37 of 100 organisations"). */
export function workingOutBanner(unfinished: WorkingOut[]): { done: number; total: number; reason: string } | undefined {
  if (!unfinished.length) return undefined;
  return {
    done: unfinished.reduce((n, w) => n + w.done, 0),
    total: unfinished.reduce((n, w) => n + w.total, 0),
    reason: unfinished.map((w) => w.reason).join(' and '),
  };
}

/**
 * What the job does for one organisation: its people's results for today,
 * and the self-assessment's past quarter ends (a new framework version leaves
 * none of them kept), so the lead's first view of either reads kept results.
 */
export async function workOutAfterBulkLoad(pool: Pool, organisationId: string, today: string): Promise<void> {
  await workOutOrganisation(pool, organisationId, today);
  await countsOnDays(
    pool,
    { kind: 'all' },
    organisationId,
    lastQuarters(today).map((q) => q.end),
  );
}

/**
 * The job's part: every piece of work not finished, oldest first, one
 * organisation at a time, with progress written after each so a page shows
 * it and a job stopped part way (a restart) carries on where it was. One
 * organisation failing is recorded and the rest go on. `stillMine` is called
 * between organisations (it extends the job's lock).
 */
export async function workOutQueued(
  pool: Pool,
  workOut: (organisationId: string) => Promise<void>,
  stillMine: () => Promise<void> = async () => {},
): Promise<{ organisations: number; failed: number }> {
  let organisations = 0;
  let failedCount = 0;
  for (;;) {
    const { rows } = await pool.query<{ id: string; organisation_ids: string[]; done: number; failed: number }>(
      `update compliance_working_out set started_at = coalesce(started_at, now())
        where id = (select id from compliance_working_out where finished_at is null order by id limit 1)
        returning id, organisation_ids, done, failed`,
    );
    const run = rows[0];
    if (!run) return { organisations, failed: failedCount };
    // Organisations added to the run after it started (an import while it ran) are found at the next look.
    for (let i = run.done + run.failed; i < run.organisation_ids.length; i++) {
      const organisationId = run.organisation_ids[i];
      try {
        await workOut(organisationId);
        await pool.query('update compliance_working_out set done = done + 1 where id = $1', [run.id]);
        organisations++;
      } catch (err) {
        failedCount++;
        await pool.query(`update compliance_working_out set failed = failed + 1, failures = failures || $2::jsonb where id = $1`, [
          run.id,
          JSON.stringify([{ organisation: await organisationName(pool, organisationId), error: err instanceof Error ? err.message : String(err) }]),
        ]);
      }
      await stillMine();
    }
    await pool.query('update compliance_working_out set finished_at = now() where id = $1 and done + failed >= cardinality(organisation_ids)', [run.id]);
  }
}
