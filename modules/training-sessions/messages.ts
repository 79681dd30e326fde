import type { Pool } from 'pg';
import type { Config } from '../../server/config';
import { clockTime } from '../../server/wording';
import type { Mailer } from '../../server/mail';
import { formatPence } from './rules';
import { bookingTerms, lapseOffersAndOfferPlaces, type PlaceMessage, type PlaceOffer, placeMessages, placesToRemind } from './store';
import type { Database } from '../../server/db';

const LONDON = 'Europe/London';

function when(d: Date): string {
  const day = d.toLocaleDateString('en-GB', { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', timeZone: LONDON });
  return `${day} at ${clockTime(d)}`;
}

function where(p: PlaceMessage): string {
  return [p.venue, p.onlineUrl ? `Online: ${p.onlineUrl}` : null].filter(Boolean).join('\n');
}

/**
 * Subjects say nothing about the person's training or progress: a shared or
 * watched inbox should learn only that there is a booking.
 */
export const REMINDER_SUBJECT = 'Your training session booking';
export const OFFER_SUBJECT = 'A place on a training session';

export function reminderText(p: PlaceMessage, publicUrl: string): string {
  return [
    `Hello ${p.staffName},`,
    '',
    `This is a reminder of your place on ${p.courseTitle}.`,
    '',
    `When: ${when(p.startsAt)}`,
    `Where: ${where(p)}`,
    '',
    'If you can no longer come, please cancel as soon as you can so the place can go to someone on the waiting list, or ask your training lead to pass it to a colleague.',
    `${publicUrl}/training-sessions/${p.sessionId}`,
  ].join('\n');
}

export function offerText(p: PlaceMessage, offer: PlaceOffer, publicUrl: string): string {
  return [
    `Hello ${p.staffName},`,
    '',
    `A place has come free on ${p.courseTitle}, and you are next on the waiting list.`,
    '',
    `When: ${when(p.startsAt)}`,
    `Where: ${where(p)}`,
    ...(p.chargePence ? [`Cost: ${formatPence(p.chargePence)} per place, charged to your organisation.`] : []),
    '',
    `The place is held for you until ${when(offer.expiresAt)}. To accept it (or to let it go to the next person), open:`,
    `${publicUrl}/training-sessions/offers/${offer.token}`,
    '',
    'If you do nothing, the place goes to the next person on the waiting list.',
  ].join('\n');
}

export interface PlaceMailDeps {
  pool: Pool;
  mailer: Mailer;
  config: Pick<Config, 'publicUrl'>;
}

/** Emails each offer; one message per offer (the dedupe key names the booking and when it was offered). */
export async function sendOffers(deps: PlaceMailDeps, offers: PlaceOffer[]): Promise<number> {
  if (!offers.length) return 0;
  const byId = new Map(
    (
      await placeMessages(
        deps.pool,
        offers.map((o) => o.bookingId),
      )
    ).map((m) => [m.bookingId, m]),
  );
  let queued = 0;
  for (const offer of offers) {
    const m = byId.get(offer.bookingId);
    if (!m?.email) continue;
    const id = await deps.mailer.queue({
      to: m.email,
      subject: OFFER_SUBJECT,
      text: offerText(m, offer, deps.config.publicUrl),
      category: 'session-offer',
      organisationId: m.organisationId,
      dedupeKey: `session-offer:${offer.bookingId}:${offer.expiresAt.toISOString()}`,
    });
    if (id) queued++;
  }
  return queued;
}

/** Attendance reminders for booked places inside the reminder window; a place is reminded once per session date. */
export async function sendReminders(deps: PlaceMailDeps, now: Date): Promise<number> {
  const terms = await bookingTerms(deps.pool);
  let queued = 0;
  for (const p of await placesToRemind(deps.pool, now, terms.reminderDays)) {
    if (!p.email) continue;
    const id = await deps.mailer.queue({
      to: p.email,
      subject: REMINDER_SUBJECT,
      text: reminderText(p, deps.config.publicUrl),
      category: 'session-reminder',
      organisationId: p.organisationId,
      dedupeKey: `session-reminder:${p.bookingId}:${p.startsAt.toISOString()}`,
    });
    if (id) queued++;
  }
  return queued;
}

/** The background job: lapse offers that ran out, offer free places, send reminders. Safe on two servers at once. */
export async function runPlacesJob(deps: PlaceMailDeps & { database: Database }, now = new Date()): Promise<{ offers: number; reminders: number }> {
  const offers = await lapseOffersAndOfferPlaces(deps.database, now);
  const sentOffers = await sendOffers(deps, offers);
  const reminders = await sendReminders(deps, now);
  return { offers: sentOffers, reminders };
}
