import { DateTime } from 'luxon';
import type { Pool } from 'pg';
import type { OrganisationScope } from '../../server/access';
import { type ComplianceResult, type ComplianceStatus, computeCompliance, type EvidenceItem, type FrameworkData, type Requirement, refresherMonthsFor, requirementsFor } from './engine';
import { findOrganisation, findStaff, loadCurrentEvidence, loadCurrentStaff, loadPublishedFramework, type OrganisationSettings, type StaffRow } from './store';

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
 * Every current member of staff of one organisation, in four bulk queries
 * (framework x2, staff, evidence) and one pass in memory: never a query per person.
 * Null when the organisation does not exist or is outside the caller's scope.
 */
export async function complianceForOrganisation(pool: Pool, scope: OrganisationScope, organisationId: string, today: string): Promise<OrganisationCompliance | null> {
  const org = await findOrganisation(pool, scope, { id: organisationId });
  if (!org) return null;
  const [framework, staff, evidence] = await Promise.all([loadPublishedFramework(pool), loadCurrentStaff(pool, org.id, today), loadCurrentEvidence(pool, { organisationId: org.id })]);
  const byStaff = new Map<string, EvidenceItem[]>();
  for (const e of evidence) {
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
  const people = staff.map((p) => computeFor(p, org, framework, byStaff.get(p.id) ?? [], today, requirementsOf(p.groupNumber)));
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

/** One person's compliance; null when they do not exist or are outside the scope (answer 404). */
export async function complianceForStaff(pool: Pool, scope: OrganisationScope, staffId: string, today: string): Promise<PersonCompliance | null> {
  const person = await findStaff(pool, scope, staffId);
  if (!person) return null;
  const org = await findOrganisation(pool, { kind: 'all' }, { id: person.organisationId });
  if (!org) return null;
  const [framework, evidence] = await Promise.all([loadPublishedFramework(pool), loadCurrentEvidence(pool, { staffId: person.id })]);
  return computeFor(person, org, framework, evidence, today);
}
