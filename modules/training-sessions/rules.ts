import { DateTime } from 'luxon';

export interface FieldError {
  text: string;
  href: string;
}

export interface SessionForm {
  courseId: string;
  date: string;
  startTime: string;
  endTime: string;
  venue: string;
  onlineUrl: string;
  capacity: string;
  trainerUserId: string;
  multiAgency: string;
  organisationIds: string[];
  notes: string;
  /** Price per place in pounds; empty for a free session. */
  chargePounds: string;
}

export function formFrom(body: Record<string, unknown>): SessionForm {
  const s = (k: string) => (typeof body[k] === 'string' ? (body[k] as string).trim() : '');
  const orgs = body.organisationIds;
  return {
    courseId: s('courseId'),
    date: s('date'),
    startTime: s('startTime'),
    endTime: s('endTime'),
    venue: s('venue'),
    onlineUrl: s('onlineUrl'),
    capacity: s('capacity'),
    trainerUserId: s('trainerUserId'),
    multiAgency: s('multiAgency') || 'yes',
    organisationIds: (Array.isArray(orgs) ? orgs : typeof orgs === 'string' ? [orgs] : []).map(String),
    notes: s('notes'),
    chargePounds: s('chargePounds'),
  };
}

/**
 * Checks a new session; times are wall-clock times in Europe/London, so a
 * 9:30 session in July is 08:30 UTC and in December 09:30 UTC.
 */
export function validateSession(
  form: SessionForm,
  known: { courseIds: string[]; trainerIds: string[]; organisationIds: string[] },
  now: Date,
): { errors: FieldError[]; value?: { courseId: string; startsAt: Date; endsAt: Date; venue: string | null; onlineUrl: string | null; capacity: number; trainerUserId: string | null; multiAgency: boolean; organisationIds: string[]; notes: string; chargePence: number | null } } {
  const errors: FieldError[] = [];
  if (!known.courseIds.includes(form.courseId)) errors.push({ text: 'Select the course', href: '#courseId' });
  const start = DateTime.fromISO(`${form.date}T${form.startTime}`, { zone: 'Europe/London' });
  const end = DateTime.fromISO(`${form.date}T${form.endTime}`, { zone: 'Europe/London' });
  if (!/^\d{4}-\d{2}-\d{2}$/.test(form.date) || !DateTime.fromISO(form.date).isValid) errors.push({ text: 'Enter the date of the session, for example 2027-03-14', href: '#date' });
  else if (!/^\d{1,2}:\d{2}$/.test(form.startTime) || !start.isValid) errors.push({ text: 'Enter the start time, for example 09:30', href: '#startTime' });
  // A trainer records a session that ran earlier today after the event (its register opens at its start), never one from an earlier day.
  else if (start < DateTime.fromJSDate(now).setZone('Europe/London').startOf('day')) errors.push({ text: 'The session must be today or later', href: '#date' });
  else if (!/^\d{1,2}:\d{2}$/.test(form.endTime) || !end.isValid || end <= start) errors.push({ text: 'Enter an end time after the start time', href: '#endTime' });
  if (!form.venue && !form.onlineUrl) errors.push({ text: 'Enter a venue or an online link', href: '#venue' });
  if (form.onlineUrl && !/^https:\/\/\S+$/.test(form.onlineUrl)) errors.push({ text: 'Enter the online link as a full https:// address', href: '#onlineUrl' });
  const capacity = Number(form.capacity);
  if (!/^\d+$/.test(form.capacity) || capacity < 1 || capacity > 1000) errors.push({ text: 'Enter the number of places, from 1 to 1000', href: '#capacity' });
  if (form.trainerUserId && !known.trainerIds.includes(form.trainerUserId)) errors.push({ text: 'Select a trainer from the list', href: '#trainerUserId' });
  if (form.organisationIds.some((id) => !known.organisationIds.includes(id))) errors.push({ text: 'Select organisations from the list', href: '#organisationIds' });
  const chargePence = parsePounds(form.chargePounds ?? '');
  if (chargePence === undefined) errors.push({ text: 'Enter the price per place in pounds, for example 45 or 45.50, or leave it empty for a free session', href: '#chargePounds' });
  if (errors.length || chargePence === undefined) return { errors };
  return {
    errors,
    value: {
      courseId: form.courseId,
      startsAt: start.toJSDate(),
      endsAt: end.toJSDate(),
      venue: form.venue || null,
      onlineUrl: form.onlineUrl || null,
      capacity,
      trainerUserId: form.trainerUserId || null,
      multiAgency: form.multiAgency !== 'no',
      organisationIds: form.organisationIds,
      notes: form.notes,
      chargePence,
    },
  };
}

/** '£45.00' from 4500 pence. */
export function formatPence(pence: number): string {
  return `£${(pence / 100).toFixed(2)}`;
}

/** '45', '45.5' or '£45.50' to pence; '' to null (a free session); undefined when it is not an amount. */
export function parsePounds(text: string): number | null | undefined {
  const t = text.trim().replace(/^£/, '').replace(/,/g, '');
  if (t === '') return null;
  if (!/^\d{1,6}(\.\d{1,2})?$/.test(t)) return undefined;
  return Math.round(Number(t) * 100);
}

export interface ChargeTerms {
  lateCancellationDays: number;
  chargeNoShows: boolean;
}

export type ChargeReason = 'attended' | 'no-show' | 'late-cancellation';

export const CHARGE_REASONS: Record<ChargeReason, string> = {
  attended: 'Attended',
  'no-show': 'Did not attend',
  'late-cancellation': 'Cancelled late',
};

/**
 * The partnership's booking terms, as one rule: an organisation pays for a
 * place its person attended, a place booked and not attended (when the terms
 * charge no-shows), and a place cancelled less than `lateCancellationDays`
 * before the start. A place passed to a colleague, a waiting-list place, an
 * offer that was declined or ran out, a cancelled session and a free session
 * cost nothing; a place whose register is not yet marked is not charged yet.
 */
export function placeCharge(
  place: { status: string; attended: boolean | null; cancelledAt: Date | null; cancelReason: string | null },
  session: { startsAt: Date; chargePence: number | null; cancelledAt: Date | null },
  terms: ChargeTerms,
): { reason: ChargeReason; pence: number } | null {
  if (!session.chargePence || session.cancelledAt) return null;
  const pence = session.chargePence;
  if (place.status === 'booked') {
    if (place.attended === true) return { reason: 'attended', pence };
    if (place.attended === false && terms.chargeNoShows) return { reason: 'no-show', pence };
    return null;
  }
  if (place.status === 'cancelled' && place.cancelReason === 'cancelled' && place.cancelledAt) {
    const cutoff = DateTime.fromJSDate(session.startsAt).minus({ days: terms.lateCancellationDays }).toJSDate();
    if (place.cancelledAt > cutoff) return { reason: 'late-cancellation', pence };
  }
  return null;
}

/** What a person is told about the price when they book, in the terms' own words. */
export function chargeNotice(chargePence: number | null, terms: ChargeTerms): string | null {
  if (!chargePence) return null;
  const charged = ['places attended'];
  if (terms.chargeNoShows) charged.push('places booked and not attended');
  if (terms.lateCancellationDays > 0) charged.push(`places cancelled less than ${terms.lateCancellationDays} days before the session`);
  const list = charged.length > 1 ? `${charged.slice(0, -1).join(', ')} and ${charged[charged.length - 1]}` : charged[0];
  return `Each place costs ${formatPence(chargePence)}, charged to the person’s organisation for ${list}. Passing a place to a colleague costs nothing.`;
}

export interface TermsForm {
  reminderDays: string;
  offerHours: string;
  lateCancellationDays: string;
  chargeNoShows: string;
}

export function validateTerms(form: TermsForm): { errors: FieldError[]; value?: { reminderDays: number; offerHours: number; lateCancellationDays: number; chargeNoShows: boolean } } {
  const errors: FieldError[] = [];
  const whole = (v: string, min: number, max: number) => (/^\d+$/.test(v.trim()) && Number(v) >= min && Number(v) <= max ? Number(v) : undefined);
  const reminderDays = whole(form.reminderDays, 1, 60);
  const offerHours = whole(form.offerHours, 1, 336);
  const lateCancellationDays = whole(form.lateCancellationDays, 0, 90);
  if (reminderDays === undefined) errors.push({ text: 'Enter the days before a session to send the reminder, from 1 to 60', href: '#reminderDays' });
  if (offerHours === undefined) errors.push({ text: 'Enter how many hours a freed place is held, from 1 to 336 (two weeks)', href: '#offerHours' });
  if (lateCancellationDays === undefined) errors.push({ text: 'Enter the days before a session after which a cancellation is charged, from 0 to 90', href: '#lateCancellationDays' });
  if (!['yes', 'no'].includes(form.chargeNoShows)) errors.push({ text: 'Select whether places not attended are charged', href: '#chargeNoShows' });
  if (errors.length || reminderDays === undefined || offerHours === undefined || lateCancellationDays === undefined) return { errors };
  return { errors, value: { reminderDays, offerHours, lateCancellationDays, chargeNoShows: form.chargeNoShows === 'yes' } };
}


/**
 * The report period from ?from=YYYY-MM-DD&to=YYYY-MM-DD (both days included,
 * London time); by default the twelve months up to today.
 */
export function reportPeriod(query: { from?: unknown; to?: unknown }, now: Date): { from: Date; to: Date; fromDay: string; toDay: string; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const today = DateTime.fromJSDate(now).setZone('Europe/London').startOf('day');
  const day = (v: unknown, field: string, fallback: DateTime) => {
    if (typeof v !== 'string' || v === '') return fallback;
    const d = DateTime.fromISO(v, { zone: 'Europe/London' });
    if (!/^\d{4}-\d{2}-\d{2}$/.test(v) || !d.isValid) {
      errors.push({ text: `Enter the ${field} date as YYYY-MM-DD, for example 2027-04-01`, href: `#${field}` });
      return fallback;
    }
    return d;
  };
  let from = day(query.from, 'from', today.minus({ months: 12 }));
  const to = day(query.to, 'to', today);
  if (from > to) {
    errors.push({ text: 'The from date must be on or before the to date', href: '#from' });
    from = to;
  }
  return { from: from.toJSDate(), to: to.plus({ days: 1 }).toJSDate(), fromDay: from.toISODate()!, toDay: to.toISODate()!, errors };
}

/** The register opens when the session starts: from then the trainer marks who came, and evidence is recorded for them. */
export function registerOpen(session: { startsAt: Date; cancelledAt: Date | null }, now: Date): boolean {
  return !session.cancelledAt && session.startsAt.getTime() <= now.getTime();
}
