/** The partnership's time zone: due dates, expiry and "today" are calendar days in England. */
export const LONDON = 'Europe/London';

const DAY = new Intl.DateTimeFormat('en-CA', { timeZone: LONDON, year: 'numeric', month: '2-digit', day: '2-digit' });

/**
 * The calendar day in London at a moment, as 'YYYY-MM-DD': a certificate,
 * licence or refresher that runs out "on" a day runs out at midnight UK time,
 * not UTC, so just after midnight in summer it is already tomorrow here.
 */
export function londonToday(now: Date = new Date()): string {
  return DAY.format(now);
}
