import { DateTime } from 'luxon';
import type { Pool } from 'pg';
import type { OrganisationScope } from '../../server/access';
import { type ComplianceResult, type ComplianceStatus, computeCompliance, type EvidenceItem, type FrameworkData, type Requirement, refresherMonthsFor, requirementsFor } from './engine';
import { asOf, findOrganisation, findStaff, groupOn, loadEvidenceOn, loadLineages, loadPublishedFramework, loadStaffOn, type OrganisationSettings, type StaffRow, unpackEvidence } from './store';

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

/** Today's calendar day in Europe/London. */
export function londonToday(): string {
  return DateTime.now().setZone('Europe/London').toISODate()!;
}

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
}

function computeFor(person: StaffRow, org: OrganisationSettings, framework: FrameworkData, evidence: EvidenceItem[], today: string, requirements?: Requirement[]): PersonCompliance {
  const result = computeCompliance({
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
  });
  return { staffId: person.id, name: person.name, jobTitle: person.jobTitle, organisationId: person.organisationId, groupNumber: person.groupNumber, ...result };
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
 * their status on that day: never a query per person. For today (or later)
 * that is three queries: the organisation, the framework (cached per
 * version), and the staff with their current evidence packed one row per
 * person (see the evidence module's current_evidence). For a past day it
 * answers as things stood then: staff in post then, each person's group then
 * (staff_group_history), and evidence recorded by the end of that day,
 * achieved by then, and not yet corrected or withdrawn by then.
 * Null when the organisation does not exist or is outside the caller's scope.
 */
export async function complianceForOrganisation(pool: Pool, scope: OrganisationScope, organisationId: string, today: string): Promise<OrganisationCompliance | null> {
  const org = await findOrganisation(pool, scope, { id: organisationId });
  if (!org) return null;
  const on = asOf(today, londonToday());
  const [framework, lineageOf, staff, evidence] = await Promise.all([
    loadPublishedFramework(pool),
    loadLineages(pool),
    loadStaffOn(pool, org.id, on),
    on.current ? null : loadEvidenceOn(pool, { organisationId: org.id }, on),
  ]);
  const byStaff = new Map<string, EvidenceItem[]>();
  for (const e of evidence ?? []) {
    const list = byStaff.get(e.staffId);
    if (list) list.push(e);
    else byStaff.set(e.staffId, [e]);
  }
  // The requirements of each group are worked out once, not once per person.
  const byGroup = new Map<number | null, Requirement[]>();
  const requirementsOf = (g: number | null) => {
    const known = byGroup.get(g);
    if (known) return known;
    const computed = requirementsFor(framework, g);
    byGroup.set(g, computed);
    return computed;
  };
  // Evidence is unpacked only for people it can matter to (not the undecided, nor anyone outside the framework).
  const measured = !outsideFramework(org);
  const people = staff.map((p) => {
    const items = evidence ? (byStaff.get(p.id) ?? []) : measured && p.groupNumber != null ? unpackEvidence(p.items, lineageOf) : [];
    return computeFor(p, org, framework, items, today, requirementsOf(p.groupNumber));
  });
  const byStatus: Record<string, number> = Object.fromEntries(STATUSES.map((s) => [s, 0]));
  const countsByGroup: Record<string, Record<string, number>> = {};
  for (const p of people) {
    byStatus[p.status]++;
    const g = p.groupNumber == null ? 'unmapped' : String(p.groupNumber);
    countsByGroup[g] ??= Object.fromEntries(STATUSES.map((s) => [s, 0]));
    countsByGroup[g][p.status]++;
  }
  return { organisation: { id: org.id, slug: org.slug, name: org.name }, today, people, counts: { total: people.length, byStatus, byGroup: countsByGroup } };
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
