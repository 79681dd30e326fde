/**
 * The figures an organisational lead copies into the partnership's annual
 * self-assessment: the percentage of staff compliant in each group, now and at
 * the end of each of the last four quarters, and face-to-face attendance.
 */
import { DateTime } from 'luxon';
import type { Pool } from 'pg';
import type { OrganisationScope } from '../../server/access';
import type { ComplianceStatus } from './engine';
import { groupLabel, UNMAPPED_GROUP } from './dashboard';
import { loadAttendance, type SessionAttendance } from './lead-store';
import { countPeople, countsOnDays } from './service';

const LONDON = 'Europe/London';

export interface QuarterPeriod {
  /** First and last day, 'YYYY-MM-DD'. */
  start: string;
  end: string;
  /** 'July to September 2026' */
  label: string;
}

function quarterContaining(day: string): QuarterPeriod {
  const d = DateTime.fromISO(day, { zone: 'utc' });
  const start = DateTime.utc(d.year, Math.floor((d.month - 1) / 3) * 3 + 1, 1);
  const end = start.plus({ months: 3 }).minus({ days: 1 });
  return { start: start.toISODate()!, end: end.toISODate()!, label: `${start.toFormat('LLLL')} to ${end.toFormat('LLLL yyyy')}` };
}

/** The last `count` quarters that have ended before today, oldest first. */
export function lastQuarters(today: string, count = 4): QuarterPeriod[] {
  const out: QuarterPeriod[] = [];
  let q = quarterContaining(today);
  while (out.length < count) {
    q = quarterContaining(DateTime.fromISO(q.start, { zone: 'utc' }).minus({ days: 1 }).toISODate()!);
    out.unshift(q);
  }
  return out;
}

export interface PercentCell {
  compliant: number;
  /** Staff measured: everyone in the group except those outside the framework (RCN intercollegiate). */
  measured: number;
  /** Whole percent, or null when nobody is measured. */
  percent: number | null;
}

/**
 * Percentage compliant per group and for all staff. Compliant means every
 * requirement met today, so "due soon" counts as compliant. Staff whose group
 * is not yet decided have a row of their own and count as not compliant in
 * the all-staff figure: nobody can say they are trained for a role not yet decided.
 */
export function percentCompliant(people: { groupNumber: number | null; status: ComplianceStatus }[]): Map<string, PercentCell> {
  return percentFromCounts(countPeople(people).byGroup);
}

/** The same percentages from counts by group and status (OrganisationCompliance.counts.byGroup, 'unmapped' for no group). */
export function percentFromCounts(byGroup: Record<string, Record<string, number>>): Map<string, PercentCell> {
  const cells = new Map<string, PercentCell>();
  const add = (key: string, compliant: number, measured: number) => {
    const cell = cells.get(key) ?? { compliant: 0, measured: 0, percent: null };
    cell.compliant += compliant;
    cell.measured += measured;
    cell.percent = Math.round((cell.compliant / cell.measured) * 100);
    cells.set(key, cell);
  };
  for (const [group, counts] of Object.entries(byGroup)) {
    let measured = 0;
    let compliant = 0;
    for (const [status, n] of Object.entries(counts)) {
      if (status === 'not-applicable' || status === 'left') continue;
      measured += n;
      if (status === 'compliant' || status === 'due-soon') compliant += n;
    }
    if (!measured) continue;
    add(group, compliant, measured);
    add('all', compliant, measured);
  }
  return cells;
}

/**
 * Percentages from one organisation's entry in a board snapshot (group ->
 * { onSystem, compliant, dueSoon, ... }, plus unmapped), counted the same way
 * as percentCompliant. Null when the entry is not in that shape.
 */
export function percentFromSnapshot(entry: unknown): Map<string, PercentCell> | null {
  const e = entry as { groups?: Record<string, Record<string, unknown>>; unmapped?: unknown } | null;
  if (!e || typeof e.groups !== 'object' || e.groups === null || typeof e.unmapped !== 'number') return null;
  const cells = new Map<string, PercentCell>();
  const cell = (compliant: number, measured: number): PercentCell => ({
    compliant,
    measured,
    percent: measured ? Math.round((compliant / measured) * 100) : null,
  });
  let compliant = 0;
  let measured = e.unmapped;
  for (const [group, counts] of Object.entries(e.groups)) {
    const { onSystem, compliant: c, dueSoon } = counts;
    if (typeof onSystem !== 'number' || typeof c !== 'number' || typeof dueSoon !== 'number') return null;
    if (onSystem === 0) continue;
    cells.set(group, cell(c + dueSoon, onSystem));
    compliant += c + dueSoon;
    measured += onSystem;
  }
  if (e.unmapped > 0) cells.set(UNMAPPED_GROUP, cell(0, e.unmapped));
  if (measured > 0) cells.set('all', cell(compliant, measured));
  return cells;
}

export interface TrendTable {
  columns: { date: string; label: string; fromBoard?: boolean }[];
  rows: { key: string; label: string; cells: (PercentCell | null)[] }[];
}

/** Rows per group (numerically, undecided then all staff last), one cell per point in time. */
export function trendTable(points: { date: string; label: string; fromBoard?: boolean; cells: Map<string, PercentCell> }[]): TrendTable {
  const keys = new Set<string>();
  for (const p of points) for (const k of p.cells.keys()) keys.add(k);
  const order = (k: string) => (k === 'all' ? 1e9 : k === UNMAPPED_GROUP ? 1e8 : Number(k));
  const sorted = [...keys].sort((a, b) => order(a) - order(b));
  return {
    columns: points.map((p) => ({ date: p.date, label: p.label, fromBoard: p.fromBoard ?? false })),
    rows: sorted.map((key) => ({ key, label: key === 'all' ? 'All staff' : groupLabel(key), cells: points.map((p) => p.cells.get(key) ?? null) })),
  };
}

export interface AttendanceRow {
  label: string;
  /** Sessions at which at least one of the organisation's staff was marked present. */
  sessionsAttended: number;
  placesBooked: number;
  attended: number;
  didNotAttend: number;
  notMarked: number;
  /** attended / (attended + did not attend), whole percent; null before any register is marked. */
  attendanceRate: number | null;
}

/** Attendance per period, by the London day each session started. */
export function attendanceByPeriod(sessions: SessionAttendance[], periods: QuarterPeriod[]): AttendanceRow[] {
  // Each session's London day worked out once, not once per period (a large organisation has thousands of sessions).
  const days = sessions.map((s) => s.day ?? DateTime.fromJSDate(s.startsAt).setZone(LONDON).toISODate()!);
  return periods.map((period) => {
    const row: AttendanceRow = { label: period.label, sessionsAttended: 0, placesBooked: 0, attended: 0, didNotAttend: 0, notMarked: 0, attendanceRate: null };
    for (let i = 0; i < sessions.length; i++) {
      const s = sessions[i];
      const day = days[i];
      if (day < period.start || day > period.end) continue;
      if (s.attended > 0) row.sessionsAttended++;
      row.placesBooked += s.booked;
      row.attended += s.attended;
      row.didNotAttend += s.missed;
      row.notMarked += s.booked - s.attended - s.missed;
    }
    const marked = row.attended + row.didNotAttend;
    row.attendanceRate = marked ? Math.round((row.attended / marked) * 100) : null;
    return row;
  });
}

/** The start of a London day as an instant. */
function londonMidnight(day: string): Date {
  return DateTime.fromISO(day, { zone: LONDON }).startOf('day').toJSDate();
}

export interface SelfAssessment {
  today: string;
  quarters: QuarterPeriod[];
  trend: TrendTable;
  attendance: AttendanceRow[];
  attendanceTotal: AttendanceRow;
}

/**
 * Everything on the self-assessment page for one organisation (already
 * checked to be in the caller's scope). A past quarter the board has a
 * snapshot of shows the figures as reported (`reportedToBoard`, the
 * organisation's entry in each quarter's snapshot, from the board module,
 * which builds on this one); any other is computed as of its last day, so
 * staff who had left by then, or joined since, are counted as they were then.
 */
export async function buildSelfAssessment(
  pool: Pool,
  scope: OrganisationScope,
  organisation: { id: string; slug: string },
  today: string,
  reportedToBoard: (quarterEnds: string[]) => Promise<Map<string, unknown>>,
): Promise<SelfAssessment | null> {
  const quarters = lastQuarters(today, 4);
  const current = quarterContaining(today);
  const snapshots = await reportedToBoard(quarters.map((q) => q.end));
  const points = [...quarters.map((q) => ({ date: q.end, label: `End of ${q.label}` })), { date: today, label: 'Today' }];
  const columns = [];
  const worked = points.filter((p) => p.date === today || !percentFromSnapshot(snapshots.get(p.date)));
  const counts = await countsOnDays(
    pool,
    scope,
    organisation.id,
    worked.map((p) => p.date),
  );
  if (!counts) return null;
  for (const point of points) {
    const reported = point.date === today ? null : percentFromSnapshot(snapshots.get(point.date));
    if (reported) columns.push({ ...point, fromBoard: true, cells: reported });
    else columns.push({ ...point, cells: percentFromCounts(counts.get(point.date)!.byGroup) });
  }
  const trend = trendTable(columns);
  const periods = [...quarters, { start: current.start, end: today, label: `${current.label} (so far)` }];
  const sessions = await loadAttendance(
    pool,
    scope,
    organisation.id,
    londonMidnight(quarters[0].start),
    londonMidnight(DateTime.fromISO(today).plus({ days: 1 }).toISODate()!),
  );
  const [total, ...attendance] = attendanceByPeriod(sessions, [{ start: quarters[0].start, end: today, label: 'All five periods' }, ...periods]);
  return { today, quarters, trend, attendance, attendanceTotal: total };
}
