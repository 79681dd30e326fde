import type { Pool } from 'pg';
import { cachePerProduct, keptBy } from '../../server/cache';
import { londonToday } from '../../server/london';
import { commentary } from './commentary';
import { computeFigures, type RawFigures } from './figures';
import { parseQuarter, previousQuarter, type Quarter, quarterEndingOn, quarterOf } from './quarters';
import type { BoardReport } from './report';
import { cachedFigures, listSnapshots, refreshFigures, snapshotEndingOn, snapshotFigures, suppressionThreshold } from './store';
import type { ShownPercent } from './suppression';
import { type BoardView, buildBoardView } from './view';

/**
 * Where each board figure comes from: a past quarter from its snapshot (as
 * reported), today from the kept figures, any other day worked out afresh.
 * Every answer is suppressed before it leaves here.
 */

/**
 * The suppressed view of a set of figures, worked out once per set: the
 * dashboard then only reads. Figures are identified by the day they are for,
 * when they were worked out and the threshold, so a refresh or retake is a new entry.
 */
const VIEWS = cachePerProduct<string, BoardView>('suppressed board figures', { max: 16 });
function viewOf(pool: Pool, raw: RawFigures, threshold: number): BoardView {
  const views = keptBy(pool, VIEWS);
  const id = `${raw.asOf}|${raw.periodStart}|${raw.computedAt}|${threshold}`;
  let view = views.get(id);
  if (!view) {
    view = buildBoardView(raw, threshold);
    views.set(id, view);
  }
  return view;
}

export interface BoardFigures {
  view: BoardView;
  source: 'snapshot' | 'current' | 'computed';
  quarter?: string;
}

/**
 * Today's figures as kept. `configuredThreshold`: BOARD_SUPPRESSION_THRESHOLD
 * from the configuration, for this and the functions below. `reads` may be a
 * replica (Database.reads): the kept figures are themselves up to a few
 * minutes old, so a replica's lag changes nothing anyone would notice.
 */
export async function currentFigures(pool: Pool, configuredThreshold: number | undefined, reads: Pool = pool): Promise<BoardFigures> {
  const [threshold, cached] = await Promise.all([suppressionThreshold(reads, configuredThreshold), cachedFigures(reads)]);
  // The first time (before the job has run) the figures are worked out here, once, on the primary (this writes them).
  const raw = cached?.figures ?? (await refreshFigures(pool, londonToday()));
  return { view: viewOf(pool, raw, threshold), source: 'current' };
}

export async function quarterFigures(pool: Pool, configuredThreshold: number | undefined, q: Quarter): Promise<BoardFigures | null> {
  const [threshold, raw] = await Promise.all([suppressionThreshold(pool, configuredThreshold), snapshotFigures(pool, q.id)]);
  return raw ? { view: viewOf(pool, raw, threshold), source: 'snapshot', quarter: q.id } : null;
}

/**
 * Figures as at a day, for the API. Only published points are given, so no
 * series of days can be put together to tell who changed on which day: today
 * is today's figures; any other day is the last quarter end on or before it
 * (its snapshot, or worked out for that quarter end when none was taken).
 */
export async function figuresAsOf(pool: Pool, configuredThreshold: number | undefined, day: string, reads: Pool = pool): Promise<BoardFigures> {
  if (day === londonToday()) return currentFigures(pool, configuredThreshold, reads);
  const q = quarterEndingOn(day) ?? previousQuarter(quarterOf(day));
  const threshold = await suppressionThreshold(reads, configuredThreshold);
  const snap = await snapshotEndingOn(reads, q.end);
  if (snap) return { view: viewOf(pool, snap.figures, threshold), source: 'snapshot', quarter: snap.quarter };
  // Worked out afresh on the primary: working out a past day keeps it (a write).
  const raw = await computeFigures(pool, q.end, q.start);
  return { view: buildBoardView(raw, threshold), source: 'computed', quarter: q.id };
}

// A quarter's share from its snapshot, by when the snapshot was taken and the threshold: a retake or a new threshold is a new entry.
// Far more than the quarters a partnership will snapshot, so every one stays read once.
const TREND_VALUES = cachePerProduct<string, ShownPercent>('board trend', { max: 400 });

/** Share compliant across the partnership for every snapshotted quarter, oldest first (each snapshot read once per product). */
export async function trend(pool: Pool, threshold: number, upTo?: string): Promise<{ label: string; quarter: string; value: ShownPercent }[]> {
  const trendValues = keptBy(pool, TREND_VALUES);
  const snaps = (await listSnapshots(pool)).filter((s) => !upTo || s.quarter <= upTo);
  const idOf = (s: { quarter: string; takenAt: Date }) => `${s.quarter}|${new Date(s.takenAt).toISOString()}|${threshold}`;
  for (const s of snaps) {
    if (trendValues.has(idOf(s))) continue;
    const raw = await snapshotFigures(pool, s.quarter);
    if (raw) trendValues.set(idOf(s), buildBoardView(raw, threshold).partnership.total.compliantPercent);
  }
  return snaps.map((s) => ({ quarter: s.quarter, label: s.quarter.replace('-', ' '), value: trendValues.get(idOf(s)) ?? null }));
}

export async function boardReport(
  pool: Pool,
  configuredThreshold: number | undefined,
  quarterId: string,
  partnershipName: string,
): Promise<BoardReport | null> {
  const q = parseQuarter(quarterId);
  if (!q) return null;
  const threshold = await suppressionThreshold(pool, configuredThreshold);
  const raw = await snapshotFigures(pool, q.id);
  if (!raw) return null;
  const view = viewOf(pool, raw, threshold);
  const prevRaw = await snapshotFigures(pool, previousQuarter(q).id);
  const points = await trend(pool, threshold, q.id);
  return {
    partnershipName,
    quarterId: q.id,
    quarterLabel: q.label,
    view,
    commentary: commentary(prevRaw ? viewOf(pool, prevRaw, threshold) : null, view),
    trend: points.slice(-8).map((p) => ({ label: p.label, value: p.value })),
  };
}
