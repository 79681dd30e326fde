/**
 * The compliance engine: one pure function from a person's group, the
 * framework's requirements, their evidence, their organisation's settings and
 * today's date to a status. No database, no clock: everything comes in as data
 * so it can be tested by property and run in bulk over pre-loaded rows.
 *
 * Dates are calendar days, 'YYYY-MM-DD' strings (Europe/London days, no time),
 * compared as strings (the format sorts correctly).
 */
import { groupsIncluded } from '../framework/api';

export type ComplianceStatus = 'compliant' | 'due-soon' | 'overdue' | 'in-induction' | 'not-started' | 'left' | 'unmapped' | 'not-applicable';

export type CompetencyStatus = 'met' | 'due-soon' | 'expired' | 'missing';

export interface Requirement {
  lineage: string;
  competencyId: string;
  /** The group whose competency this is (Group 1 competencies appear in a Group 2 person's list). */
  groupNumber: number;
  number: number;
  text: string;
}

export interface EvidenceItem {
  id: string;
  lineage: string;
  achievedOn: string;
}

export interface ComplianceInput {
  groupNumber: number | null;
  /** Already cumulative (see requirementsFor). */
  requirements: Requirement[];
  /** Current evidence only: withdrawn and replaced entries already removed. */
  evidence: EvidenceItem[];
  refresherMonths: number;
  dueSoonDays: number;
  inductionDays: number;
  startDate: string | null;
  leavingDate: string | null;
  today: string;
  /** Health staff of organisations working to the RCN intercollegiate documents are outside the LDF. */
  outsideFramework?: boolean;
}

export interface CompetencyResult {
  lineage: string;
  competencyId: string;
  number: number;
  groupNumber: number;
  text: string;
  met: boolean;
  /** Every piece of evidence that counts for it, most recent first. */
  evidenceIds: string[];
  /** The day the most recent evidence stops counting (null when there is none). */
  expires: string | null;
  status: CompetencyStatus;
}

export interface ComplianceResult {
  status: ComplianceStatus;
  competencies: CompetencyResult[];
  /** The earliest day on which something currently met expires. */
  nextExpiry: string | null;
}

export const DEFAULT_DUE_SOON_DAYS = 60;
export const DEFAULT_INDUCTION_DAYS = 90;

function parse(day: string): [number, number, number] {
  const [y, m, d] = day.split('-').map(Number);
  return [y, m, d];
}

function format(y: number, m: number, d: number): string {
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

function daysInMonth(y: number, m: number): number {
  return new Date(Date.UTC(y, m, 0)).getUTCDate();
}

/** Day arithmetic for the engine; a bulk run uses a memoised one (dayCalendarForRun). */
export interface DayCalendar {
  addMonths(day: string, months: number): string;
  addDays(day: string, days: number): string;
}

const PLAIN_CALENDAR: DayCalendar = { addMonths, addDays };

/**
 * Day arithmetic remembered for one bulk run (a whole organisation, the
 * board's figures): such a run computes the same few thousand (day, months)
 * and (day, days) pairs over and over. One small map per interval, keyed by
 * the day alone, so no key string is built per call; made per run and
 * dropped with it.
 */
export function dayCalendarForRun(): DayCalendar {
  const months = new Map<number, Map<string, string>>();
  const days = new Map<number, Map<string, string>>();
  return {
    addMonths: (day, n) => remembered(months, addMonths, day, n),
    addDays: (day, n) => remembered(days, addDays, day, n),
  };
}

function remembered(caches: Map<number, Map<string, string>>, compute: (day: string, n: number) => string, day: string, n: number): string {
  let cache = caches.get(n);
  if (!cache || cache.size > 20_000) {
    if (caches.size > 1_000) caches.clear();
    cache = new Map();
    caches.set(n, cache);
  }
  let result = cache.get(day);
  if (result === undefined) {
    result = compute(day, n);
    cache.set(day, result);
  }
  return result;
}

/** Calendar months, clamping to the month end: 2024-01-31 + 1 month = 2024-02-29. */
export function addMonths(day: string, months: number): string {
  const [y, m, d] = parse(day);
  const index = y * 12 + (m - 1) + months;
  const ny = Math.floor(index / 12);
  const nm = (index % 12) + 1;
  return format(ny, nm, Math.min(d, daysInMonth(ny, nm)));
}

export function addDays(day: string, days: number): string {
  const [y, m, d] = parse(day);
  const t = new Date(Date.UTC(y, m - 1, d + days));
  return format(t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDate());
}

/**
 * Precedence, first match wins (documented here because dashboards, reminders
 * and the API all rely on it):
 *  1. left            leavingDate is on or before today: a leaver drops out from their leaving day.
 *  2. not-applicable  outsideFramework (RCN intercollegiate health staff).
 *  3. unmapped        no group yet: we cannot say what is required.
 *  4. compliant / due-soon  every requirement met (evidence expires after today);
 *                     due-soon when any of it expires within dueSoonDays (expires <= today + dueSoonDays).
 *                     A group with no requirements is compliant.
 *  5. in-induction    not everything is met, and today is within startDate + inductionDays
 *                     (inclusive). A new starter is given the whole induction period, even if
 *                     they brought old, expired evidence with them.
 *  6. not-started     not everything is met, no start date is known, and the person has no
 *                     counting evidence at all (never started, rather than lapsed).
 *  7. overdue         otherwise: something required has expired or is missing, or a new
 *                     starter has passed the induction period without it.
 * A change of group takes effect at once: the caller passes the new group's requirements,
 * and anything newly required shows as missing (no fresh induction period).
 * Evidence dated after today is ignored (it cannot have been achieved yet).
 */
const NONE: EvidenceItem[] = [];

function latestFirst(a: EvidenceItem, b: EvidenceItem): number {
  return a.achievedOn === b.achievedOn ? (a.id < b.id ? -1 : 1) : a.achievedOn < b.achievedOn ? 1 : -1;
}

export function computeCompliance(input: ComplianceInput, calendar: DayCalendar = PLAIN_CALENDAR): ComplianceResult {
  const { today } = input;
  if (input.leavingDate && input.leavingDate <= today) return { status: 'left', competencies: [], nextExpiry: null };
  if (input.outsideFramework) return { status: 'not-applicable', competencies: [], nextExpiry: null };
  if (input.groupNumber == null) return { status: 'unmapped', competencies: [], nextExpiry: null };

  const byLineage = new Map<string, EvidenceItem[]>();
  for (const e of input.evidence) {
    if (e.achievedOn > today) continue;
    const list = byLineage.get(e.lineage);
    if (list) list.push(e);
    else byLineage.set(e.lineage, [e]);
  }
  const dueSoonLimit = calendar.addDays(today, Math.max(0, input.dueSoonDays));

  let allMet = true;
  let anyDueSoon = false;
  let anyEvidence = false;
  let nextExpiry: string | null = null;
  const competencies: CompetencyResult[] = input.requirements.map((r) => {
    // The lists are this call's own arrays, so they are sorted in place.
    const counting = byLineage.get(r.lineage) ?? NONE;
    if (counting.length > 1) counting.sort(latestFirst);
    const expires = counting.length ? calendar.addMonths(counting[0].achievedOn, input.refresherMonths) : null;
    const met = expires != null && expires > today;
    let status: CompetencyStatus = 'missing';
    if (counting.length) anyEvidence = true;
    if (met) {
      status = expires <= dueSoonLimit ? 'due-soon' : 'met';
      if (status === 'due-soon') anyDueSoon = true;
      if (nextExpiry == null || expires < nextExpiry) nextExpiry = expires;
    } else {
      allMet = false;
      if (expires != null) status = 'expired';
    }
    return {
      lineage: r.lineage,
      competencyId: r.competencyId,
      number: r.number,
      groupNumber: r.groupNumber,
      text: r.text,
      met,
      evidenceIds: counting.map((e) => e.id),
      expires,
      status,
    };
  });

  let status: ComplianceStatus;
  if (allMet) status = anyDueSoon ? 'due-soon' : 'compliant';
  else if (input.startDate && calendar.addDays(input.startDate, input.inductionDays) >= today) status = 'in-induction';
  else if (!input.startDate && !anyEvidence) status = 'not-started';
  else status = 'overdue';
  return { status, competencies, nextExpiry };
}

/** The framework as the engine needs it: groups (with the groups they include) and competencies. */
export interface FrameworkData {
  groups: { number: number; includesGroups: number[] }[];
  competencies: { id: string; lineage: string; groupNumber: number; number: number; text: string; retired?: boolean }[];
}

/** Cumulative requirements for a group (Group 2 = Group 1 + Group 2 ...), retired competencies left out. */
export function requirementsFor(framework: FrameworkData, groupNumber: number | null): Requirement[] {
  if (groupNumber == null) return [];
  // Itself and, transitively, the groups it includes.
  const groups = new Set(groupsIncluded(framework, groupNumber));
  return framework.competencies
    .filter((c) => groups.has(c.groupNumber) && !c.retired)
    .sort((a, b) => a.groupNumber - b.groupNumber || a.number - b.number)
    .map((c) => ({ lineage: c.lineage, competencyId: c.id, groupNumber: c.groupNumber, number: c.number, text: c.text }));
}

/**
 * The first day after `input.today` on which computeCompliance could answer
 * differently for the same inputs, or null when it never would (only new
 * evidence, a change of group or settings, or a leaving date could change it).
 * Until that day the result can be kept and reused instead of worked out
 * again: this is what lets the lead's dashboard, the reminder scan and the
 * board read statuses kept in the database (see service.ts) rather than
 * computing a whole organisation on every request.
 *
 * The days on which something changes by the calendar alone: the leaving
 * date (left), the day after the induction period ends (in induction to
 * overdue), each competency's expiry day (met to expired) and the day its
 * due-soon window opens (met to due soon), and the day any evidence dated in
 * the future starts to count. Including a day that turns out to change
 * nothing only means one extra computation.
 */
export function resultHoldsUntil(input: ComplianceInput, result: ComplianceResult, calendar: DayCalendar = PLAIN_CALENDAR): string | null {
  const { today } = input;
  let first: string | null = null;
  const consider = (day: string | null) => {
    if (day != null && day > today && (first == null || day < first)) first = day;
  };
  consider(input.leavingDate);
  if (result.status === 'left') return first;
  if (input.startDate) consider(calendar.addDays(input.startDate, input.inductionDays + 1));
  for (const e of input.evidence) consider(e.achievedOn);
  for (const c of result.competencies) {
    if (c.expires == null) continue;
    consider(c.expires);
    consider(calendar.addDays(c.expires, -Math.max(0, input.dueSoonDays)));
  }
  return first;
}
