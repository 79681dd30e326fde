import { DateTime } from 'luxon';

/** Six years after leaving: the usual period for employment and safeguarding training records. */
export const DEFAULT_RETENTION_MONTHS = 72;
export const ANONYMOUS_NAME = 'Former member of staff';

/** A retention period in whole months, 1 to 1200; null when the text is not one. */
export function parseRetentionMonths(value: unknown): number | null {
  const text = String(value ?? '').trim();
  if (!/^\d{1,4}$/.test(text)) return null;
  const months = Number(text);
  return months >= 1 && months <= 1200 ? months : null;
}

/**
 * The period in force: the partnership's own setting, else the server's
 * (LEAVER_RETENTION_MONTHS, checked by its configuration at start), else six years.
 */
export function retentionInForce(partnershipMonths: number | null, configured: number | undefined): number {
  return partnershipMonths || configured || DEFAULT_RETENTION_MONTHS;
}

/** People who left on or before this date are past the retention period on `today` (YYYY-MM-DD). */
export function leftOnOrBefore(today: string, months: number): string {
  return DateTime.fromISO(today, { zone: 'utc' }).minus({ months }).toISODate()!;
}

/** "6 years", "18 months": a retention period in words. */
export function describeMonths(months: number): string {
  if (months % 12 === 0) return `${months / 12} year${months === 12 ? '' : 's'}`;
  return `${months} month${months === 1 ? '' : 's'}`;
}
