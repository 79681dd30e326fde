import type { Pool, PoolClient } from 'pg';
import { type OrganisationScope, scopeCondition } from '../../server/access';
import type { EvidenceItem, FrameworkData } from '../compliance/api';

type Queryable = Pool | PoolClient;

export interface CompetencySnapshot {
  groupNumber: number;
  number: number;
  text: string;
}

export interface Certificate {
  id: string;
  code: string;
  kind: 'course' | 'framework';
  staffId: string;
  organisationId: string;
  courseId: string | null;
  groupNumber: number | null;
  achievement: string;
  competencies: CompetencySnapshot[];
  personName: string;
  organisationName: string;
  partnershipName: string;
  issuedOn: string;
  expiresOn: string | null;
  status: 'valid' | 'revoked';
  revokedReason: string | null;
  revokedAt: Date | null;
  replacesId: string | null;
  replacedBy: string | null;
  reissueReason: string | null;
  team: string;
}

const COLUMNS = `c.id, c.code, c.kind, c.staff_id, c.organisation_id, c.course_id, c.group_number, c.achievement, c.competencies,
  c.person_name, c.organisation_name, c.partnership_name, c.issued_on, c.expires_on, c.status, c.revoked_reason, c.revoked_at,
  c.replaces_id, c.replaced_by, c.reissue_reason, s.team`;

// biome-ignore lint/suspicious/noExplicitAny: a database row
function toCertificate(r: any): Certificate {
  return {
    id: r.id,
    code: r.code,
    kind: r.kind,
    staffId: r.staff_id,
    organisationId: r.organisation_id,
    courseId: r.course_id,
    groupNumber: r.group_number,
    achievement: r.achievement,
    competencies: r.competencies,
    personName: r.person_name,
    organisationName: r.organisation_name,
    partnershipName: r.partnership_name,
    issuedOn: r.issued_on,
    expiresOn: r.expires_on,
    status: r.status,
    revokedReason: r.revoked_reason,
    revokedAt: r.revoked_at,
    replacesId: r.replaces_id,
    replacedBy: r.replaced_by,
    reissueReason: r.reissue_reason,
    team: r.team ?? '',
  };
}

export interface NewCertificate {
  code: string;
  kind: 'course' | 'framework';
  staffId: string;
  organisationId: string;
  courseId: string | null;
  groupNumber: number | null;
  achievementKey: string;
  achievement: string;
  competencies: CompetencySnapshot[];
  personName: string;
  organisationName: string;
  partnershipName: string;
  issuedOn: string;
  expiresOn: string | null;
  replacesId?: string | null;
  reissueReason?: string | null;
  issuedBy?: string | null;
}

/** Inserts a certificate unless this achievement already has one; returns the new id, or null when it existed. */
export async function insertCertificate(client: Queryable, c: NewCertificate): Promise<string | null> {
  const { rows } = await client.query<{ id: string }>(
    `insert into certificates (code, kind, staff_id, organisation_id, course_id, group_number, achievement_key, achievement, competencies,
        person_name, organisation_name, partnership_name, issued_on, expires_on, replaces_id, reissue_reason, issued_by)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
     on conflict (staff_id, kind, achievement_key) where replaces_id is null do nothing
     returning id`,
    [
      c.code,
      c.kind,
      c.staffId,
      c.organisationId,
      c.courseId,
      c.groupNumber,
      c.achievementKey,
      c.achievement,
      JSON.stringify(c.competencies),
      c.personName,
      c.organisationName,
      c.partnershipName,
      c.issuedOn,
      c.expiresOn,
      c.replacesId ?? null,
      c.reissueReason ?? null,
      c.issuedBy ?? null,
    ],
  );
  return rows[0]?.id ?? null;
}

export interface PersonFacts {
  staffId: string;
  personName: string;
  organisationId: string;
  organisationName: string;
  groupNumber: number | null;
  refresherMonths: Record<string, number>;
  partnershipName: string;
}

export async function personFacts(client: Queryable, staffId: string): Promise<PersonFacts | undefined> {
  const { rows } = await client.query(
    `select s.id, s.name, s.organisation_id, o.name as organisation_name, s.group_number, o.refresher_months,
            coalesce((select name from partnership_profile where id = 1), 'Domestic Abuse Partnership') as partnership_name
       from staff_members s join member_organisations o on o.id = s.organisation_id
      where s.id = $1`,
    [staffId],
  );
  const r = rows[0];
  if (!r) return undefined;
  return {
    staffId: r.id,
    personName: r.name,
    organisationId: r.organisation_id,
    organisationName: r.organisation_name,
    groupNumber: r.group_number,
    refresherMonths: r.refresher_months ?? {},
    partnershipName: r.partnership_name,
  };
}

export async function courseFacts(
  client: Queryable,
  courseId: string,
): Promise<{ title: string; validityMonths: number | null; competencies: CompetencySnapshot[] } | undefined> {
  const { rows } = await client.query<{ title: string; validity_months: number | null }>('select title, validity_months from course_catalogue where id = $1', [
    courseId,
  ]);
  if (!rows[0]) return undefined;
  const { rows: comps } = await client.query<{ group_number: number; number: number; text: string }>(
    `select c.group_number, c.number, c.text
       from course_catalogue_competencies cc
       join framework_competencies c on c.lineage = cc.competency_lineage and not c.retired
       join framework_versions f on f.id = c.framework_id and f.status = 'published'
      where cc.course_id = $1
      order by c.group_number, c.number`,
    [courseId],
  );
  return {
    title: rows[0].title,
    validityMonths: rows[0].validity_months,
    competencies: comps.map((c) => ({ groupNumber: c.group_number, number: c.number, text: c.text })),
  };
}

export interface GroupDefinition {
  number: number;
  name: string;
  level: string;
  includesGroups: number[];
}

/** The published framework's groups and competencies, in the shape the compliance engine takes. */
export type PublishedFramework = { groups: GroupDefinition[]; competencies: FrameworkData['competencies'] };

export async function publishedFramework(client: Queryable): Promise<PublishedFramework> {
  const { rows: groups } = await client.query<{ number: number; name: string; level: string; includes_groups: number[] }>(
    `select g.number, g.name, g.level, g.includes_groups
       from framework_staff_groups g join framework_versions f on f.id = g.framework_id and f.status = 'published'
      order by g.number`,
  );
  const { rows: competencies } = await client.query<{ id: string; lineage: string; group_number: number; number: number; text: string; retired: boolean }>(
    `select c.id, c.lineage, c.group_number, c.number, c.text, c.retired
       from framework_competencies c join framework_versions f on f.id = c.framework_id and f.status = 'published'`,
  );
  return {
    groups: groups.map((r) => ({ number: r.number, name: r.name, level: r.level, includesGroups: r.includes_groups })),
    competencies: competencies.map((c) => ({ id: c.id, lineage: c.lineage, groupNumber: c.group_number, number: c.number, text: c.text, retired: c.retired })),
  };
}

/** A person's evidence that still stands (withdrawn entries and entries corrected by a later one left out), by competency lineage. */
export async function standingEvidence(client: Queryable, staffId: string): Promise<EvidenceItem[]> {
  const { rows } = await client.query<{ id: string; lineage: string; achieved_on: string }>(
    `select e.id, c.lineage, e.achieved_on
       from evidence_entries e join framework_competencies c on c.id = e.competency_id
      where e.staff_id = $1 and not e.withdrawn
        and not exists (select 1 from evidence_entries later where later.replaces_id = e.id)`,
    [staffId],
  );
  return rows.map((r) => ({ id: r.id, lineage: r.lineage, achievedOn: r.achieved_on }));
}

export async function staffGroup(client: Queryable, staffId: string): Promise<number | null> {
  const { rows } = await client.query<{ group_number: number | null }>('select group_number from staff_members where id = $1', [staffId]);
  return rows[0]?.group_number ?? null;
}

/** Whether the person already holds a framework certificate for the group that has not expired or been revoked. */
export async function hasCurrentFrameworkCertificate(client: Queryable, staffId: string, groupNumber: number, today: string): Promise<boolean> {
  const { rows } = await client.query(
    `select 1 from certificates
      where staff_id = $1 and kind = 'framework' and group_number = $2 and replaced_by is null and status = 'valid'
        and (expires_on is null or expires_on >= $3::date)
      limit 1`,
    [staffId, groupNumber, today],
  );
  return rows.length > 0;
}

/** Follows the reissue chain from a code to the newest certificate, so an old paper copy still verifies. */
export async function findCurrentByCode(pool: Queryable, code: string): Promise<Certificate | undefined> {
  const { rows } = await pool.query(
    `with recursive chain as (
       select c.*, 0 as depth from certificates c where c.code = $1
       union all
       select n.*, chain.depth + 1 from certificates n join chain on n.id = chain.replaced_by where chain.depth < 100
     )
     select ${COLUMNS} from chain c left join staff_members s on s.id = c.staff_id order by c.depth desc limit 1`,
    [code],
  );
  return rows[0] ? toCertificate(rows[0]) : undefined;
}

/**
 * A person's own certificates (the current one of each chain), from every
 * staff record linked to their account, past employers included: people
 * carry their certificates with them when they move within the partnership.
 */
export async function listForUser(pool: Queryable, userId: string, staffIds: string[]): Promise<Certificate[]> {
  const { rows } = await pool.query(
    `select ${COLUMNS} from certificates c join staff_members s on s.id = c.staff_id
      where (s.user_id = $1 or c.staff_id = any($2::uuid[])) and c.replaced_by is null
      order by c.issued_on desc, c.achievement`,
    [userId, staffIds],
  );
  return rows.map(toCertificate);
}

export interface CertificateFilter {
  organisationId?: string;
  team?: string;
}

/** Certificates of the people a lead or administrator manages (current of each chain). */
export async function listScoped(pool: Queryable, scope: OrganisationScope, filter: CertificateFilter = {}): Promise<Certificate[]> {
  const cond = scopeCondition(scope, 'c.organisation_id', 1);
  const params: unknown[] = [...cond.params];
  let where = `${cond.sql} and c.replaced_by is null`;
  if (filter.organisationId) {
    params.push(filter.organisationId);
    where += ` and c.organisation_id = $${params.length}::uuid`;
  }
  if (filter.team) {
    params.push(filter.team);
    where += ` and s.team = $${params.length}`;
  }
  const { rows } = await pool.query(
    `select ${COLUMNS} from certificates c join staff_members s on s.id = c.staff_id where ${where}
      order by c.organisation_name, s.team, c.person_name, c.issued_on desc limit 5000`,
    params,
  );
  return rows.map(toCertificate);
}

export async function teamsInScope(pool: Queryable, scope: OrganisationScope): Promise<{ organisationId: string; organisationName: string; team: string }[]> {
  const cond = scopeCondition(scope, 'c.organisation_id', 1);
  const { rows } = await pool.query<{ organisation_id: string; organisation_name: string; team: string }>(
    `select distinct c.organisation_id, o.name as organisation_name, s.team
       from certificates c join staff_members s on s.id = c.staff_id join member_organisations o on o.id = c.organisation_id
      where ${cond.sql} and c.replaced_by is null and s.team <> ''
      order by o.name, s.team`,
    cond.params,
  );
  return rows.map((r) => ({ organisationId: r.organisation_id, organisationName: r.organisation_name, team: r.team }));
}

/** One certificate, only when it belongs to an organisation in scope (undefined otherwise, so the caller answers 404). */
export async function getScoped(pool: Queryable, scope: OrganisationScope, id: string): Promise<Certificate | undefined> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
  const cond = scopeCondition(scope, 'c.organisation_id', 2);
  const { rows } = await pool.query(`select ${COLUMNS} from certificates c join staff_members s on s.id = c.staff_id where c.id = $1 and ${cond.sql}`, [
    id,
    ...cond.params,
  ]);
  return rows[0] ? toCertificate(rows[0]) : undefined;
}

/** One of a person's own certificates (any staff record linked to their account). */
export async function getOwn(pool: Queryable, userId: string, staffIds: string[], id: string): Promise<Certificate | undefined> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
  const { rows } = await pool.query(
    `select ${COLUMNS} from certificates c join staff_members s on s.id = c.staff_id where c.id = $1 and (s.user_id = $2 or c.staff_id = any($3::uuid[]))`,
    [id, userId, staffIds],
  );
  return rows[0] ? toCertificate(rows[0]) : undefined;
}

export async function revokeCertificate(client: Queryable, scope: OrganisationScope, id: string, reason: string, userId: string): Promise<boolean> {
  const cond = scopeCondition(scope, 'organisation_id', 4);
  const { rowCount } = await client.query(
    `update certificates set status = 'revoked', revoked_reason = $2, revoked_by = $3, revoked_at = now()
      where id = $1 and status = 'valid' and replaced_by is null and ${cond.sql}`,
    [id, reason, userId, ...cond.params],
  );
  return (rowCount ?? 0) > 0;
}

/** Marks the old certificate as replaced; false when someone reissued it first. */
export async function markReplaced(client: Queryable, oldId: string, newId: string): Promise<boolean> {
  const { rowCount } = await client.query('update certificates set replaced_by = $2 where id = $1 and replaced_by is null', [oldId, newId]);
  return (rowCount ?? 0) > 0;
}

/** Completions recorded as evidence, one row per person, course and day: what the sweep checks for a certificate. */
export async function courseCompletions(pool: Queryable): Promise<{ staffId: string; courseId: string; achievedOn: string }[]> {
  const { rows } = await pool.query<{ staff_id: string; course_id: string; achieved_on: string }>(
    `select distinct e.staff_id, e.course_id, e.achieved_on
       from evidence_entries e
      where e.course_id is not null and e.source in ('elearning', 'face-to-face') and not e.withdrawn and e.replaces_id is null
        and not exists (select 1 from certificates c where c.staff_id = e.staff_id and c.kind = 'course'
                          and c.achievement_key = 'course:' || e.course_id || ':' || e.achieved_on::text)`,
  );
  return rows.map((r) => ({ staffId: r.staff_id, courseId: r.course_id, achievedOn: r.achieved_on }));
}

/** Current staff in a group who have some evidence and no current certificate for that group: the only ones a framework certificate could be due for. */
export async function staffWithEvidence(pool: Queryable, today: string): Promise<string[]> {
  const { rows } = await pool.query<{ id: string }>(
    `select s.id from staff_members s where s.group_number is not null and (s.leaving_date is null or s.leaving_date > $1::date)
        and exists (select 1 from evidence_entries e where e.staff_id = s.id)
        and not exists (select 1 from certificates c where c.staff_id = s.id and c.kind = 'framework' and c.group_number = s.group_number
                          and c.replaced_by is null and c.status = 'valid' and (c.expires_on is null or c.expires_on >= $1::date))`,
    [today],
  );
  return rows.map((r) => r.id);
}

/** A leaver's certificates under another name (data protection): each keeps its code, so it can still be checked. */
export async function renameCertificatesOf(client: PoolClient, staffId: string, name: string): Promise<void> {
  await client.query('update certificates set person_name = $2 where staff_id = $1', [staffId, name]);
}
