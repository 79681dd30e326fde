import { createHash, randomBytes } from 'node:crypto';
import { DateTime } from 'luxon';
import type { Pool, PoolClient } from 'pg';
import { type OrganisationScope, scopeCondition, scopeIncludes } from '../../server/access';
import { audit } from '../../server/auth/users';
import type { Database } from '../../server/db';
import { HttpError } from '../../server/errors';
import type { EventBus } from '../../server/events';
import { recordCourseCompletion } from '../evidence/api';

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
  /** Price per place in pence; null or absent for a free session. */
  chargePence?: number | null;
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
  chargePence: number | null;
  /** The course asks for confidence ratings before and after (modules/evaluation). */
  requiresEvaluation: boolean;
  booked: number;
  waiting: number;
  organisationIds: string[];
}

const SESSION_SELECT = `
  select ts.id, ts.course_id as "courseId", c.title as "courseTitle", c.slug as "courseSlug", ts.starts_at as "startsAt", ts.ends_at as "endsAt",
         ts.venue, ts.online_url as "onlineUrl", ts.capacity, ts.trainer_user_id as "trainerUserId", u.display_name as "trainerName",
         ts.multi_agency as "multiAgency", ts.open_to_all as "openToAll", ts.notes, ts.cancelled_at as "cancelledAt",
         ts.register_marked_at as "registerMarkedAt", ts.charge_pence as "chargePence", c.requires_evaluation as "requiresEvaluation",
         (select count(*) from session_bookings b where b.session_id = ts.id and b.status = 'booked') as booked,
         (select count(*) from session_bookings b where b.session_id = ts.id and b.status = 'waiting') as waiting,
         coalesce((select array_agg(o.organisation_id) from training_session_organisations o where o.session_id = ts.id), '{}') as "organisationIds"
    from training_sessions ts
    join course_catalogue c on c.id = ts.course_id
    left join users u on u.id = ts.trainer_user_id`;

export async function createSession(db: Database, input: SessionInput): Promise<string> {
  return db.transaction(async (client) => {
    const { rows } = await client.query<{ id: string }>(
      `insert into training_sessions (course_id, starts_at, ends_at, venue, online_url, capacity, trainer_user_id, multi_agency, open_to_all, notes, created_by, charge_pence)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) returning id`,
      [
        input.courseId,
        input.startsAt,
        input.endsAt,
        input.venue,
        input.onlineUrl,
        input.capacity,
        input.trainerUserId,
        input.multiAgency,
        input.organisationIds.length === 0,
        input.notes ?? '',
        input.createdBy,
        input.chargePence ?? null,
      ],
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

/** Sessions one trainer runs, from a day on (their "My sessions"). */
export async function sessionsRunBy(pool: Pool, trainerUserId: string, options: { from: Date }): Promise<TrainingSession[]> {
  const { rows } = await pool.query<TrainingSession>(`${SESSION_SELECT} where ts.trainer_user_id = $1 and ts.starts_at >= $2 order by ts.starts_at limit 500`, [
    trainerUserId,
    options.from,
  ]);
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
  /** While a freed place is offered to this person (still on the waiting list). */
  offerExpiresAt: Date | null;
}

/** Bookings on a session for the people the scope covers (trainers and admins: everyone). */
export async function listBookings(pool: Pool, scope: OrganisationScope, sessionId: string): Promise<Booking[]> {
  const cond = scopeCondition(scope, 's.organisation_id', 2);
  const { rows } = await pool.query<Booking>(
    `select b.id, b.staff_id as "staffId", s.name as "staffName", s.organisation_id as "organisationId", o.name as "organisationName", o.sector,
            b.status, b.booked_at as "bookedAt", b.attended,
            case when b.status = 'waiting' and b.offer_expires_at > now() then b.offer_expires_at end as "offerExpiresAt"
       from session_bookings b join staff_members s on s.id = b.staff_id join member_organisations o on o.id = s.organisation_id
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
       from course_catalogue_prerequisites cp join course_catalogue p on p.id = cp.prerequisite_course_id
      where cp.course_id = $1
        and not exists (
          -- completed the prerequisite course itself ...
          select 1 from evidence_entries e
           where e.staff_id = $2 and e.course_id = p.id and not e.withdrawn
             and not exists (select 1 from evidence_entries r where r.replaces_id = e.id))
        and not (
          -- ... or holds current evidence for every competency it covers (sign-off, prior learning ...)
          exists (select 1 from course_catalogue_competencies pc where pc.course_id = p.id)
          and not exists (
            select 1 from course_catalogue_competencies pc
             where pc.course_id = p.id
               and not exists (
                 select 1 from evidence_entries e join framework_competencies c on c.id = e.competency_id
                  where e.staff_id = $2 and c.lineage = pc.competency_lineage and not e.withdrawn
                    and not exists (select 1 from evidence_entries r where r.replaces_id = e.id))))
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
export async function bookPlace(
  db: Database,
  scope: OrganisationScope,
  input: { sessionId: string; staffId: string; bookedBy: string | null; now?: Date },
): Promise<BookingResult> {
  return db.transaction(async (client) => {
    const { rows: sessions } = await client.query<{
      id: string;
      course_id: string;
      capacity: number;
      starts_at: Date;
      cancelled_at: Date | null;
      open_to_all: boolean;
    }>('select id, course_id, capacity, starts_at, cancelled_at, open_to_all from training_sessions where id::text = $1 for update', [input.sessionId]);
    const session = sessions[0];
    if (!session) throw new HttpError(404, 'We could not find that session.');
    const { rows: staff } = await client.query<{ organisation_id: string; leaving_date: string | null }>(
      'select organisation_id, leaving_date from staff_members where id::text = $1',
      [input.staffId],
    );
    if (!staff[0] || !scopeIncludes(scope, staff[0].organisation_id)) throw new HttpError(404, 'We could not find that member of staff.');
    if (session.cancelled_at) throw new HttpError(409, 'This session has been cancelled.');
    if (session.starts_at <= (input.now ?? new Date())) throw new HttpError(409, 'This session has already started, so it can no longer be booked.');
    if (!session.open_to_all) {
      const { rows } = await client.query('select 1 from training_session_organisations where session_id = $1 and organisation_id = $2', [
        session.id,
        staff[0].organisation_id,
      ]);
      if (!rows.length) throw new HttpError(409, 'This session is not open to your organisation.');
    }
    const existing = await client.query('select 1 from session_bookings where session_id = $1 and staff_id = $2 and status <> $3', [
      session.id,
      input.staffId,
      'cancelled',
    ]);
    if (existing.rows.length) throw new HttpError(409, 'Already booked on this session (or on its waiting list).');
    const missing = await missingPrerequisites(client, input.staffId, session.course_id);
    if (missing.length) throw new HttpError(409, `Complete ${missing.join(' and ')} before booking this course.`);
    // A place held for someone offered it, or anyone still waiting to be offered one, comes first.
    const { rows: taken } = await client.query<{ n: number }>(
      `select count(*) as n from session_bookings where session_id = $1
          and (status = 'booked' or (status = 'waiting' and (offered_at is null or offer_expires_at > $2)))`,
      [session.id, input.now ?? new Date()],
    );
    const status = taken[0].n < session.capacity ? 'booked' : 'waiting';
    const { rows } = await client.query<{ id: string }>(
      'insert into session_bookings (session_id, staff_id, status, booked_by) values ($1, $2, $3, $4) returning id',
      [session.id, input.staffId, status, input.bookedBy],
    );
    return { bookingId: rows[0].id, status };
  });
}

/**
 * Cancels a booking. A confirmed place freed this way is offered to the
 * longest-waiting person, in the same transaction (they accept by a link in
 * an email); the caller sends the offers once this has committed.
 */
export async function cancelBooking(
  db: Database,
  scope: OrganisationScope,
  input: { bookingId: string; cancelledBy: string | null; now?: Date },
): Promise<{ offers: PlaceOffer[] }> {
  return db.transaction(async (client) => {
    const { rows: found } = await client.query<{ session_id: string; organisation_id: string }>(
      'select b.session_id, s.organisation_id from session_bookings b join staff_members s on s.id = b.staff_id where b.id::text = $1',
      [input.bookingId],
    );
    if (!found[0] || !scopeIncludes(scope, found[0].organisation_id)) throw new HttpError(404, 'We could not find that booking.');
    await client.query('select id from training_sessions where id = $1 for update', [found[0].session_id]);
    const { rows } = await client.query<{ status: string }>('select status from session_bookings where id = $1', [input.bookingId]);
    if (rows[0].status === 'cancelled') return { offers: [] };
    await client.query(
      `update session_bookings set status = 'cancelled', cancelled_at = $3, cancelled_by = $2, cancel_reason = $4, offer_token_hash = null where id = $1`,
      [input.bookingId, input.cancelledBy, input.now ?? new Date(), rows[0].status === 'booked' ? 'cancelled' : 'left-waiting-list'],
    );
    return { offers: await offerFreedPlaces(client, found[0].session_id, input.now ?? new Date()) };
  });
}

/**
 * The trainer's attendance register. Each attendee gets evidence for the
 * course's competencies (source 'face-to-face', ref session:<id>), dated the
 * session day in London. Re-marking is safe: evidence is recorded once.
 */
export async function markRegister(
  db: Database,
  events: EventBus,
  input: { sessionId: string; attendedStaffIds: string[]; markedBy: string | null; now?: Date },
): Promise<{ attended: number; evidenceIds: string[] }> {
  return db.transaction(async (client) => {
    const { rows } = await client.query<{ id: string; course_id: string; starts_at: Date }>(
      'select id, course_id, starts_at from training_sessions where id::text = $1 for update',
      [input.sessionId],
    );
    const session = rows[0];
    if (!session) throw new HttpError(404, 'We could not find that session.');
    if (session.starts_at > (input.now ?? new Date())) throw new HttpError(409, 'The register can be marked once the session has started.');
    const { rows: bookings } = await client.query<{ staff_id: string }>(`select staff_id from session_bookings where session_id = $1 and status = 'booked'`, [
      session.id,
    ]);
    const attended = new Set(input.attendedStaffIds);
    const achievedOn = DateTime.fromJSDate(session.starts_at).setZone('Europe/London').toISODate()!;
    const evidenceIds: string[] = [];
    let count = 0;
    for (const b of bookings) {
      const was = attended.has(b.staff_id);
      await client.query('update session_bookings set attended = $3, attendance_marked_at = now() where session_id = $1 and staff_id = $2 and status = $4', [
        session.id,
        b.staff_id,
        was,
        'booked',
      ]);
      if (!was) continue;
      count++;
      evidenceIds.push(
        ...(await recordCourseCompletion(client, events, {
          staffId: b.staff_id,
          courseId: session.course_id,
          achievedOn,
          source: 'face-to-face',
          sourceRef: `session:${session.id}`,
          recordedBy: input.markedBy,
        })),
      );
    }
    await client.query('update training_sessions set register_marked_at = now(), register_marked_by = $2 where id = $1', [session.id, input.markedBy]);
    return { attended: count, evidenceIds };
  });
}

/** How many organisations and sectors a session brought together (attendees once the register is marked, else bookings). */
export async function sessionFigures(
  pool: Pool,
  sessionId: string,
): Promise<{ people: number; organisations: number; sectors: { sector: string; people: number }[] }> {
  const { rows } = await pool.query<{ sector: string; people: number; organisations: number }>(
    `with counted as (
       select s.organisation_id, o.sector from session_bookings b
         join staff_members s on s.id = b.staff_id join member_organisations o on o.id = s.organisation_id
         join training_sessions ts on ts.id = b.session_id
        where b.session_id = $1 and b.status = 'booked' and (ts.register_marked_at is null or b.attended))
     select sector, count(*) as people, count(distinct organisation_id) as organisations from counted group by sector order by sector`,
    [sessionId],
  );
  const orgs = await pool.query<{ n: number }>(
    `select count(distinct s.organisation_id) as n from session_bookings b join staff_members s on s.id = b.staff_id join training_sessions ts on ts.id = b.session_id
      where b.session_id = $1 and b.status = 'booked' and (ts.register_marked_at is null or b.attended)`,
    [sessionId],
  );
  return { people: rows.reduce((a, r) => a + r.people, 0), organisations: orgs.rows[0].n, sectors: rows.map((r) => ({ sector: r.sector, people: r.people })) };
}

/** The courses sessions can be created for. */
export async function listCourses(pool: Pool): Promise<{ id: string; title: string; delivery: string }[]> {
  const { rows } = await pool.query<{ id: string; title: string; delivery: string }>(
    `select id, title, delivery from course_catalogue where status = 'published' order by title`,
  );
  return rows;
}

// ---- Sessions that fill: booking terms, offers of freed places, substitutes, no-shows, charges ----

export interface BookingTerms {
  /** Attendance reminder this many days before the session. */
  reminderDays: number;
  /** How long a freed place is held for the person offered it. */
  offerHours: number;
  /** A cancellation less than this many days before the start is charged. */
  lateCancellationDays: number;
  /** A booked place not attended is charged. */
  chargeNoShows: boolean;
}

export async function bookingTerms(db: Pool | PoolClient): Promise<BookingTerms> {
  const { rows } = await db.query<BookingTerms>(
    `select reminder_days as "reminderDays", offer_hours as "offerHours", late_cancellation_days as "lateCancellationDays", charge_no_shows as "chargeNoShows"
       from session_booking_terms`,
  );
  return rows[0] ?? { reminderDays: 3, offerHours: 48, lateCancellationDays: 7, chargeNoShows: true };
}

export async function saveBookingTerms(db: Database, terms: BookingTerms, userId: string): Promise<void> {
  await db.transaction(async (client) => {
    await client.query(
      `insert into session_booking_terms (id, reminder_days, offer_hours, late_cancellation_days, charge_no_shows, updated_by, updated_at)
       values (true, $1, $2, $3, $4, $5, now())
       on conflict (id) do update set reminder_days = $1, offer_hours = $2, late_cancellation_days = $3, charge_no_shows = $4, updated_by = $5, updated_at = now()`,
      [terms.reminderDays, terms.offerHours, terms.lateCancellationDays, terms.chargeNoShows, userId],
    );
    await audit(client, { actorUserId: userId, action: 'training-sessions.booking-terms-changed', detail: { ...terms } });
  });
}

/** A freed place held for someone on the waiting list; the token is only ever in their email. */
export interface PlaceOffer {
  bookingId: string;
  staffId: string;
  sessionId: string;
  token: string;
  expiresAt: Date;
}

export function offerTokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * Offers every free place on a session to the longest-waiting people not yet
 * offered one. The caller holds the session row lock. Each offer runs until
 * the booking terms' hours pass, or the session starts if that is sooner.
 */
export async function offerFreedPlaces(client: PoolClient, sessionId: string, now: Date): Promise<PlaceOffer[]> {
  const { rows } = await client.query<{ capacity: number; starts_at: Date; cancelled_at: Date | null; held: number }>(
    `select ts.capacity, ts.starts_at, ts.cancelled_at,
            (select count(*) from session_bookings b where b.session_id = ts.id
                and (b.status = 'booked' or (b.status = 'waiting' and b.offered_at is not null and b.offer_expires_at > $2))) as held
       from training_sessions ts where ts.id = $1`,
    [sessionId, now],
  );
  const session = rows[0];
  if (!session || session.cancelled_at || session.starts_at <= now) return [];
  const free = session.capacity - Number(session.held);
  if (free <= 0) return [];
  const terms = await bookingTerms(client);
  const expiresAt = new Date(Math.min(now.getTime() + terms.offerHours * 3600_000, session.starts_at.getTime()));
  const { rows: next } = await client.query<{ id: string; staff_id: string }>(
    `select id, staff_id from session_bookings where session_id = $1 and status = 'waiting' and offered_at is null order by booked_at, id limit $2`,
    [sessionId, free],
  );
  const offers: PlaceOffer[] = [];
  for (const b of next) {
    const token = randomBytes(24).toString('base64url');
    await client.query('update session_bookings set offer_token_hash = $2, offered_at = $3, offer_expires_at = $4 where id = $1', [
      b.id,
      offerTokenHash(token),
      now,
      expiresAt,
    ]);
    offers.push({ bookingId: b.id, staffId: b.staff_id, sessionId, token, expiresAt });
  }
  return offers;
}

export interface OfferView {
  bookingId: string;
  sessionId: string;
  staffName: string;
  courseTitle: string;
  startsAt: Date;
  venue: string | null;
  onlineUrl: string | null;
  expiresAt: Date;
  status: string;
  cancelReason: string | null;
  chargePence: number | null;
}

/** What the person offered a place sees from the link in their email. */
export async function findOffer(pool: Pool, token: string): Promise<OfferView | null> {
  const { rows } = await pool.query<OfferView>(
    `select b.id as "bookingId", b.session_id as "sessionId", s.name as "staffName", c.title as "courseTitle", ts.starts_at as "startsAt", ts.venue,
            ts.online_url as "onlineUrl", b.offer_expires_at as "expiresAt", b.status, b.cancel_reason as "cancelReason", ts.charge_pence as "chargePence"
       from session_bookings b join staff_members s on s.id = b.staff_id join training_sessions ts on ts.id = b.session_id join course_catalogue c on c.id = ts.course_id
      where b.offer_token_hash = $1`,
    [offerTokenHash(token)],
  );
  return rows[0] ?? null;
}

/** Accepts (or declines) an offered place by its emailed link. Declining offers the place to the next person. */
export async function answerOffer(
  db: Database,
  input: ({ token: string } | { bookingId: string; scope: OrganisationScope }) & { accept: boolean; now?: Date },
): Promise<{ sessionId: string; offers: PlaceOffer[] }> {
  // By the emailed link, or from the session page by the person (or their lead) signed in.
  const match = 'token' in input ? { sql: 'b.offer_token_hash = $1', value: offerTokenHash(input.token) } : { sql: 'b.id::text = $1', value: input.bookingId };
  const now = input.now ?? new Date();
  return db.transaction(async (client) => {
    const { rows: found } = await client.query<{ session_id: string }>(
      `select b.session_id from session_bookings b where ${match.sql} and b.offered_at is not null`,
      [match.value],
    );
    if (!found[0]) throw new HttpError(404, 'This link is not valid. The place may have been offered by a newer email: check your inbox.');
    await client.query('select id from training_sessions where id = $1 for update', [found[0].session_id]);
    const { rows } = await client.query<{
      id: string;
      status: string;
      offer_expires_at: Date;
      starts_at: Date;
      cancelled_at: Date | null;
      staff_id: string;
      organisation_id: string;
    }>(
      `select b.id, b.status, b.offer_expires_at, ts.starts_at, ts.cancelled_at, b.staff_id, s.organisation_id
         from session_bookings b join training_sessions ts on ts.id = b.session_id join staff_members s on s.id = b.staff_id where ${match.sql}`,
      [match.value],
    );
    const b = rows[0];
    if (!b || ('scope' in input && !scopeIncludes(input.scope, b.organisation_id))) throw new HttpError(404, 'We could not find that offer.');
    if (b.status === 'booked') return { sessionId: found[0].session_id, offers: [] };
    if (b.status !== 'waiting' || b.offer_expires_at <= now || b.cancelled_at || b.starts_at <= now) {
      throw new HttpError(410, 'This offer has run out, so the place has gone to the next person on the waiting list.');
    }
    if (input.accept) {
      await client.query(`update session_bookings set status = 'booked', promoted_at = $2 where id = $1`, [b.id, now]);
      await audit(client, { action: 'training-session.offer-accepted', organisationId: b.organisation_id, subjectType: 'session-booking', subjectId: b.id });
      return { sessionId: found[0].session_id, offers: [] };
    }
    await client.query(`update session_bookings set status = 'cancelled', cancelled_at = $2, cancel_reason = 'declined' where id = $1`, [b.id, now]);
    await audit(client, { action: 'training-session.offer-declined', organisationId: b.organisation_id, subjectType: 'session-booking', subjectId: b.id });
    return { sessionId: found[0].session_id, offers: await offerFreedPlaces(client, found[0].session_id, now) };
  });
}

/**
 * The job's part: offers that ran out take the person off the waiting list,
 * and every upcoming session with a free place offers it to the next person.
 */
export async function lapseOffersAndOfferPlaces(db: Database, now: Date): Promise<PlaceOffer[]> {
  const { rows } = await db.pool.query<{ id: string }>(
    `select distinct ts.id from training_sessions ts join session_bookings b on b.session_id = ts.id
      where ts.cancelled_at is null and ts.starts_at > $1 and b.status = 'waiting'
        and ((b.offered_at is not null and b.offer_expires_at <= $1)
             or (b.offered_at is null and (select count(*) from session_bookings x where x.session_id = ts.id
                   and (x.status = 'booked' or (x.status = 'waiting' and x.offered_at is not null and x.offer_expires_at > $1))) < ts.capacity))`,
    [now],
  );
  const offers: PlaceOffer[] = [];
  for (const { id } of rows) {
    offers.push(
      ...(await db.transaction(async (client) => {
        await client.query('select id from training_sessions where id = $1 for update', [id]);
        await client.query(
          `update session_bookings set status = 'cancelled', cancelled_at = $2, cancel_reason = 'offer-lapsed'
            where session_id = $1 and status = 'waiting' and offered_at is not null and offer_expires_at <= $2`,
          [id, now],
        );
        return offerFreedPlaces(client, id, now);
      })),
    );
  }
  return offers;
}

export interface PlaceMessage {
  bookingId: string;
  sessionId: string;
  email: string | null;
  staffName: string;
  organisationId: string;
  courseTitle: string;
  startsAt: Date;
  endsAt: Date;
  venue: string | null;
  onlineUrl: string | null;
  chargePence: number | null;
}

const PLACE_MESSAGE_SELECT = `
  select b.id as "bookingId", b.session_id as "sessionId", s.email, s.name as "staffName", s.organisation_id as "organisationId", c.title as "courseTitle",
         ts.starts_at as "startsAt", ts.ends_at as "endsAt", ts.venue, ts.online_url as "onlineUrl", ts.charge_pence as "chargePence"
    from session_bookings b join staff_members s on s.id = b.staff_id join training_sessions ts on ts.id = b.session_id join course_catalogue c on c.id = ts.course_id`;

export async function placeMessages(pool: Pool, bookingIds: string[]): Promise<PlaceMessage[]> {
  const { rows } = await pool.query<PlaceMessage>(`${PLACE_MESSAGE_SELECT} where b.id = any($1::uuid[])`, [bookingIds]);
  return rows;
}

/** Booked places on sessions starting within the reminder window (the dedupe key stops a second reminder). */
export async function placesToRemind(pool: Pool, now: Date, reminderDays: number): Promise<PlaceMessage[]> {
  const { rows } = await pool.query<PlaceMessage>(
    `${PLACE_MESSAGE_SELECT}
      where b.status = 'booked' and ts.cancelled_at is null and ts.starts_at > $1 and ts.starts_at <= $1::timestamptz + make_interval(days => $2)
      order by ts.starts_at limit 5000`,
    [now, reminderDays],
  );
  return rows;
}

/**
 * A lead puts a colleague from the same organisation into a booked place:
 * the original person's booking ends as 'substituted' (not a cancellation, so
 * never charged as one) and the colleague's names it, in one transaction.
 */
export async function substituteColleague(
  db: Database,
  scope: OrganisationScope,
  input: { sessionId: string; bookingId: string; staffId: string; by: string; now?: Date },
): Promise<{ bookingId: string }> {
  return db.transaction(async (client) => {
    const { rows: sessions } = await client.query<{ id: string; course_id: string; starts_at: Date; cancelled_at: Date | null }>(
      'select id, course_id, starts_at, cancelled_at from training_sessions where id::text = $1 for update',
      [input.sessionId],
    );
    const session = sessions[0];
    if (!session) throw new HttpError(404, 'We could not find that session.');
    const { rows: found } = await client.query<{ id: string; status: string; staff_id: string; organisation_id: string; booked_at: Date }>(
      `select b.id, b.status, b.staff_id, s.organisation_id, b.booked_at
         from session_bookings b join staff_members s on s.id = b.staff_id where b.id::text = $1 and b.session_id = $2`,
      [input.bookingId, session.id],
    );
    const booking = found[0];
    if (!booking || !scopeIncludes(scope, booking.organisation_id)) throw new HttpError(404, 'We could not find that booking.');
    if (booking.status !== 'booked') throw new HttpError(409, 'Only a confirmed place can be passed to a colleague; this booking is not one.');
    if (session.cancelled_at) throw new HttpError(409, 'This session has been cancelled.');
    if (session.starts_at <= (input.now ?? new Date())) throw new HttpError(409, 'This session has already started.');
    const { rows: colleague } = await client.query<{ organisation_id: string; leaving_date: string | null }>(
      'select organisation_id, leaving_date from staff_members where id::text = $1',
      [input.staffId],
    );
    if (!colleague[0] || colleague[0].organisation_id !== booking.organisation_id) {
      throw new HttpError(400, 'Choose a colleague from the same organisation as the person booked.');
    }
    const already = await client.query(`select 1 from session_bookings where session_id = $1 and staff_id = $2 and status <> 'cancelled'`, [
      session.id,
      input.staffId,
    ]);
    if (already.rows.length) throw new HttpError(409, 'That colleague is already booked on this session (or on its waiting list).');
    const missing = await missingPrerequisites(client, input.staffId, session.course_id);
    if (missing.length) throw new HttpError(409, `That colleague needs to complete ${missing.join(' and ')} before taking this course.`);
    await client.query(
      `update session_bookings set status = 'cancelled', cancelled_at = now(), cancelled_by = $2, cancel_reason = 'substituted' where id = $1`,
      [booking.id, input.by],
    );
    const { rows } = await client.query<{ id: string }>(
      `insert into session_bookings (session_id, staff_id, status, booked_by, booked_at, substitutes_id) values ($1, $2, 'booked', $3, $4, $5) returning id`,
      [session.id, input.staffId, input.by, booking.booked_at, booking.id],
    );
    await audit(client, {
      actorUserId: input.by,
      action: 'training-session.substituted',
      organisationId: booking.organisation_id,
      subjectType: 'session-booking',
      subjectId: rows[0].id,
      detail: { sessionId: session.id, replacedStaffId: booking.staff_id, staffId: input.staffId, replacedBookingId: booking.id },
    });
    return { bookingId: rows[0].id };
  });
}

export interface PlaceRecord {
  organisationId: string;
  organisationName: string;
  sessionId: string;
  courseTitle: string;
  startsAt: Date;
  staffName: string;
  status: string;
  attended: boolean | null;
  cancelledAt: Date | null;
  cancelReason: string | null;
  chargePence: number | null;
  sessionCancelledAt: Date | null;
}

/** Every place on sessions starting in [from, to) for the organisations in scope, for the no-show and charges reports. */
export async function placesInPeriod(pool: Pool, scope: OrganisationScope, period: { from: Date; to: Date }): Promise<PlaceRecord[]> {
  const cond = scopeCondition(scope, 's.organisation_id', 3);
  const { rows } = await pool.query<PlaceRecord>(
    `select s.organisation_id as "organisationId", o.name as "organisationName", ts.id as "sessionId", c.title as "courseTitle", ts.starts_at as "startsAt",
            s.name as "staffName", b.status, b.attended, b.cancelled_at as "cancelledAt", b.cancel_reason as "cancelReason",
            ts.charge_pence as "chargePence", ts.cancelled_at as "sessionCancelledAt"
       from session_bookings b join staff_members s on s.id = b.staff_id join member_organisations o on o.id = s.organisation_id
       join training_sessions ts on ts.id = b.session_id join course_catalogue c on c.id = ts.course_id
      where ts.starts_at >= $1 and ts.starts_at < $2 and ${cond.sql}
      order by o.name, ts.starts_at, s.name`,
    [period.from, period.to, ...cond.params],
  );
  return rows;
}
