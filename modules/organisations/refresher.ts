// Each organisation sets how often its staff of each group refresh their training (its settings page).
export const DEFAULT_REFRESHER_MONTHS = 36;

/** The organisation's refresher interval for a group, falling back to the 36-month default when unset or invalid. */
export function refresherMonthsFor(settings: Record<string, number> | null | undefined, groupNumber: number | null): number {
  if (groupNumber == null || !settings) return DEFAULT_REFRESHER_MONTHS;
  const months = Number(settings[String(groupNumber)]);
  return Number.isInteger(months) && months >= 1 && months <= 240 ? months : DEFAULT_REFRESHER_MONTHS;
}
