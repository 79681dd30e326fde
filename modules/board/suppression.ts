/**
 * Small-number suppression for the board's figures, so no member of staff can
 * be identified from a count. Pure functions: no database, no HTTP.
 *
 * Primary suppression: a count from 1 to threshold - 1 is shown as "fewer than N".
 * Secondary suppression: figures are tied together by sums (a row of statuses
 * adds up to its total, organisations add up to their sector, sectors to the
 * partnership). If exactly one figure in such a sum were hidden, it could be
 * worked out by subtracting the others from the total, so another figure of
 * the same sum is hidden too (the smallest non-zero part, or the total when no
 * part is left), repeated until no sum has exactly one hidden figure.
 * Zeros are never hidden: a zero identifies no one.
 */

export const DEFAULT_THRESHOLD = 5;
export const MIN_THRESHOLD = 2;
export const MAX_THRESHOLD = 50;

/** A sum the reader can check: total = sum of parts (keys of figures). */
export interface SumConstraint {
  total: string;
  parts: string[];
}

export type Suppression = 'small' | 'secondary';

export interface SuppressedFigures {
  threshold: number;
  /** Why each hidden figure is hidden; keys absent here are shown. */
  hidden: Map<string, Suppression>;
}

export function isValidThreshold(n: number): boolean {
  return Number.isInteger(n) && n >= MIN_THRESHOLD && n <= MAX_THRESHOLD;
}

/** A bad BOARD_SUPPRESSION_THRESHOLD stops the server at start, naming the variable. */
export function checkThresholdEnv(env: string | undefined): void {
  if (env === undefined || env.trim() === '') return;
  if (!isValidThreshold(Number(env))) {
    throw new Error(`BOARD_SUPPRESSION_THRESHOLD must be a whole number from ${MIN_THRESHOLD} to ${MAX_THRESHOLD}; it is "${env}".`);
  }
}

/**
 * The threshold in force: the partnership's own setting, else the
 * BOARD_SUPPRESSION_THRESHOLD environment variable, else 5.
 */
export function thresholdFrom(setting: number | null | undefined, env: string | undefined): number {
  if (setting != null && isValidThreshold(setting)) return setting;
  if (env !== undefined && env.trim() !== '') {
    const n = Number(env);
    if (isValidThreshold(n)) return n;
  }
  return DEFAULT_THRESHOLD;
}

/** Hides small counts and whatever would let them be worked out from the sums given. */
export function suppress(values: Map<string, number>, constraints: SumConstraint[], threshold = DEFAULT_THRESHOLD): SuppressedFigures {
  const hidden = new Map<string, Suppression>();
  for (const [key, value] of values) {
    if (value >= 1 && value < threshold) hidden.set(key, 'small');
  }
  const value = (k: string) => values.get(k) ?? 0;
  // Constraints touching each key, so a new hidden figure re-checks only its own sums.
  const touching = new Map<string, number[]>();
  constraints.forEach((c, i) => {
    for (const k of [c.total, ...c.parts]) {
      const list = touching.get(k);
      if (list) list.push(i);
      else touching.set(k, [i]);
    }
  });
  const queue: number[] = [];
  const queued = new Set<number>();
  const enqueue = (i: number) => {
    if (!queued.has(i)) {
      queued.add(i);
      queue.push(i);
    }
  };
  for (const k of hidden.keys()) for (const i of touching.get(k) ?? []) enqueue(i);
  for (let head = 0; head < queue.length; head++) {
    const i = queue[head];
    queued.delete(i);
    const c = constraints[i];
    let hiddenCount = hidden.has(c.total) ? 1 : 0;
    for (const k of c.parts) {
      if (hidden.has(k) && ++hiddenCount > 1) break;
    }
    if (hiddenCount !== 1) continue;
    // The hidden one is a part with the total shown (or the total with every part shown): hide
    // another, the smallest non-zero part (ties by key, so the result never depends on order).
    let next: string | undefined;
    for (const k of c.parts) {
      if (hidden.has(k) || value(k) <= 0) continue;
      if (next === undefined || value(k) < value(next) || (value(k) === value(next) && k < next)) next = k;
    }
    if (!next && !hidden.has(c.total)) next = c.total;
    if (!next) continue; // only the total is hidden and every part is zero: the total is zero, nothing to protect
    hidden.set(next, 'secondary');
    for (const j of touching.get(next) ?? []) enqueue(j);
  }
  return { threshold, hidden };
}

/** A figure as the board sees it: the number, or why it is hidden. */
export type ShownFigure = number | string;

export function fewerThan(threshold: number): string {
  return `fewer than ${threshold}`;
}

export const HIDDEN_TEXT = 'hidden';

export function shown(values: Map<string, number>, result: SuppressedFigures, key: string): ShownFigure {
  const why = result.hidden.get(key);
  if (why === 'small') return fewerThan(result.threshold);
  if (why === 'secondary') return HIDDEN_TEXT;
  return values.get(key) ?? 0;
}

/** A whole-number percentage, or null when either count is hidden or there is nothing to divide by. */
export function shownPercent(numerator: ShownFigure, denominator: ShownFigure): number | null {
  if (typeof numerator !== 'number' || typeof denominator !== 'number' || denominator <= 0) return null;
  return Math.round((numerator / denominator) * 100);
}
