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
): { errors: FieldError[]; value?: { courseId: string; startsAt: Date; endsAt: Date; venue: string | null; onlineUrl: string | null; capacity: number; trainerUserId: string | null; multiAgency: boolean; organisationIds: string[]; notes: string } } {
  const errors: FieldError[] = [];
  if (!known.courseIds.includes(form.courseId)) errors.push({ text: 'Select the course', href: '#courseId' });
  const start = DateTime.fromISO(`${form.date}T${form.startTime}`, { zone: 'Europe/London' });
  const end = DateTime.fromISO(`${form.date}T${form.endTime}`, { zone: 'Europe/London' });
  if (!/^\d{4}-\d{2}-\d{2}$/.test(form.date) || !DateTime.fromISO(form.date).isValid) errors.push({ text: 'Enter the date of the session, for example 2027-03-14', href: '#date' });
  else if (!/^\d{1,2}:\d{2}$/.test(form.startTime) || !start.isValid) errors.push({ text: 'Enter the start time, for example 09:30', href: '#startTime' });
  else if (start.toJSDate() <= now) errors.push({ text: 'The session must start in the future', href: '#date' });
  else if (!/^\d{1,2}:\d{2}$/.test(form.endTime) || !end.isValid || end <= start) errors.push({ text: 'Enter an end time after the start time', href: '#endTime' });
  if (!form.venue && !form.onlineUrl) errors.push({ text: 'Enter a venue or an online link', href: '#venue' });
  if (form.onlineUrl && !/^https:\/\/\S+$/.test(form.onlineUrl)) errors.push({ text: 'Enter the online link as a full https:// address', href: '#onlineUrl' });
  const capacity = Number(form.capacity);
  if (!/^\d+$/.test(form.capacity) || capacity < 1 || capacity > 1000) errors.push({ text: 'Enter the number of places, from 1 to 1000', href: '#capacity' });
  if (form.trainerUserId && !known.trainerIds.includes(form.trainerUserId)) errors.push({ text: 'Select a trainer from the list', href: '#trainerUserId' });
  if (form.organisationIds.some((id) => !known.organisationIds.includes(id))) errors.push({ text: 'Select organisations from the list', href: '#organisationIds' });
  if (errors.length) return { errors };
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
    },
  };
}
