/**
 * The organisational lead's dashboard as plain functions over already computed
 * compliance: counts by group and team, the staff list's filters, sorting and
 * paging, and "who to chase this week". No database and no clock, so a
 * 2,000-person organisation is a few passes in memory after the bulk queries.
 */
import { addDays, type CompetencyResult, type ComplianceStatus } from './engine';
import { STATUS_NAMES, STATUSES } from './service';

/** One current member of staff as the lead's pages show them. */
export interface LeadPerson {
  staffId: string;
  name: string;
  jobTitle: string;
  team: string;
  groupNumber: number | null;
  status: ComplianceStatus;
  nextExpiry: string | null;
  /** The last day of their induction period; null when no start date is known. */
  inductionEnds: string | null;
  competencies: CompetencyResult[];
}

/** Compliance joined with each person's team and induction end (from their start date and the organisation's induction period). */
export function toLeadPeople(
  people: (Omit<LeadPerson, 'team' | 'inductionEnds'> & { team?: string })[],
  details: Map<string, { team: string; startDate: string | null }>,
  inductionDays: number,
): LeadPerson[] {
  // Many people share a start date: each induction end is worked out once (date arithmetic per person was a
  // large part of a big organisation's page).
  const inductionEndOf = new Map<string, string>();
  const inductionEnds = (start: string) => {
    let end = inductionEndOf.get(start);
    if (end === undefined) {
      end = addDays(start, inductionDays);
      inductionEndOf.set(start, end);
    }
    return end;
  };
  return people.map((p) => {
    const d = details.get(p.staffId);
    return {
      staffId: p.staffId,
      name: p.name,
      jobTitle: p.jobTitle,
      team: d?.team ?? p.team ?? '',
      groupNumber: p.groupNumber,
      status: p.status,
      nextExpiry: p.nextExpiry,
      inductionEnds: d?.startDate ? inductionEnds(d.startDate) : null,
      competencies: p.competencies,
    };
  });
}

/** The statuses a lead acts on, in the order the tables show them. */
export const COUNTED_STATUSES = ['compliant', 'due-soon', 'overdue', 'in-induction', 'not-started'] as const satisfies readonly ComplianceStatus[];
export type CountedStatus = (typeof COUNTED_STATUSES)[number];

/** The team value that stands for "no team recorded" in links and filters. */
export const NO_TEAM = '(none)';

/** One collator for every sort: names and teams in British dictionary order (built once; building one per comparison is slow). */
const collator = new Intl.Collator('en-GB');
/** ISO dates compare as plain strings. */
const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
export const UNMAPPED_GROUP = 'unmapped';

export interface CountRow {
  /** The filter value for links: a group number or 'unmapped', or a team name or NO_TEAM. */
  key: string;
  label: string;
  headcount: number;
  counts: Record<CountedStatus, number>;
  /** Staff not measured against the framework here: group not yet decided, or RCN intercollegiate. */
  other: number;
}

export function groupKey(groupNumber: number | null): string {
  return groupNumber == null ? UNMAPPED_GROUP : String(groupNumber);
}

export function groupLabel(key: string): string {
  return key === UNMAPPED_GROUP ? 'Group not yet decided' : `Group ${key}`;
}

export function teamKey(team: string): string {
  return team.trim() === '' ? NO_TEAM : team.trim();
}

export function teamLabel(key: string): string {
  return key === NO_TEAM ? 'No team recorded' : key;
}

function emptyRow(key: string, label: string): CountRow {
  return { key, label, headcount: 0, counts: { compliant: 0, 'due-soon': 0, overdue: 0, 'in-induction': 0, 'not-started': 0 }, other: 0 };
}

function addTo(row: CountRow, status: ComplianceStatus): void {
  row.headcount++;
  if ((COUNTED_STATUSES as readonly string[]).includes(status)) row.counts[status as CountedStatus]++;
  else row.other++;
}

/** Headcount and status counts per group (numerically, undecided last) or per team (alphabetically, no team last). */
export function countsBy(people: LeadPerson[], by: 'group' | 'team'): CountRow[] {
  const rows = new Map<string, CountRow>();
  for (const p of people) {
    const key = by === 'group' ? groupKey(p.groupNumber) : teamKey(p.team);
    let row = rows.get(key);
    if (!row) {
      row = emptyRow(key, by === 'group' ? groupLabel(key) : teamLabel(key));
      rows.set(key, row);
    }
    addTo(row, p.status);
  }
  const last = by === 'group' ? UNMAPPED_GROUP : NO_TEAM;
  return [...rows.values()].sort((a, b) => {
    if (a.key === last || b.key === last) return a.key === last ? 1 : -1;
    return by === 'group' ? Number(a.key) - Number(b.key) : collator.compare(a.label, b.label);
  });
}

/** The whole organisation as one row. */
export function totalRow(people: LeadPerson[]): CountRow {
  const row = emptyRow('', 'All staff');
  for (const p of people) addTo(row, p.status);
  return row;
}

export type SortKey = 'name' | 'status' | 'expiry' | 'team';
export const SORT_NAMES: Record<SortKey, string> = { name: 'Name', status: 'Status (most urgent first)', expiry: 'Next expiry (soonest first)', team: 'Team' };

export interface StaffFilter {
  group?: string;
  team?: string;
  status?: ComplianceStatus;
  /** A competency id: only people who need it and have not met it. */
  competency?: string;
}

export interface ListQuery {
  filter: StaffFilter;
  sort: SortKey;
  page: number;
}

export interface FieldError {
  text: string;
  href: string;
}

function one(value: unknown): string {
  const v = Array.isArray(value) ? value[0] : value;
  return typeof v === 'string' ? v.trim() : '';
}

/**
 * The staff list's query string, checked. A value that is not one of the
 * choices gets a message saying so and is left out of the filter, so the lead
 * still sees a list.
 */
export function parseListQuery(query: Record<string, unknown>, known: { competencyIds: string[] }): { query: ListQuery; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const filter: StaffFilter = {};
  const group = one(query.group);
  if (group) {
    if (group === UNMAPPED_GROUP || /^[1-9]\d?$/.test(group)) filter.group = group;
    else errors.push({ text: 'Select a group from the list', href: '#group' });
  }
  const team = one(query.team);
  if (team) {
    if (team.length <= 200) filter.team = team;
    else errors.push({ text: 'Select a team from the list', href: '#team' });
  }
  const status = one(query.status);
  if (status) {
    if ((STATUSES as string[]).includes(status)) filter.status = status as ComplianceStatus;
    else errors.push({ text: 'Select a status from the list', href: '#status' });
  }
  const competency = one(query.competency);
  if (competency) {
    if (known.competencyIds.includes(competency)) filter.competency = competency;
    else errors.push({ text: 'Select a competency from the list', href: '#competency' });
  }
  let sort: SortKey = 'name';
  const wantedSort = one(query.sort);
  if (wantedSort) {
    if (Object.hasOwn(SORT_NAMES, wantedSort)) sort = wantedSort as SortKey;
    else errors.push({ text: 'Select how to sort the list', href: '#sort' });
  }
  let page = 1;
  const wantedPage = one(query.page);
  if (wantedPage) {
    if (/^\d{1,6}$/.test(wantedPage) && Number(wantedPage) >= 1) page = Number(wantedPage);
    else errors.push({ text: 'The page number must be a whole number, 1 or more', href: '#results' });
  }
  return { query: { filter, sort, page }, errors };
}

/** The query string for a list with this filter (and sort and page, when not the defaults). */
export function listQueryString(filter: StaffFilter, extra: { sort?: SortKey; page?: number } = {}): string {
  const params = new URLSearchParams();
  if (filter.group) params.set('group', filter.group);
  if (filter.team) params.set('team', filter.team);
  if (filter.status) params.set('status', filter.status);
  if (filter.competency) params.set('competency', filter.competency);
  if (extra.sort && extra.sort !== 'name') params.set('sort', extra.sort);
  if (extra.page && extra.page > 1) params.set('page', String(extra.page));
  const text = params.toString();
  return text ? `?${text}` : '';
}

export function applyFilter(people: LeadPerson[], filter: StaffFilter): LeadPerson[] {
  return people.filter(
    (p) =>
      (!filter.group || groupKey(p.groupNumber) === filter.group) &&
      (!filter.team || teamKey(p.team) === filter.team) &&
      (!filter.status || p.status === filter.status) &&
      (!filter.competency || p.competencies.some((c) => c.competencyId === filter.competency && !c.met)),
  );
}

/** Most urgent first: who needs chasing, then who is on their way, then who is fine. */
const URGENCY: ComplianceStatus[] = ['overdue', 'not-started', 'in-induction', 'due-soon', 'compliant', 'unmapped', 'not-applicable', 'left'];

const byName = (a: LeadPerson, b: LeadPerson) => collator.compare(a.name, b.name) || byText(a.staffId, b.staffId);

export function sortPeople(people: LeadPerson[], sort: SortKey): LeadPerson[] {
  const compare: Record<SortKey, (a: LeadPerson, b: LeadPerson) => number> = {
    name: byName,
    status: (a, b) => URGENCY.indexOf(a.status) - URGENCY.indexOf(b.status) || byName(a, b),
    // Nobody's evidence expiring (nothing met yet) goes last.
    expiry: (a, b) => byText(a.nextExpiry ?? '9999', b.nextExpiry ?? '9999') || byName(a, b),
    team: (a, b) => {
      const ta = teamKey(a.team);
      const tb = teamKey(b.team);
      if (ta !== tb && (ta === NO_TEAM || tb === NO_TEAM)) return ta === NO_TEAM ? 1 : -1;
      return collator.compare(ta, tb) || byName(a, b);
    },
  };
  return [...people].sort(compare[sort]);
}

export const PAGE_SIZE = 50;

export interface Page<T> {
  items: T[];
  page: number;
  pageCount: number;
  total: number;
  /** 1-based positions of the first and last item shown (0 when empty). */
  from: number;
  to: number;
}

/** One page of a list; a page past the end shows the last page. */
export function paginate<T>(items: T[], page: number, size = PAGE_SIZE): Page<T> {
  const pageCount = Math.max(1, Math.ceil(items.length / size));
  const current = Math.min(Math.max(1, Math.floor(page)), pageCount);
  const start = (current - 1) * size;
  const shown = items.slice(start, start + size);
  return { items: shown, page: current, pageCount, total: items.length, from: shown.length ? start + 1 : 0, to: start + shown.length };
}

/** GOV.UK pagination: first, last, the current page and its neighbours, with ellipses for gaps. */
export function paginationItems(page: number, pageCount: number): ({ number: number; current: boolean } | { ellipsis: true })[] {
  const wanted = new Set([1, pageCount, page - 1, page, page + 1].filter((n) => n >= 1 && n <= pageCount));
  const numbers = [...wanted].sort((a, b) => a - b);
  const out: ({ number: number; current: boolean } | { ellipsis: true })[] = [];
  let previous = 0;
  for (const n of numbers) {
    if (n - previous > 1) out.push({ ellipsis: true });
    out.push({ number: n, current: n === page });
    previous = n;
  }
  return out;
}

/** "Group 1 competency 3", the way the framework is referred to on every page. */
export function competencyLabel(c: Pick<CompetencyResult, 'groupNumber' | 'number'>): string {
  return `Group ${c.groupNumber} competency ${c.number}`;
}

/** "Group 1 competencies 1, 2 and 4; Group 2 competency 3": a list of competencies, short enough to read in a table. */
export function summariseCompetencies(list: Pick<CompetencyResult, 'groupNumber' | 'number'>[]): string {
  const byGroup = new Map<number, number[]>();
  for (const c of list) byGroup.set(c.groupNumber, [...(byGroup.get(c.groupNumber) ?? []), c.number]);
  return [...byGroup.entries()]
    .sort(([a], [b]) => a - b)
    .map(([group, numbers]) => {
      const sorted = [...numbers].sort((a, b) => a - b);
      const words = sorted.length === 1 ? String(sorted[0]) : `${sorted.slice(0, -1).join(', ')} and ${sorted[sorted.length - 1]}`;
      return `Group ${group} ${sorted.length === 1 ? 'competency' : 'competencies'} ${words}`;
    })
    .join('; ');
}

export type ChaseReason = 'overdue' | 'induction-ending' | 'expiring';
export const CHASE_REASONS: Record<ChaseReason, string> = {
  overdue: 'Overdue',
  'induction-ending': 'Induction ends',
  expiring: 'Evidence expires',
};

export interface ChaseItem {
  person: LeadPerson;
  reason: ChaseReason;
  /** When it lapsed or lapses: the earliest expiry or the induction end; null when never achieved. */
  due: string | null;
  /** What they need, in the framework's words. */
  needs: CompetencyResult[];
}

/** What a chased person needs, in a few words (worked out only for the rows shown or downloaded). */
export function chaseNeeds(item: ChaseItem): string {
  const summary = summariseCompetencies(item.needs);
  return item.reason === 'expiring' ? `${summary} renewed` : summary;
}

/**
 * Who to chase this week: everyone overdue, and everyone whose evidence
 * expires or whose induction ends within `days` of today. Overdue people come
 * first, longest lapsed first (those with no date at all, who never had the
 * evidence and have no start date, before anyone), then everyone else by the
 * day they lapse.
 */
export function chaseList(people: LeadPerson[], today: string, days = 7): ChaseItem[] {
  const limit = addDays(today, days);
  const items: ChaseItem[] = [];
  // Plain loops: this runs over everyone in the organisation on every dashboard view, and most people need no chasing.
  for (const p of people) {
    if (p.status === 'overdue') {
      const unmet = p.competencies.filter((c) => !c.met);
      // The earliest of the lapsed competencies' expiry days and an induction that has ended.
      let due = p.inductionEnds && p.inductionEnds < today ? p.inductionEnds : null;
      for (const c of unmet) if (c.expires != null && (due == null || c.expires < due)) due = c.expires;
      items.push({ person: p, reason: 'overdue', due, needs: unmet });
    } else if (p.status === 'in-induction' && p.inductionEnds && p.inductionEnds <= limit) {
      items.push({ person: p, reason: 'induction-ending', due: p.inductionEnds, needs: p.competencies.filter((c) => !c.met) });
    } else if (p.status === 'compliant' || p.status === 'due-soon') {
      let due: string | null = null;
      for (const c of p.competencies) if (c.met && c.expires != null && c.expires <= limit && (due == null || c.expires < due)) due = c.expires;
      if (due != null)
        items.push({ person: p, reason: 'expiring', due, needs: p.competencies.filter((c) => c.met && c.expires != null && c.expires <= limit) });
    }
  }
  return items.sort(
    (a, b) => (a.reason === 'overdue' ? 0 : 1) - (b.reason === 'overdue' ? 0 : 1) || byText(a.due ?? '', b.due ?? '') || byName(a.person, b.person),
  );
}

/** The staff list's CSV columns, one row per person. */
export const STAFF_CSV_HEADER = ['Name', 'Job title', 'Team', 'Group', 'Status', 'Next expiry', 'Induction ends', 'Competencies not met'];

export function staffCsvRows(people: LeadPerson[]): string[][] {
  return people.map((p) => [
    p.name,
    p.jobTitle,
    p.team,
    p.groupNumber == null ? '' : String(p.groupNumber),
    STATUS_NAMES[p.status],
    p.nextExpiry ?? '',
    p.inductionEnds ?? '',
    summariseCompetencies(p.competencies.filter((c) => !c.met)),
  ]);
}

/** A counts table as CSV: the first column names the group or team. */
export function countsCsv(rows: CountRow[], by: 'group' | 'team'): { header: string[]; rows: string[][] } {
  return {
    header: [by === 'group' ? 'Group' : 'Team', ...COUNTED_STATUSES.map((s) => STATUS_NAMES[s]), 'Not measured', 'Headcount'],
    rows: rows.map((r) => [r.label, ...COUNTED_STATUSES.map((s) => String(r.counts[s])), String(r.other), String(r.headcount)]),
  };
}

export const CHASE_CSV_HEADER = ['Name', 'Team', 'Group', 'Why', 'Date', 'What they need'];

export function chaseCsvRows(items: ChaseItem[]): string[][] {
  return items.map((i) => [
    i.person.name,
    i.person.team,
    i.person.groupNumber == null ? '' : String(i.person.groupNumber),
    CHASE_REASONS[i.reason],
    i.due ?? '',
    chaseNeeds(i),
  ]);
}
