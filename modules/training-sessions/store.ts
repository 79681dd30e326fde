import { DateTime } from 'luxon';
import type { Pool, PoolClient } from 'pg';
import { type OrganisationScope, scopeCondition, scopeIncludes } from '../../server/access';
import type { Database } from '../../server/db';
import { HttpError } from '../../server/errors';
import type { EventBus } from '../../server/events';
import { recordCourseCompletion } from '../evidence/record';

export interface SessionInput {
  courseId: string;
  startsAt: Date;
  endsAt: Date;
  venue: string | null;
  onlineUrl: string | null;
  capacity: number;
  trainerUserId: string | null;
  multiAgency: boolean;
  /** Empty: every organisation may book. */
  organisationIds: string[];
  notes?: string;
  createdBy: string | null;
}

export interface TrainingSession {
  id: string;
  courseId: string;
  courseTitle: string;
  courseSlug: string;
  startsAt: Date;
  endsAt: Date;
  venue: string | null;
  onlineUrl: string | null;
  capacity: number;
  trainerUserId: string | null;
  trainerName: string | null;
  multiAgency: boolean;
  openToAll: boolean;
  notes: string;
  cancelledAt: Date | null;
  registerMarkedAt: Date | null;
  booked: number;
  waiting: number;
  organisationIds: string[];
}

const SESSION_SELECT = `
  select ts.id, ts.course_id as "courseId", c.title as "courseTitle", c.slug as "courseSlug", ts.starts_at as "startsAt", ts.ends_at as "endsAt",
         ts.venue, ts.online_url as "onlineUrl", ts.capacity, ts.trainer_user_id as "trainerUserId", u.display_name as "trainerName",
         ts.multi_agency as "multiAgency", ts.open_to_all as "openToAll", ts.notes, ts.cancelled_at as "cancelledAt",
         ts.register_marked_at as "registerMarkedAt",
         (select count(*) from session_bookings b where b.session_id = ts.id and b.status = 'booked') as booked,
         (select count(*) from session_bookings b where b.session_id = ts.id and b.status = 'waiting') as waiting,
         coalesce((select array_agg(o.organisation_id) from training_session_organisations o where o.session_id = ts.id), '{}') as "organisationIds"
    from training_sessions ts
    join courses c on c.id = ts.course_id
    left join users u on u.id = ts.trainer_user_id`;

export async function createSession(db: Database, input: SessionInput): Promise<string> {
  return db.transaction(async (client) => {
    const { rows } = await client.query<{ id: string }>(
      `insert into training_sessions (course_id, starts_at, ends_at, venue, online_url, capacity, trainer_user_id, multi_agency, open_to_all, notes, created_by)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) returning id`,
      [input.courseId, input.startsAt, input.endsAt, input.venue, input.onlineUrl, input.capacity, input.trainerUserId, input.multiAgency, input.organisationIds.length === 0, input.notes ?? '', input.createdBy],
    );
    for (const orgId of input.organisationIds) {
      await client.query('insert into training_session_organisations (session_id, organisation_id) values ($1, $2)', [rows[0].id, orgId]);
    }
    return rows[0].id;
  });
}

/** Upcoming sessions (or recent past ones, for trainers marking registers). */
export async function listSessions(pool: Pool, options: { from: Date }): Promise<TrainingSession[]> {
  const { rows } = await pool.query<TrainingSession>(`${SESSION_SELECT} where ts.starts_at >= $1 order by ts.starts_at limit 500`, [options.from]);
  return rows;
}

export async function findSession(pool: Pool | PoolClient, id: string): Promise<TrainingSession | null> {
  const { rows } = await pool.query<TrainingSession>(`${SESSION_SELECT} where ts.id::text = $1`, [id]);
  return rows[0] ?? null;
}

export interface Booking {
  id: string;
  staffId: string;
  staffName: string;
  organisationId: string;
  organisationName: string;
  sector: string;
  status: 'booked' | 'waiting' | 'cancelled';
  bookedAt: Date;
  attended: boolean | null;
}

/** Bookings on a session for the people the scope covers (trainers and admins: everyone). */
export async function listBookings(pool: Pool, scope: OrganisationScope, sessionId: string): Promise<Booking[]> {
  const cond = scopeCondition(scope, 's.organisation_id', 2);
  const { rows } = await pool.query<Booking>(
    `select b.id, b.staff_id as "staffId", s.name as "staffName", s.organisation_id as "organisationId", o.name as "organisationName", o.sector,
            b.status, b.booked_at as "bookedAt", b.attended
       from session_bookings b join staff s on s.id = b.staff_id join organisations o on o.id = s.organisation_id
      where b.session_id = $1 and b.status <> 'cancelled' and ${cond.sql}
      order by b.status, b.booked_at`,
    [sessionId, ...cond.params],
  );
  return rows;
}

/** Courses the person still lacks among this course's prerequisites (titles); empty when they may book. */
export async function missingPrerequisites(db: Pool | PoolClient, staffId: string, courseId: string): Promise<string[]> {
  const { rows } = await db.query<{ title: string }>(
    `select p.title
       from course_prerequisites cp join courses p on p.id = cp.prerequisite_course_id
      where cp.course_id = $1
        and not exists (
          -- completed the prerequisite course itself ...
          select 1 from evidence e
           where e.staff_id = $2 and e.course_id = p.id and not e.withdrawn
             and not exists (select 1 from evidence r where r.replaces_id = e.id))
        and not (
          -- ... or holds current evidence for every competency it covers (sign-off, prior learning ...)
          exists (select 1 from course_competencies pc where pc.course_id = p.id)
          and not exists (
            select 1 from course_competencies pc
             where pc.course_id = p.id
               and not exists (
                 select 1 from evidence e join competencies c on c.id = e.competency_id
                  where e.staff_id = $2 and c.lineage = pc.competency_lineage and not e.withdrawn
                    and not exists (select 1 from evidence r where r.replaces_id = e.id))))
      order by p.title`,
    [courseId, staffId],
  );
  return rows.map((r) => r.title);
}

export interface BookingResult {
  bookingId: string;
  status: 'booked' | 'waiting';
}

/**
 * Books a place, or a place on the waiting list when the session is full.
 * The session row is locked for the transaction, so two people booking the
 * last place at once cannot both get it: capacity is never exceeded.
 */
export async function bookPlace(db: Database, scope: OrganisationScope, input: { sessionId: string; staffId: string; bookedBy: string | null; now?: Date }): Promise<BookingResult> {
  return db.transaction(async (client) => {
    const { rows: sessions } = await client.query<{ id: string; course_id: string; capacity: number; starts_at: Date; cancelled_at: Date | null; open_to_all: boolean }>(
      'select id, course_id, capacity, starts_at, cancelled_at, open_to_all from training_sessions where id::text = $1 for update',
      [input.sessionId],
    );
    const session = sessions[0];
    if (!session) throw new HttpError(404, 'We could not find that session.');
    const { rows: staff } = await client.query<{ organisation_id: string; leaving_date: string | null }>('select organisation_id, leaving_date from staff where id::text = $1', [input.staffId]);
    if (!staff[0] || !scopeIncludes(scope, staff[0].organisation_id)) throw new HttpError(404, 'We could not find that member of staff.');
    if (session.cancelled_at) throw new HttpError(409, 'This session has been cancelled.');
    if (session.starts_at <= (input.now ?? new Date())) throw new HttpError(409, 'This session has already started, so it can no longer be booked.');
    if (!session.open_to_all) {
      const { rows } = await client.query('select 1 from training_session_organisations where session_id = $1 and organisation_id = $2', [session.id, staff[0].organisation_id]);
      if (!rows.length) throw new HttpError(409, 'This session is not open to your organisation.');
    }
    const existing = await client.query('select 1 from session_bookings where session_id = $1 and staff_id = $2 and status <> $3', [session.id, input.staffId, 'cancelled']);
    if (existing.rows.length) throw new HttpError(409, 'Already booked on this session (or on its waiting list).');
    const missing = await missingPrerequisites(client, input.staffId, session.course_id);
    if (missing.length) throw new HttpError(409, `Complete ${missing.join(' and ')} before booking this course.`);
    const { rows: taken } = await client.query<{ n: number }>(`select count(*) as n from session_bookings where session_id = $1 and status = 'booked'`, [session.id]);
    const status = taken[0].n < session.capacity ? 'booked' : 'waiting';
    const { rows } = await client.query<{ id: string }>(
      'insert into session_bookings (session_id, staff_id, status, booked_by) values ($1, $2, $3, $4) returning id',
      [session.id, input.staffId, status, input.bookedBy],
    );
    return { bookingId: rows[0].id, status };
  });
}

/**
 * Cancels a booking. When a confirmed place is freed, the longest-waiting
 * person on the waiting list gets it, in the same transaction.
 * Returns the staff id promoted, if any.
 */
export async function cancelBooking(db: Database, scope: OrganisationScope, input: { bookingId: string; cancelledBy: string | null }): Promise<{ promotedStaffId: string | null }> {
  return db.transaction(async (client) => {
    const { rows: found } = await client.query<{ session_id: string; organisation_id: string }>(
      'select b.session_id, s.organisation_id from session_bookings b join staff s on s.id = b.staff_id where b.id::text = $1',
      [input.bookingId],
    );
    if (!found[0] || !scopeIncludes(scope, found[0].organisation_id)) throw new HttpError(404, 'We could not find that booking.');
    await client.query('select id from training_sessions where id = $1 for update', [found[0].session_id]);
    const { rows } = await client.query<{ status: string }>('select status from session_bookings where id = $1', [input.bookingId]);
    if (rows[0].status === 'cancelled') return { promotedStaffId: null };
    await client.query(`update session_bookings set status = 'cancelled', cancelled_at = now(), cancelled_by = $2 where id = $1`, [input.bookingId, input.cancelledBy]);
    const { rows: cap } = await client.query<{ capacity: number; booked: number }>(
      `select capacity, (select count(*) from session_bookings where session_id = $1 and status = 'booked') as booked from training_sessions where id = $1`,
      [found[0].session_id],
    );
    if (cap[0].booked >= cap[0].capacity) return { promotedStaffId: null };
    const { rows: promoted } = await client.query<{ staff_id: string }>(
      `update session_bookings set status = 'booked', promoted_at = now()
        where id = (select id from session_bookings where session_id = $1 and status = 'waiting' order by booked_at, id limit 1)
        returning staff_id`,
      [found[0].session_id],
    );
    return { promotedStaffId: promoted[0]?.staff_id ?? null };
  });
}

/**
 * The trainer's attendance register. Each attendee gets evidence for the
 * course's competencies (source 'face-to-face', ref session:<id>), dated the
 * session day in London. Re-marking is safe: evidence is recorded once.
 */
export async function markRegister(db: Database, events: EventBus, input: { sessionId: string; attendedStaffIds: string[]; markedBy: string | null; now?: Date }): Promise<{ attended: number; evidenceIds: string[] }> {
  return db.transaction(async (client) => {
    const { rows } = await client.query<{ id: string; course_id: string; starts_at: Date }>('select id, course_id, starts_at from training_sessions where id::text = $1 for update', [input.sessionId]);
    const session = rows[0];
    if (!session) throw new HttpError(404, 'We could not find that session.');
    if (session.starts_at > (input.now ?? new Date())) throw new HttpError(409, 'The register can be marked once the session has started.');
    const { rows: bookings } = await client.query<{ staff_id: string }>(`select staff_id from session_bookings where session_id = $1 and status = 'booked'`, [session.id]);
    const attended = new Set(input.attendedStaffIds);
    const achievedOn = DateTime.fromJSDate(session.starts_at).setZone('Europe/London').toISODate()!;
    const evidenceIds: string[] = [];
    let count = 0;
    for (const b of bookings) {
      const was = attended.has(b.staff_id);
      await client.query('update session_bookings set attended = $3, attendance_marked_at = now() where session_id = $1 and staff_id = $2 and status = $4', [session.id, b.staff_id, was, 'booked']);
      if (!was) continue;
      count++;
      evidenceIds.push(
        ...(await recordCourseCompletion(client, events, { staffId: b.staff_id, courseId: session.course_id, achievedOn, source: 'face-to-face', sourceRef: `session:${session.id}`, recordedBy: input.markedBy })),
      );
    }
    await client.query('update training_sessions set register_marked_at = now(), register_marked_by = $2 where id = $1', [session.id, input.markedBy]);
    return { attended: count, evidenceIds };
  });
}

/** How many organisations and sectors a session brought together (attendees once the register is marked, else bookings). */
export async function sessionFigures(pool: Pool, sessionId: string): Promise<{ people: number; organisations: number; sectors: { sector: string; people: number }[] }> {
  const { rows } = await pool.query<{ sector: string; people: number; organisations: number }>(
    `with counted as (
       select s.organisation_id, o.sector from session_bookings b
         join staff s on s.id = b.staff_id join organisations o on o.id = s.organisation_id
         join training_sessions ts on ts.id = b.session_id
        where b.session_id = $1 and b.status = 'booked' and (ts.register_marked_at is null or b.attended))
     select sector, count(*) as people, count(distinct organisation_id) as organisations from counted group by sector order by sector`,
    [sessionId],
  );
  const orgs = await pool.query<{ n: number }>(
    `select count(distinct s.organisation_id) as n from session_bookings b join staff s on s.id = b.staff_id join training_sessions ts on ts.id = b.session_id
      where b.session_id = $1 and b.status = 'booked' and (ts.register_marked_at is null or b.attended)`,
    [sessionId],
  );
  return { people: rows.reduce((a, r) => a + r.people, 0), organisations: orgs.rows[0].n, sectors: rows.map((r) => ({ sector: r.sector, people: r.people })) };
}

/** The courses sessions can be created for. */
export async function listCourses(pool: Pool): Promise<{ id: string; title: string; delivery: string }[]> {
  const { rows } = await pool.query<{ id: string; title: string; delivery: string }>(`select id, title, delivery from courses where status = 'published' order by title`);
  return rows;
}
