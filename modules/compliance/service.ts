import type { Pool } from 'pg';
import type { OrganisationScope } from '../../server/access';
import { cachePerProduct, keptBy } from '../../server/cache';
import { londonToday } from '../../server/london';
import {
  type ComplianceInput,
  type ComplianceResult,
  type ComplianceStatus,
  computeCompliance,
  type DayCalendar,
  dayCalendarForRun,
  type EvidenceItem,
  type FrameworkData,
  type Requirement,
  requirementsFor,
  resultHoldsUntil,
} from './engine';
import { refresherMonthsFor } from '../organisations/api';
import {
  countKept,
  type HeldSince,
  NO_EVIDENCE_IDS,
  keepDay,
  keepResults,
  keptSnapshot,
  loadKeptDays,
  type ResultToKeep,
  settleOutOfPost,
  unpackCompetencies,
} from './kept';
import {
  type AsOf,
  asOf,
  findOrganisation,
  findStaff,
  groupOn,
  isWanted,
  loadCurrentItems,
  loadEvidenceOn,
  loadLineages,
  loadPublishedFramework,
  loadStaffOn,
  type OrganisationSettings,
  type PeopleWanted,
  type StaffRow,
  unpackEvidence,
} from './store';

export const STATUSES: ComplianceStatus[] = ['compliant', 'due-soon', 'overdue', 'in-induction', 'not-started', 'unmapped', 'not-applicable', 'left'];

export const STATUS_NAMES: Record<ComplianceStatus, string> = {
  compliant: 'Compliant',
  'due-soon': 'Due soon',
  overdue: 'Overdue',
  'in-induction': 'In induction',
  'not-started': 'Not started',
  left: 'Left',
  unmapped: 'Group not yet decided',
  'not-applicable': 'Not applicable (RCN intercollegiate)',
};

export { londonToday };

/**
 * RCN intercollegiate rule: an organisation that sets uses_rcn_intercollegiate
 * (a health organisation training its clinical staff to the RCN
 * intercollegiate documents) has its staff measured there, not against the
 * LDF, so they are 'not-applicable' here and left out of LDF figures. The
 * setting is per organisation because staff records carry no clinical flag.
 */
export function outsideFramework(org: Pick<OrganisationSettings, 'usesRcnIntercollegiate'>): boolean {
  return org.usesRcnIntercollegiate;
}

export interface PersonCompliance extends ComplianceResult {
  staffId: string;
  name: string;
  jobTitle: string;
  organisationId: string;
  groupNumber: number | null;
  team: string;
  startDate: string | null;
}

function inputFor(
  person: StaffRow,
  org: OrganisationSettings,
  framework: FrameworkData,
  evidence: EvidenceItem[],
  today: string,
  requirements?: Requirement[],
): ComplianceInput {
  return {
    groupNumber: person.groupNumber,
    requirements: requirements ?? requirementsFor(framework, person.groupNumber),
    evidence,
    refresherMonths: refresherMonthsFor(org.refresherMonths, person.groupNumber),
    dueSoonDays: org.dueSoonDays,
    inductionDays: org.inductionDays,
    startDate: person.startDate,
    leavingDate: person.leavingDate,
    today,
    outsideFramework: outsideFramework(org),
  };
}

function withPerson(person: StaffRow, result: ComplianceResult): PersonCompliance {
  return {
    staffId: person.id,
    name: person.name,
    jobTitle: person.jobTitle,
    organisationId: person.organisationId,
    groupNumber: person.groupNumber,
    team: person.team ?? '',
    startDate: person.startDate,
    status: result.status,
    competencies: result.competencies,
    nextExpiry: result.nextExpiry,
  };
}

function computeFor(
  person: StaffRow,
  org: OrganisationSettings,
  framework: FrameworkData,
  evidence: EvidenceItem[],
  today: string,
  requirements?: Requirement[],
  calendar?: DayCalendar,
): PersonCompliance {
  return withPerson(person, computeCompliance(inputFor(person, org, framework, evidence, today, requirements), calendar));
}

export interface OrganisationCompliance {
  organisation: { id: string; slug: string; name: string };
  today: string;
  people: PersonCompliance[];
  counts: {
    total: number;
    byStatus: Record<string, number>;
    /** group number (or 'unmapped') -> status -> count */
    byGroup: Record<string, Record<string, number>>;
  };
}

/**
 * Every member of staff of one organisation in post on the day `today`, with
 * their status on that day: never a query per person. People's competencies
 * here carry no evidence ids (complianceForStaff has them).
 *
 * For today (or later) most people's results are read back as kept (see
 * kept.ts and this module's migrations), in the same statement as the staff
 * themselves; only people
 * whose result is missing or no longer holds are worked out again from their
 * current evidence, and written back. For a past day it answers as things
 * stood then: staff in post then, each person's group then
 * (staff_group_history), and evidence recorded by the end of that day,
 * achieved by then, and not yet corrected or withdrawn by then.
 * Null when the organisation does not exist or is outside the caller's scope.
 */
export async function complianceForOrganisation(
  pool: Pool,
  scope: OrganisationScope,
  organisationId: string,
  today: string,
): Promise<OrganisationCompliance | null> {
  const org = await findOrganisation(pool, scope, { id: organisationId });
  if (!org) return null;
  const on = asOf(today, londonToday());
  if (!on.current) return (await workOut(pool, org, today, on, await loadPublishedFramework(pool))).result;
  const held = keptBy(pool, HELD_RESULTS).get(org.id);
  // Taken before the results are read, so a change committed in between makes the next request read them again.
  const [framework, now] = await Promise.all([loadPublishedFramework(pool), keptSnapshot(pool, org.id, held?.since ?? null)]);
  const key = heldKey(today, framework.id, now.table);
  if (held?.key === key && now.holds) {
    return { organisation: { id: org.id, slug: org.slug, name: org.name }, today, people: [...held.people], counts: structuredClone(held.counts) };
  }
  const { result, written } = await workOut(pool, org, today, on, framework);
  hold(pool, org.id, { key, since: { snapshot: now.snapshot, written }, people: result.people, counts: result.counts });
  return { ...result, people: [...result.people], counts: structuredClone(result.counts) };
}

/**
 * Today's results (as complianceForOrganisation's) of only the people
 * `wanted` asks for, in name order: what the daily reminder scan needs, which
 * reminds only people overdue, with something expiring soon, or new. The
 * rest are not read at all, unless their kept result no longer holds: then
 * they are worked out again and kept, as a whole-organisation read would,
 * and answered only if they turn out to be wanted. From memory when the
 * server holds the whole organisation's results and they still hold.
 */
export async function complianceOfPeopleWanted(
  pool: Pool,
  scope: OrganisationScope,
  organisationId: string,
  today: string,
  wanted: PeopleWanted,
): Promise<PersonCompliance[] | null> {
  const org = await findOrganisation(pool, scope, { id: organisationId });
  if (!org) return null;
  const on = asOf(today, londonToday());
  const framework = await loadPublishedFramework(pool);
  const held = on.current ? keptBy(pool, HELD_RESULTS).get(org.id) : undefined;
  if (held?.key.startsWith(heldKey(today, framework.id, ''))) {
    const now = await keptSnapshot(pool, org.id, held.since);
    if (held.key === heldKey(today, framework.id, now.table) && now.holds) return held.people.filter((p) => isWanted(wanted, p));
  }
  const { result } = await workOut(pool, org, today, on, framework, wanted);
  return result.people.filter((p) => isWanted(wanted, p));
}

/**
 * Works out, keeps and holds today's results of everyone in the organisation
 * whose kept result is missing or no longer holds: the organisation's first
 * page view's own work, done by the background job after a bulk load
 * (working-out.ts). A server that runs its own jobs (the default) then
 * answers the lead's first view from memory; any other reads what was kept.
 * False when the organisation no longer exists.
 */
export async function workOutOrganisation(pool: Pool, organisationId: string, today: string): Promise<boolean> {
  return (await complianceForOrganisation(pool, { kind: 'all' }, organisationId, today)) !== null;
}

/**
 * Whole-organisation results for the current day held in memory by each
 * product, by organisation id, with the day and framework they were worked
 * out for and the snapshot they were read at. Every change to anything a
 * result shows writes the organisation's kept results (this module's
 * migrations), which leaves a mark that snapshot cannot see (kept.ts
 * keptSnapshot). A request checks them with one small query and skips
 * reading the organisation's people when nothing has changed. Bounded by the
 * number of people held; each server process holds its own, and the check
 * makes that safe with several.
 */
/** What held results were worked out for: the day, the framework, and the storage of the kept results (a restore changes it). */
function heldKey(today: string, frameworkId: string | null, table: number | ''): string {
  return `${today} ${frameworkId} ${table}`;
}

interface HeldResult {
  key: string;
  since: HeldSince;
  people: PersonCompliance[];
  counts: OrganisationCompliance['counts'];
}
// About 2 KB a person with their per-competency results: at most some 60 MB, enough for the largest organisation of the benchmark partnership (24,586).
const HELD_PEOPLE_LIMIT = 30_000;
const HELD_RESULTS = cachePerProduct<string, HeldResult>('whole-organisation compliance', { max: HELD_PEOPLE_LIMIT, weight: (held) => held.people.length });

/** Lets go of every organisation the product holds in memory (benchmarks time reading the kept results from the database with it). */
export function releaseHeldResults(pool: Pool): void {
  keptBy(pool, HELD_RESULTS).clear();
}

function hold(pool: Pool, organisationId: string, held: HeldResult): void {
  // Shared by every request that reads them: frozen, so a caller that changed one would fail loudly rather than change the next answer.
  for (const p of held.people) {
    Object.freeze(p.competencies);
    Object.freeze(p);
  }
  keptBy(pool, HELD_RESULTS).set(organisationId, held);
}

async function workOut(
  pool: Pool,
  org: OrganisationSettings,
  today: string,
  on: AsOf,
  framework: FrameworkData & { id: string | null },
  wanted?: PeopleWanted,
): Promise<{ result: OrganisationCompliance; written: string[] }> {
  const [staff, evidence, settled] = await Promise.all([
    loadStaffOn(pool, org.id, on, framework.id, wanted),
    on.current ? null : loadEvidenceOn(pool, { organisationId: org.id }, on),
    // Beside the read rather than after it: it writes only people out of post, whom the read leaves out.
    on.current ? settleOutOfPost(pool, org.id, on.end, today, framework.id) : null,
  ]);
  const calendar = dayCalendarForRun();
  // The requirements of each group are worked out once, not once per person.
  const byGroup = new Map<number | null, Requirement[]>();
  const requirementsOf = (g: number | null) => {
    const known = byGroup.get(g);
    if (known) return known;
    const computed = requirementsFor(framework, g);
    byGroup.set(g, computed);
    return computed;
  };
  let people: PersonCompliance[];
  // The transactions that wrote this organisation's kept results from what was read here.
  const written: string[] = [];
  if (on.current) {
    people = new Array(staff.length);
    const again: number[] = [];
    const noRequirements: ComplianceStatus[] = ['left', 'unmapped', 'not-applicable'];
    staff.forEach((p, i) => {
      const k = p.kept;
      // Kept for this person's group, dates and evidence as read (the same statement) and this framework, and holding today.
      if (k?.status && k.fresh) {
        const competencies = noRequirements.includes(k.status) ? [] : unpackCompetencies(k.competencies ?? '', requirementsOf(p.groupNumber));
        if (competencies) {
          people[i] = withPerson(p, { status: k.status, nextExpiry: k.nextExpiry, competencies });
          return;
        }
      }
      again.push(i);
    });
    if (again.length) {
      // Read after the stamps: evidence recorded since moved the stamp on, so what is worked out here from older evidence is not kept.
      const measured = !outsideFramework(org);
      const [items, lineageOf] = await Promise.all([
        loadCurrentItems(pool, measured ? again.filter((i) => staff[i].groupNumber != null).map((i) => staff[i].id) : []),
        loadLineages(pool),
      ]);
      const toKeep: ResultToKeep[] = [];
      for (const i of again) {
        const p = staff[i];
        const input = inputFor(p, org, framework, unpackEvidence(items.get(p.id), lineageOf), today, requirementsOf(p.groupNumber));
        const result = computeCompliance(input, calendar);
        toKeep.push({ staffId: p.id, stamp: p.kept?.stamp ?? null, result, freshUntil: resultHoldsUntil(input, result, calendar) });
        people[i] = withPerson(p, { ...result, competencies: result.competencies.map((c) => ({ ...c, evidenceIds: NO_EVIDENCE_IDS })) });
      }
      written.push(...(await keepResults(pool, org.id, today, framework.id, toKeep)));
    }
    if (settled) written.push(settled);
  } else {
    const byStaff = new Map<string, EvidenceItem[]>();
    for (const e of evidence ?? []) {
      const list = byStaff.get(e.staffId);
      if (list) list.push(e);
      else byStaff.set(e.staffId, [e]);
    }
    people = staff.map((p) => {
      const person = computeFor(p, org, framework, byStaff.get(p.id) ?? [], today, requirementsOf(p.groupNumber), calendar);
      return { ...person, competencies: person.competencies.map((c) => ({ ...c, evidenceIds: [] })) };
    });
  }
  return { result: { organisation: { id: org.id, slug: org.slug, name: org.name }, today, people, counts: countPeople(people) }, written };
}

/** Headcount by status, and by group and status. */
export function countPeople(people: { groupNumber: number | null; status: ComplianceStatus }[]): OrganisationCompliance['counts'] {
  const byStatus: Record<string, number> = Object.fromEntries(STATUSES.map((s) => [s, 0]));
  const countsByGroup: Record<string, Record<string, number>> = {};
  for (const p of people) {
    byStatus[p.status]++;
    const g = p.groupNumber == null ? 'unmapped' : String(p.groupNumber);
    countsByGroup[g] ??= Object.fromEntries(STATUSES.map((s) => [s, 0]));
    countsByGroup[g][p.status]++;
  }
  return { total: people.length, byStatus, byGroup: countsByGroup };
}

/**
 * Every organisation's counts (as complianceForOrganisation's) on the day,
 * by organisation id: the board's figures. For the current day these are
 * each organisation's tally of its kept results (counted again only where
 * they were written since: kept.ts countKept); only an organisation with
 * someone whose kept result is missing or no longer holds is worked out
 * (and kept) again.
 * A past day is worked out per organisation, and kept (countsOnDays).
 */
export async function countsForOrganisations(pool: Pool, day: string): Promise<Map<string, OrganisationCompliance['counts']>> {
  const on = asOf(day, londonToday());
  const [{ rows: orgs }, framework] = await Promise.all([pool.query<{ id: string }>('select id from member_organisations'), loadPublishedFramework(pool)]);
  const out = new Map<string, OrganisationCompliance['counts']>();
  const again: string[] = [];
  if (on.current) {
    const { counts, stale } = await countKept(
      pool,
      orgs.map((o) => o.id),
      on.end,
      on.date,
      framework.id,
    );
    for (const o of orgs) out.set(o.id, countPeople([]));
    for (const r of counts) {
      const c = out.get(r.organisationId);
      if (!c || stale.has(r.organisationId)) continue; // worked out below
      const g = r.groupNumber == null ? 'unmapped' : String(r.groupNumber);
      c.total += r.n;
      c.byStatus[r.status] += r.n;
      c.byGroup[g] ??= Object.fromEntries(STATUSES.map((st) => [st, 0]));
      c.byGroup[g][r.status] += r.n;
    }
    again.push(...[...stale].filter((id) => out.has(id)));
  } else {
    again.push(...orgs.map((o) => o.id));
  }
  // A few organisations at a time: enough to use several connections, never the whole pool.
  let next = 0;
  const worker = async () => {
    while (next < again.length) {
      const id = again[next++];
      const counts = on.current
        ? (await complianceForOrganisation(pool, { kind: 'all' }, id, day))?.counts
        : (await countsOnDays(pool, { kind: 'all' }, id, [day]))?.get(day);
      if (counts) out.set(id, counts);
    }
  };
  await Promise.all(Array.from({ length: Math.min(4, again.length) }, worker));
  return out;
}

/**
 * An organisation's counts (as complianceForOrganisation's) on each of the
 * days given, by day. A day before today is kept once worked out (it changes
 * only when something is recorded with an earlier date, and then the kept
 * day is dropped: migration 002); today is read as above.
 */
export async function countsOnDays(
  pool: Pool,
  scope: OrganisationScope,
  organisationId: string,
  days: string[],
): Promise<Map<string, OrganisationCompliance['counts']> | null> {
  const org = await findOrganisation(pool, scope, { id: organisationId });
  if (!org) return null;
  const today = londonToday();
  const framework = await loadPublishedFramework(pool);
  const past = days.filter((d) => d < today);
  const kept = await loadKeptDays(pool, org.id, past, framework.id);
  const out = new Map<string, OrganisationCompliance['counts']>();
  // One after another: each is a handful of bulk queries, and running several at once would only queue on the pool.
  for (const day of days) {
    const known = kept.get(day) as OrganisationCompliance['counts'] | undefined;
    if (known) {
      out.set(day, known);
      continue;
    }
    const readAt = new Date();
    const result = await complianceForOrganisation(pool, scope, org.id, day);
    if (!result) return null;
    out.set(day, result.counts);
    if (day < today) await keepDay(pool, org.id, day, framework.id, result.counts, readAt);
  }
  return out;
}

/**
 * One person's compliance on the day `today` (for a past day, with their group
 * and evidence as they stood then, as for complianceForOrganisation); null
 * when they do not exist or are outside the scope (answer 404).
 */
export async function complianceForStaff(pool: Pool, scope: OrganisationScope, staffId: string, today: string): Promise<PersonCompliance | null> {
  const person = await findStaff(pool, scope, staffId);
  if (!person) return null;
  const on = asOf(today, londonToday());
  const [org, framework, evidence, groupNumber] = await Promise.all([
    findOrganisation(pool, { kind: 'all' }, { id: person.organisationId }),
    loadPublishedFramework(pool),
    loadEvidenceOn(pool, { staffId: person.id }, on),
    on.current ? person.groupNumber : groupOn(pool, person.id, on),
  ]);
  if (!org) return null;
  return computeFor({ ...person, groupNumber }, org, framework, evidence, today);
}

/** The refresher interval that applies to a person: their organisation's setting for their group, or the default. */
export async function refresherMonthsOf(pool: Pool, person: { organisationId: string; groupNumber: number | null }): Promise<number> {
  const org = await findOrganisation(pool, { kind: 'all' }, { id: person.organisationId });
  return refresherMonthsFor(org?.refresherMonths, person.groupNumber);
}
