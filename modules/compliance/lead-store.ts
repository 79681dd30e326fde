import type { Pool } from 'pg';
import { type OrganisationScope, scopeIncludes } from '../../server/access';

/**
 * The few extra rows the lead's pages need beyond compliance itself, each one
 * bulk query for a whole organisation. Every function takes the caller's
 * scope and answers nothing for an organisation outside it.
 */

/** One session's places held by this organisation's staff (bookings that were not cancelled). */
export interface SessionAttendance {
  sessionId: string;
  startsAt: Date;
  /** The London day it started, 'YYYY-MM-DD' (worked out by the database when read from it). */
  day?: string;
  booked: number;
  attended: number;
  missed: number;
}

/**
 * Face-to-face places this organisation's staff held on sessions that started
 * in [from, to) (timestamps), with how many were marked attended or not.
 * Cancelled sessions and cancelled places are left out.
 */
export async function loadAttendance(pool: Pool, scope: OrganisationScope, organisationId: string, from: Date, to: Date): Promise<SessionAttendance[]> {
  if (!scopeIncludes(scope, organisationId)) return [];
  const { rows } = await pool.query<{ session_id: string; starts_at: Date; day: string; booked: number; attended: number; missed: number }>(
    `select t.id as session_id, t.starts_at, (t.starts_at at time zone 'Europe/London')::date as day, count(*)::int as booked,
            count(*) filter (where b.attended)::int as attended,
            count(*) filter (where b.attended = false)::int as missed
       from training_session_bookings b
       join training_session_list t on t.id = b.session_id
       join staff_members s on s.id = b.staff_id
      where s.organisation_id = $1 and b.status = 'booked' and t.cancelled_at is null
        and t.starts_at >= $2 and t.starts_at < $3
      group by t.id, t.starts_at`,
    [organisationId, from, to],
  );
  return rows.map((r) => ({ sessionId: r.session_id, startsAt: new Date(r.starts_at), day: r.day, booked: r.booked, attended: r.attended, missed: r.missed }));
}

/**
 * The organisation's entries in the board's quarterly snapshots (the board
 * module's table, when it is installed), by quarter end: the figures as they
 * were reported to the board, so the lead's self-assessment agrees with the
 * board report. Absent quarters (none taken, or the organisation not in it) are
 * simply missing from the map.
 */
export async function loadBoardSnapshots(pool: Pool, scope: OrganisationScope, organisation: { id: string; slug: string }, periodEnds: string[]): Promise<Map<string, unknown>> {
  if (!scopeIncludes(scope, organisation.id)) return new Map();
  const { rows: table } = await pool.query<{ present: boolean }>(`select to_regclass('board_snapshots') is not null as present`);
  if (!table[0]?.present) return new Map();
  const { rows } = await pool.query<{ period_end: string; entry: unknown }>(
    `select period_end::text as period_end,
            (select o from jsonb_array_elements(figures->'organisations') o where o->>'slug' = $2 limit 1) as entry
       from board_snapshots where period_end = any($1::date[])`,
    [periodEnds, organisation.slug],
  );
  return new Map(rows.filter((r) => r.entry != null).map((r) => [r.period_end, r.entry]));
}
