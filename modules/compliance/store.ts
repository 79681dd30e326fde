import type { Pool } from 'pg';
import { type OrganisationScope, scopeIncludes } from '../../server/access';
import type { EvidenceItem, FrameworkData } from './engine';

/** The published framework, as the engine needs it (two queries, once per computation). */
export async function loadPublishedFramework(pool: Pool): Promise<FrameworkData & { id: string | null }> {
  const { rows: f } = await pool.query<{ id: string }>(`select id from frameworks where status = 'published' limit 1`);
  if (!f[0]) return { id: null, groups: [], competencies: [] };
  const [groups, competencies] = await Promise.all([
    pool.query<{ number: number; includes_groups: number[] }>('select number, includes_groups from staff_groups where framework_id = $1', [f[0].id]),
    pool.query<{ id: string; lineage: string; group_number: number; number: number; text: string; retired: boolean }>(
      'select id, lineage, group_number, number, text, retired from competencies where framework_id = $1',
      [f[0].id],
    ),
  ]);
  return {
    id: f[0].id,
    groups: groups.rows.map((g) => ({ number: g.number, includesGroups: g.includes_groups ?? [] })),
    competencies: competencies.rows.map((c) => ({ id: c.id, lineage: c.lineage, groupNumber: c.group_number, number: c.number, text: c.text, retired: c.retired })),
  };
}

export interface OrganisationSettings {
  id: string;
  slug: string;
  name: string;
  sector: string;
  refresherMonths: Record<string, number>;
  dueSoonDays: number;
  inductionDays: number;
  usesRcnIntercollegiate: boolean;
}

const ORG_COLUMNS = `id, slug, name, sector, refresher_months as "refresherMonths", due_soon_days as "dueSoonDays",
  induction_days as "inductionDays", uses_rcn_intercollegiate as "usesRcnIntercollegiate"`;

/** An organisation inside the scope, by id or slug; null when it does not exist or is out of scope. */
export async function findOrganisation(pool: Pool, scope: OrganisationScope, by: { id?: string; slug?: string }): Promise<OrganisationSettings | null> {
  const { rows } = by.id
    ? await pool.query<OrganisationSettings>(`select ${ORG_COLUMNS} from organisations where id::text = $1`, [by.id])
    : await pool.query<OrganisationSettings>(`select ${ORG_COLUMNS} from organisations where slug = $1`, [by.slug ?? '']);
  return rows[0] && scopeIncludes(scope, rows[0].id) ? rows[0] : null;
}

export async function listOrganisations(pool: Pool, scope: OrganisationScope): Promise<OrganisationSettings[]> {
  const { rows } = await pool.query<OrganisationSettings>(`select ${ORG_COLUMNS} from organisations order by name`);
  return rows.filter((o) => scopeIncludes(scope, o.id));
}

export interface StaffRow {
  id: string;
  organisationId: string;
  userId: string | null;
  name: string;
  jobTitle: string;
  team: string;
  groupNumber: number | null;
  startDate: string | null;
  leavingDate: string | null;
}

const STAFF_COLUMNS = `s.id, s.organisation_id as "organisationId", s.user_id as "userId", s.name, s.job_title as "jobTitle", s.team,
  s.group_number as "groupNumber", s.start_date as "startDate", s.leaving_date as "leavingDate"`;

/** Current staff of one organisation: leavers drop out from their leaving date. */
export async function loadCurrentStaff(pool: Pool, organisationId: string, today: string): Promise<StaffRow[]> {
  const { rows } = await pool.query<StaffRow>(
    `select ${STAFF_COLUMNS} from staff s where s.organisation_id = $1 and (s.leaving_date is null or s.leaving_date > $2) order by s.name, s.id`,
    [organisationId, today],
  );
  return rows;
}

export async function findStaff(pool: Pool, scope: OrganisationScope, staffId: string): Promise<StaffRow | null> {
  const { rows } = await pool.query<StaffRow>(`select ${STAFF_COLUMNS} from staff s where s.id::text = $1`, [staffId]);
  return rows[0] && scopeIncludes(scope, rows[0].organisationId) ? rows[0] : null;
}

/**
 * Current evidence (not withdrawn, not replaced by a correction) with its
 * competency's lineage, for all staff of an organisation or for one person.
 * Lineages are looked up in memory (competencies of every framework version
 * are few), which keeps the big query to the evidence and staff tables.
 */
export async function loadCurrentEvidence(pool: Pool, by: { organisationId: string } | { staffId: string }): Promise<(EvidenceItem & { staffId: string })[]> {
  const filter = 'organisationId' in by ? 'e.staff_id in (select id from staff where organisation_id = $1)' : 'e.staff_id = $1';
  const [lineages, evidence] = await Promise.all([
    pool.query<{ id: string; lineage: string }>('select id, lineage from competencies'),
    pool.query<{ id: string; staffId: string; competencyId: string; achievedOn: string }>(
      `select e.id, e.staff_id as "staffId", e.competency_id as "competencyId", e.achieved_on as "achievedOn"
         from evidence e
        where ${filter} and not e.withdrawn
          and not exists (select 1 from evidence r where r.replaces_id = e.id)`,
      ['organisationId' in by ? by.organisationId : by.staffId],
    ),
  ]);
  const lineageOf = new Map(lineages.rows.map((c) => [c.id, c.lineage]));
  return evidence.rows.map((e) => ({ id: e.id, staffId: e.staffId, lineage: lineageOf.get(e.competencyId) ?? '', achievedOn: e.achievedOn }));
}
