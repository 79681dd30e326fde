import type { Pool, PoolClient } from 'pg';
import { type OrganisationScope, scopeIncludes } from '../../server/access';
import { audit } from '../../server/auth/users';
import { inTransaction } from '../../server/db';
import { createOrganisationStore, licencesOf, licenceStatus } from '../organisations/api';
import { computeFigures, type RawFigures } from './figures';
import { lastEndedQuarter, type Quarter, quarterOf } from './quarters';
import { thresholdFrom } from './suppression';

type Db = Pool | PoolClient;

/** The small-number threshold in force (partnership setting, else `configured`: BOARD_SUPPRESSION_THRESHOLD, else 5). */
export async function suppressionThreshold(db: Db, configured: number | undefined): Promise<number> {
  const { rows } = await db.query<{ suppression_threshold: number | null }>('select suppression_threshold from board_settings where id = 1');
  return thresholdFrom(rows[0]?.suppression_threshold, configured);
}

export async function setSuppressionThreshold(db: Db, value: number | null): Promise<void> {
  await db.query(
    `insert into board_settings (id, suppression_threshold) values (1, $1)
     on conflict (id) do update set suppression_threshold = excluded.suppression_threshold, updated_at = now()`,
    [value],
  );
}

// ---- Today's figures, kept ready ----

export async function cachedFigures(db: Db): Promise<{ figures: RawFigures; stale: boolean } | null> {
  const { rows } = await db.query<{ figures: RawFigures; stale: boolean }>('select figures, stale from board_figures_cache where id = 1');
  return rows[0] ?? null;
}

/** Works out today's figures (this quarter so far for learning activity) and keeps them for the dashboard. */
export async function refreshFigures(pool: Pool, today: string): Promise<RawFigures> {
  const figures = await computeFigures(pool, today, quarterOf(today).start);
  await pool.query(
    `insert into board_figures_cache (id, figures, computed_at, stale) values (1, $1, $2, false)
     on conflict (id) do update set figures = excluded.figures, computed_at = excluded.computed_at, stale = false`,
    [JSON.stringify(figures), figures.computedAt],
  );
  return figures;
}

/** Evidence changed: the figures are out of date (the refresh job picks this up). */
export async function markStale(db: Db): Promise<void> {
  await db.query('update board_figures_cache set stale = true where id = 1 and not stale');
}

/** Whether the kept figures need working out again: missing, marked stale a while ago, older than an hour, or from another day. */
export async function needsRefresh(db: Db, today: string, now = new Date()): Promise<boolean> {
  const { rows } = await db.query<{ stale: boolean; computed_at: Date; as_of: string }>(
    `select stale, computed_at, figures->>'asOf' as as_of from board_figures_cache where id = 1`,
  );
  const row = rows[0];
  if (!row) return true;
  const age = now.getTime() - new Date(row.computed_at).getTime();
  return row.as_of !== today || age > 60 * 60_000 || (row.stale && age > 5 * 60_000);
}

// ---- Quarterly snapshots ----

export interface SnapshotSummary {
  quarter: string;
  periodEnd: string;
  takenAt: Date;
  retakes: number;
}

export async function listSnapshots(db: Db): Promise<SnapshotSummary[]> {
  const { rows } = await db.query<{ quarter: string; period_end: string; taken_at: Date; retakes: number }>(
    `select quarter, to_char(period_end, 'YYYY-MM-DD') as period_end, taken_at, retakes from board_snapshots order by quarter`,
  );
  return rows.map((r) => ({ quarter: r.quarter, periodEnd: r.period_end, takenAt: r.taken_at, retakes: r.retakes }));
}

export async function snapshotFigures(db: Db, quarter: string): Promise<RawFigures | null> {
  const { rows } = await db.query<{ figures: RawFigures }>('select figures from board_snapshots where quarter = $1', [quarter]);
  return rows[0]?.figures ?? null;
}

export async function snapshotEndingOn(db: Db, day: string): Promise<{ quarter: string; figures: RawFigures } | null> {
  const { rows } = await db.query<{ quarter: string; figures: RawFigures }>('select quarter, figures from board_snapshots where period_end = $1', [day]);
  return rows[0] ?? null;
}

/**
 * Takes the quarter's snapshot: the figures as at its last day, learning
 * activity over the quarter. A quarter already taken is left exactly as it
 * was unless `retake` is given, and a retake is written to the audit log.
 * Returns whether a snapshot was written.
 */
export async function takeSnapshot(pool: Pool, q: Quarter, by: { userId: string | null; ip?: string; retake?: boolean }): Promise<boolean> {
  const existing = await snapshotFigures(pool, q.id);
  if (existing && !by.retake) return false;
  const figures = await computeFigures(pool, q.end, q.start);
  if (existing) {
    await pool.query('update board_snapshots set figures = $2, taken_at = now(), taken_by = $3, retakes = retakes + 1 where quarter = $1', [
      q.id,
      JSON.stringify(figures),
      by.userId,
    ]);
    await audit(pool, {
      actorUserId: by.userId,
      action: 'board.snapshot-retaken',
      subjectType: 'board-snapshot',
      subjectId: q.id,
      detail: { quarter: q.id, previousComputedAt: existing.computedAt },
      ip: by.ip,
    });
    return true;
  }
  const { rowCount } = await pool.query(
    'insert into board_snapshots (quarter, period_end, figures, taken_by) values ($1, $2, $3, $4) on conflict (quarter) do nothing',
    [q.id, q.end, JSON.stringify(figures), by.userId],
  );
  if (rowCount)
    await audit(pool, {
      actorUserId: by.userId,
      action: 'board.snapshot-taken',
      subjectType: 'board-snapshot',
      subjectId: q.id,
      detail: { quarter: q.id },
      ip: by.ip,
    });
  return !!rowCount;
}

/** The job's part: on the first day after a quarter ends (London), snapshot it if nobody has. */
export async function snapshotLastQuarterIfMissing(pool: Pool, today: string): Promise<boolean> {
  return takeSnapshot(pool, lastEndedQuarter(today), { userId: null });
}

// ---- Declared headcount ----

export interface DeclaredRow {
  groupNumber: number;
  staff: number;
  volunteers: number;
}

export async function declaredHeadcount(db: Db, scope: OrganisationScope, organisationId: string): Promise<DeclaredRow[] | null> {
  if (!scopeIncludes(scope, organisationId)) return null;
  const { rows } = await db.query<DeclaredRow>(
    'select group_number as "groupNumber", staff, volunteers from board_declared_headcount where organisation_id = $1 order by group_number',
    [organisationId],
  );
  return rows;
}

/** When each organisation in scope last declared its headcount (absent: never). */
export async function declaredOrganisations(db: Db, scope: OrganisationScope): Promise<Map<string, Date>> {
  const { rows } = await db.query<{ organisation_id: string; updated: Date }>(
    'select organisation_id, max(updated_at) as updated from board_declared_headcount group by organisation_id',
  );
  return new Map(rows.filter((r) => scopeIncludes(scope, r.organisation_id)).map((r) => [r.organisation_id, r.updated]));
}

/** Replaces the organisation's declaration (every group at once) and audits it. */
export async function declareHeadcount(
  pool: Pool,
  scope: OrganisationScope,
  organisationId: string,
  rows: DeclaredRow[],
  by: { userId: string; ip?: string },
): Promise<void> {
  if (!scopeIncludes(scope, organisationId)) throw new Error('Organisation outside the caller’s scope');
  await inTransaction(pool, async (client) => {
    for (const r of rows) {
      await client.query(
        `insert into board_declared_headcount (organisation_id, group_number, staff, volunteers, updated_by) values ($1, $2, $3, $4, $5)
         on conflict (organisation_id, group_number) do update set staff = excluded.staff, volunteers = excluded.volunteers, updated_by = excluded.updated_by, updated_at = now()`,
        [organisationId, r.groupNumber, r.staff, r.volunteers, by.userId],
      );
    }
    await audit(client, {
      actorUserId: by.userId,
      action: 'board.headcount-declared',
      organisationId,
      subjectType: 'organisation',
      subjectId: organisationId,
      detail: { groups: rows },
      ip: by.ip,
    });
    await markStale(client);
  });
}

/** On-system headcount by group, for the declaration form (current staff, not leavers). */
export async function onSystemByGroup(
  db: Db,
  scope: OrganisationScope,
  organisationId: string,
  today: string,
): Promise<Map<number, { staff: number; volunteers: number }>> {
  const out = new Map<number, { staff: number; volunteers: number }>();
  if (!scopeIncludes(scope, organisationId)) return out;
  const { rows } = await db.query<{ group_number: number; staff: number; volunteers: number }>(
    `select group_number, count(*) filter (where not is_volunteer)::int as staff, count(*) filter (where is_volunteer)::int as volunteers
       from staff_members where organisation_id = $1 and group_number is not null and (leaving_date is null or leaving_date > $2)
      group by group_number`,
    [organisationId, today],
  );
  for (const r of rows) out.set(r.group_number, { staff: r.staff, volunteers: r.volunteers });
  return out;
}

// ---- Licensing (organisations outside the area) ----

export interface LicensingRow {
  slug: string;
  name: string;
  licenceStatus: 'active' | 'lapsed' | 'none';
  seats: number | null;
  licenceStartsOn: string | null;
  licenceEndsOn: string | null;
  seatsUsed: number;
  /** Period id (e.g. '2026-07' or '2026-Q3') -> people who launched or completed e-learning in it. */
  activeLearners: Record<string, number>;
}

export interface Period {
  id: string;
  label: string;
  start: string;
  end: string;
}

/** Out-of-area organisations, their licence and seats, and active learners in each period (for invoicing). */
export async function licensingFigures(pool: Pool, periods: Period[], today: string): Promise<LicensingRow[]> {
  const store = createOrganisationStore(pool);
  const orgs = (await store.list()).filter((o) => !o.inArea);
  const out: LicensingRow[] = [];
  for (const org of orgs) {
    const [licences, seatsUsed, active] = await Promise.all([
      licencesOf(pool, org.id),
      store.seatsUsed(org.id),
      pool.query<{ period: string; n: number }>(
        `select p.id as period, count(distinct a.user_id)::int as n
           from unnest($2::text[], $3::date[], $4::date[]) as p(id, starts, ends)
           join scorm_attempt_results a on (
                  (a.started_at at time zone 'Europe/London')::date between p.starts and p.ends
               or (a.completed_at at time zone 'Europe/London')::date between p.starts and p.ends)
          where exists (select 1 from staff_members s where s.organisation_id = $1 and (s.id = a.staff_id or (a.staff_id is null and s.user_id = a.user_id)))
          group by p.id`,
        [org.id, periods.map((p) => p.id), periods.map((p) => p.start), periods.map((p) => p.end)],
      ),
    ]);
    const status = licenceStatus(licences, today);
    const licence = status.status === 'none' ? undefined : status.licence;
    const activeLearners = Object.fromEntries(periods.map((p) => [p.id, 0]));
    for (const r of active.rows) activeLearners[r.period] = r.n;
    out.push({
      slug: org.slug,
      name: org.name,
      licenceStatus: status.status,
      seats: licence?.seats ?? null,
      licenceStartsOn: licence?.startsOn ?? null,
      licenceEndsOn: licence?.endsOn ?? null,
      seatsUsed,
      activeLearners,
    });
  }
  return out;
}

/**
 * The organisation's entries in the board's quarterly snapshots, by quarter
 * end: the figures as they were reported to the board, so the lead's
 * self-assessment agrees with the board report. Absent quarters (none taken,
 * or the organisation not in it) are simply missing from the map.
 */
export async function organisationSnapshots(
  pool: Pool,
  scope: OrganisationScope,
  organisation: { id: string; slug: string },
  periodEnds: string[],
): Promise<Map<string, unknown>> {
  if (!scopeIncludes(scope, organisation.id)) return new Map();
  const { rows } = await pool.query<{ period_end: string; entry: unknown }>(
    `select period_end::text as period_end,
            (select o from jsonb_array_elements(figures->'organisations') o where o->>'slug' = $2 limit 1) as entry
       from board_snapshots where period_end = any($1::date[])`,
    [periodEnds, organisation.slug],
  );
  return new Map(rows.filter((r) => r.entry != null).map((r) => [r.period_end, r.entry]));
}
