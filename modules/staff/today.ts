import { DateTime } from 'luxon';

/** Today's date in the partnership's time zone, as 'YYYY-MM-DD'. */
export function londonToday(): string {
  return DateTime.now().setZone('Europe/London').toISODate()!;
}
