import { checkDateValue, type DateValue, dateValueFrom, readOptionalDateInput, readTimeInput } from '../../server/date-input';
import { DateTime } from 'luxon';

export interface FieldError {
  text: string;
  href: string;
}

/** Longest text each free-text field of a session keeps; the form shows a character count. */
export const SESSION_LIMITS = { venue: 200, onlineUrl: 500, notes: 2000 } as const;

export interface SessionForm {
  courseId: string;
  date: DateValue;
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
    date: dateValueFrom(body, 'date'),
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
): {
  errors: FieldError[];
  value?: {
    courseId: string;
    startsAt: Date;
    endsAt: Date;
    venue: string | null;
    onlineUrl: string | null;
    capacity: number;
    trainerUserId: string | null;
    multiAgency: boolean;
    organisationIds: string[];
    notes: string;
    chargePence: number | null;
  };
} {
  const errors: FieldError[] = [];
  if (!known.courseIds.includes(form.courseId)) errors.push({ text: 'Select the course', href: '#courseId' });
  const day = checkDateValue(form.date, 'date', 'the date of the session');
  const startTime = readTimeInput(form.startTime, 'startTime', 'the start time');
  const endTime = readTimeInput(form.endTime, 'endTime', 'the end time');
  const start = DateTime.fromISO(`${day.value}T${startTime.value}`, { zone: 'Europe/London' });
  const end = DateTime.fromISO(`${day.value}T${endTime.value}`, { zone: 'Europe/London' });
  if (day.error) errors.push(day.error);
  if (startTime.error) errors.push(startTime.error);
  if (endTime.error) errors.push(endTime.error);
  // A trainer records a session that ran earlier today after the event (its register opens at its start), never one from an earlier day.
  if (!day.error && !startTime.error && start < DateTime.fromJSDate(now).setZone('Europe/London').startOf('day'))
    errors.push({ text: 'The session must be today or later', href: '#date-day' });
  else if (!day.error && !startTime.error && !endTime.error && end <= start)
    errors.push({ text: 'The end time must be after the start time', href: '#endTime' });
  if (!form.venue && !form.onlineUrl) errors.push({ text: 'Enter a venue or an online link', href: '#venue' });
  else if (form.venue.length > SESSION_LIMITS.venue) errors.push({ text: `The venue must be ${SESSION_LIMITS.venue} characters or fewer`, href: '#venue' });
  if (form.onlineUrl && !/^https:\/\/\S+$/.test(form.onlineUrl)) errors.push({ text: 'Enter the online link as a full https:// address', href: '#onlineUrl' });
  else if (form.onlineUrl.length > SESSION_LIMITS.onlineUrl)
    errors.push({ text: `The online link must be ${SESSION_LIMITS.onlineUrl} characters or fewer`, href: '#onlineUrl' });
  if (form.notes.length > SESSION_LIMITS.notes) errors.push({ text: `The notes must be ${SESSION_LIMITS.notes} characters or fewer`, href: '#notes' });
  const capacity = Number(form.capacity);
  if (!/^\d+$/.test(form.capacity) || capacity < 1 || capacity > 1000) errors.push({ text: 'Enter the number of places, from 1 to 1000', href: '#capacity' });
  if (form.trainerUserId && !known.trainerIds.includes(form.trainerUserId)) errors.push({ text: 'Select a trainer from the list', href: '#trainerUserId' });
  if (form.organisationIds.some((id) => !known.organisationIds.includes(id)))
    errors.push({ text: 'Select organisations from the list', href: '#organisationIds' });
  const chargePence = parsePounds(form.chargePounds ?? '');
  if (chargePence === undefined)
    errors.push({ text: 'Enter the price per place in pounds, for example 45 or 45.50, or leave it empty for a free session', href: '#chargePounds' });
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

export function validateTerms(form: TermsForm): {
  errors: FieldError[];
  value?: { reminderDays: number; offerHours: number; lateCancellationDays: number; chargeNoShows: boolean };
} {
  const errors: FieldError[] = [];
  const whole = (v: string, min: number, max: number) => (/^\d+$/.test(v.trim()) && Number(v) >= min && Number(v) <= max ? Number(v) : undefined);
  const reminderDays = whole(form.reminderDays, 1, 60);
  const offerHours = whole(form.offerHours, 1, 336);
  const lateCancellationDays = whole(form.lateCancellationDays, 0, 90);
  if (reminderDays === undefined) errors.push({ text: 'Enter the days before a session to send the reminder, from 1 to 60', href: '#reminderDays' });
  if (offerHours === undefined) errors.push({ text: 'Enter how many hours a freed place is held, from 1 to 336 (two weeks)', href: '#offerHours' });
  if (lateCancellationDays === undefined)
    errors.push({ text: 'Enter the days before a session after which a cancellation is charged, from 0 to 90', href: '#lateCancellationDays' });
  if (!['yes', 'no'].includes(form.chargeNoShows)) errors.push({ text: 'Select whether places not attended are charged', href: '#chargeNoShows' });
  if (errors.length || reminderDays === undefined || offerHours === undefined || lateCancellationDays === undefined) return { errors };
  return { errors, value: { reminderDays, offerHours, lateCancellationDays, chargeNoShows: form.chargeNoShows === 'yes' } };
}

/**
 * The report period from ?from=YYYY-MM-DD&to=YYYY-MM-DD (both days included,
 * London time); by default the twelve months up to today.
 */
export function reportPeriod(
  query: Record<string, unknown>,
  now: Date,
): { from: Date; to: Date; fromDay: string; toDay: string; fromShown: DateValue; toShown: DateValue; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const today = DateTime.fromJSDate(now).setZone('Europe/London').startOf('day');
  // A date left empty means the default; one typed wrong is explained and shown again as typed.
  const day = (field: string, label: string, fallback: DateTime): { day: DateTime; shown: DateValue } => {
    const read = readOptionalDateInput(query, field, label);
    if (read.error) errors.push(read.error);
    const d = read.value ? DateTime.fromISO(read.value, { zone: 'Europe/London' }) : fallback;
    return { day: d, shown: read.error ? read.entered : (d.toISODate() as string) };
  };
  const start = day('from', 'the start date', today.minus({ months: 12 }));
  const end = day('to', 'the end date', today);
  let from = start.day;
  const to = end.day;
  if (from > to) {
    errors.push({ text: 'The start date must be the same as or before the end date', href: '#from-day' });
    from = to;
  }
  return {
    from: from.toJSDate(),
    to: to.plus({ days: 1 }).toJSDate(),
    fromDay: from.toISODate()!,
    toDay: to.toISODate()!,
    fromShown: start.shown,
    toShown: end.shown,
    errors,
  };
}

/** The register opens when the session starts: from then the trainer marks who came, and evidence is recorded for them. */
export function registerOpen(session: { startsAt: Date; cancelledAt: Date | null }, now: Date): boolean {
  return !session.cancelledAt && session.startsAt.getTime() <= now.getTime();
}
