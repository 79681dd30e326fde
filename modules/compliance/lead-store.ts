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
