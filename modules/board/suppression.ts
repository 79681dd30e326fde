/**
 * Disclosure control for every figure the board sees, so no member of staff
 * can be identified from them. Pure functions: no database, no HTTP.
 *
 * The method is the one NHS England and the ONS publish small-population
 * statistics with: primary suppression of small counts, and rounding of every
 * other count to the nearest 5.
 * - Each finest count (an organisation's staff group by status, a declared
 *   headcount, an e-learning module's completions) is published as 0 when it
 *   is 0, as "[c]" when it is from 1 to threshold - 1, and otherwise rounded
 *   to the nearest 5.
 * - Every total is the sum of the rounded counts it is made of (a withheld
 *   count adds its rounded value too), so totals add up and carry nothing the
 *   rounded counts do not. A total below the threshold is "[c]" as well.
 * - Percentages are worked out from the published counts.
 * Everything published is therefore a function of the rounded counts alone:
 * a withheld count could be any value of its rounding band (1 or 2, 3 or 4 at
 * threshold 5) and every figure would read the same. That band always holds
 * at least two values (a band that would hold one is joined to the band
 * below), so no withheld count can be worked out, by subtraction, by solving
 * the published sums together, or from the rounding. Zeros are shown: a zero
 * identifies no one.
 */

export const DEFAULT_THRESHOLD = 5;
/** At 2, "[c]" could only mean 1. */
export const MIN_THRESHOLD = 3;
export const MAX_THRESHOLD = 50;
export const ROUNDING_BASE = 5;

/** The one label for a withheld figure, whatever the reason (as the ONS writes it). */
export const WITHHELD = '[c]';
export type Withheld = typeof WITHHELD;

/** A count as the board sees it: a number (0 or rounded to 5), or withheld. */
export type ShownFigure = number | Withheld;
/** A percentage as the board sees it: withheld when a count it is built on is, null when there is nothing to divide by. */
export type ShownPercent = number | Withheld | null;

export function isValidThreshold(n: number): boolean {
  return Number.isInteger(n) && n >= MIN_THRESHOLD && n <= MAX_THRESHOLD;
}

/**
 * The threshold in force: the partnership's own setting, else the
 * BOARD_SUPPRESSION_THRESHOLD environment variable (checked by the server's
 * configuration at start), else 5.
 */
export function thresholdFrom(setting: number | null | undefined, configured: number | undefined): number {
  if (setting != null && isValidThreshold(setting)) return setting;
  if (configured !== undefined && isValidThreshold(configured)) return configured;
  return DEFAULT_THRESHOLD;
}

const nearest = (n: number) => ROUNDING_BASE * Math.round(n / ROUNDING_BASE);

/**
 * What a true count adds to every total it is part of: rounded to the nearest
 * 5, except that the largest withheld value, when it would be alone in its
 * rounding band, rounds with the band below (so a band never pins a value).
 */
export function roundedCount(n: number, threshold: number): number {
  if (!(n > 0)) return 0;
  if (n === threshold - 1 && n >= 2 && nearest(n) !== nearest(n - 1)) return nearest(n - 1);
  return nearest(n);
}

/** One finest count, as published. */
export interface Protected {
  shown: ShownFigure;
  /** What it adds to the totals it is part of. */
  rounded: number;
}

export function protect(n: number, threshold: number): Protected {
  const rounded = roundedCount(n, threshold);
  return { shown: n > 0 && n < threshold ? WITHHELD : rounded, rounded };
}

/** A total of protected counts: the sum of their rounded values; withheld when it is below the threshold and made only of withheld counts. */
export function protectedTotal(parts: Protected[], threshold: number): Protected {
  let rounded = 0;
  let withheld = false;
  let shownPart = false;
  for (const p of parts) {
    rounded += p.rounded;
    if (p.shown === WITHHELD) withheld = true;
    else if (p.shown > 0) shownPart = true;
  }
  return { shown: withheld && !shownPart && rounded < threshold ? WITHHELD : rounded, rounded };
}

/** A whole-number percentage of published counts: withheld when either is, null when there is nothing to divide by. */
export function shownPercent(numerator: ShownFigure, denominator: ShownFigure): ShownPercent {
  if (numerator === WITHHELD || denominator === WITHHELD) return WITHHELD;
  if (denominator <= 0) return null;
  return Math.round((numerator / denominator) * 100);
}

/** A finest count on its own (evaluation counts, places filled): as published. */
export function publishedCount(n: number, threshold: number): ShownFigure {
  return protect(n, threshold).shown;
}
