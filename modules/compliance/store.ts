import { DateTime } from 'luxon';
import type { Pool } from 'pg';
import { type OrganisationScope, scopeIncludes } from '../../server/access';
import { cachePerProduct, keptBy } from '../../server/cache';
import type { ComplianceStatus, EvidenceItem, FrameworkData } from './engine';
import { inPostSql, KEPT_COLUMNS, type KeptRow, keptAt, keptHolds } from './kept';

// A framework version's groups and competencies never change once published
// (only a draft is edited; publishing makes a new version), so each product
// reads them once per version. The kept compliance results rely on the same
// fact: a result worked out with a framework id holds for that version.
const PUBLISHED_CONTENT = cachePerProduct<string, FrameworkData>('published framework content', { max: 20 });

/** The published framework, as the engine needs it: one query for which version is published, its content read once per product. */
export async function loadPublishedFramework(pool: Pool): Promise<FrameworkData & { id: string | null }> {
  const { rows: f } = await pool.query<{ id: string }>(`select id from framework_versions where status = 'published' limit 1`);
  if (!f[0]) return { id: null, groups: [], competencies: [] };
  const id = f[0].id;
  const publishedContent = keptBy(pool, PUBLISHED_CONTENT);
  let content = publishedContent.get(id);
  if (!content) {
    const [groups, competencies] = await Promise.all([
      pool.query<{ number: number; includes_groups: number[] }>('select number, includes_groups from framework_staff_groups where framework_id = $1', [id]),
      pool.query<{ id: string; lineage: string; group_number: number; number: number; text: string; retired: boolean }>(
        'select id, lineage, group_number, number, text, retired from framework_competencies where framework_id = $1',
        [id],
      ),
    ]);
    content = {
      groups: groups.rows.map((g) => ({ number: g.number, includesGroups: g.includes_groups ?? [] })),
      competencies: competencies.rows.map((c) => ({
        id: c.id,
        lineage: c.lineage,
        groupNumber: c.group_number,
        number: c.number,
        text: c.text,
        retired: c.retired,
      })),
    };
    publishedContent.set(id, content);
  }
  return { id, ...content };
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
    ? await pool.query<OrganisationSettings>(`select ${ORG_COLUMNS} from member_organisations where id::text = $1`, [by.id])
    : await pool.query<OrganisationSettings>(`select ${ORG_COLUMNS} from member_organisations where slug = $1`, [by.slug ?? '']);
  return rows[0] && scopeIncludes(scope, rows[0].id) ? rows[0] : null;
}

export async function listOrganisations(pool: Pool, scope: OrganisationScope): Promise<OrganisationSettings[]> {
  const { rows } = await pool.query<OrganisationSettings>(`select ${ORG_COLUMNS} from member_organisations order by name`);
  return rows.filter((o) => scopeIncludes(scope, o.id));
}

export interface StaffRow {
  id: string;
  organisationId: string;
  name: string;
  jobTitle: string;
  team: string;
  groupNumber: number | null;
  startDate: string | null;
  leavingDate: string | null;
}

const STAFF_COLUMNS = `s.id, s.organisation_id as "organisationId", s.name, s.job_title as "jobTitle", s.team,
  s.group_number as "groupNumber", s.start_date as "startDate", s.leaving_date as "leavingDate"`;

/**
 * The day a computation is for. `end` is the instant that London day ends (the
 * next midnight): what was recorded before it counts, what was recorded later
 * does not. `current` (the day is today or later) lets the stores read the
 * current state directly instead of reconstructing it.
 */
export interface AsOf {
  date: string;
  end: Date;
  current: boolean;
}

export function asOf(date: string, today: string): AsOf {
  return { date, end: DateTime.fromISO(date, { zone: 'Europe/London' }).plus({ days: 1 }).toJSDate(), current: date >= today };
}

/**
 * A person's group at the end of a past day, from staff_group_changes: the
 * group set by the last change before then; before their first recorded
 * change, the group that change moved them from, except that for someone not
 * yet on the system then (added later with an earlier start date) whose first
 * change was their first assignment, the group they were first given.
 * Without any history, the group they have now. ($2 is the end of the day.)
 */
const GROUP_ON = `case when before.found then before.group_number
       when after.found then case when after.previous_group_number is not null or s.created_at < $2 then after.previous_group_number else after.group_number end
       else s.group_number end as "groupNumber"`;
const GROUP_HISTORY = `
  left join lateral (select true as found, h.group_number from staff_group_changes h
                      where h.staff_id = s.id and h.changed_at < $2 order by h.changed_at desc, h.id desc limit 1) before on true
  left join lateral (select true as found, h.group_number, h.previous_group_number from staff_group_changes h
                      where h.staff_id = s.id and h.changed_at >= $2 order by h.changed_at, h.id limit 1) after on true`;

/**
 * Staff of one organisation in post on the day: started on or before it (or,
 * with no start date, on the system by its end) and not left by it (a leaver
 * drops out from their leaving date), each with their group on that day,
 * sorted by name (then id).
 *
 * For the current day each row also carries the person's kept result (see
 * kept.ts), read in the same statement so that group, dates, stamp and kept
 * result are one consistent view. The sort is done here rather than in SQL:
 * sorting 24,000 rows with their kept results spilled to disk, and the
 * statement without it takes a fifth of the time. Names compare by code
 * point, as PostgreSQL's C collation does for the same text.
 */
export type StaffOnDay = StaffRow & { kept?: KeptRow | null };

/**
 * Some of an organisation's people, by what their result says: anyone whose
 * status is one of `statuses`, whose next expiry (the earliest day something
 * they meet stops counting) is on or before `expiringBy`, or who started on
 * or after `startedFrom`.
 */
export interface PeopleWanted {
  statuses: ComplianceStatus[];
  expiringBy: string | null;
  startedFrom: string | null;
}

export function isWanted(wanted: PeopleWanted, p: { status: ComplianceStatus; nextExpiry: string | null; startDate: string | null }): boolean {
  return (
    wanted.statuses.includes(p.status) ||
    (wanted.expiringBy != null && p.nextExpiry != null && p.nextExpiry <= wanted.expiringBy) ||
    (wanted.startedFrom != null && p.startDate != null && p.startDate >= wanted.startedFrom)
  );
}

export async function loadStaffOn(pool: Pool, organisationId: string, on: AsOf, frameworkId: string | null, wanted?: PeopleWanted): Promise<StaffOnDay[]> {
  const inPost = `s.organisation_id = $1 and ${inPostSql('s', '$2', '$3')}`;
  if (on.current) {
    // With `wanted`, only the people it asks for by their kept result, and anyone whose kept result does not
    // hold (what it will say once worked out again is not known yet): the caller filters those afterwards.
    const only = wanted ? ` and (not ${keptHolds('$3', '$4')} or k.status = any($5::text[]) or k.next_expiry <= $6::date or s.start_date >= $7::date)` : '';
    // Read as arrays, without the organisation on every row: for a large organisation, making the rows
    // in Node costs more than the statement, and most of it is per column.
    const { rows } = await pool.query<unknown[]>({
      text: `select s.id, s.name, s.job_title, s.team, s.group_number, s.start_date, s.leaving_date, ${KEPT_COLUMNS}
               from staff_members s left join kept_compliance k on k.staff_id = s.id and k.organisation_id = $1 where ${inPost}${only}`,
      values: [organisationId, on.end, on.date, frameworkId, ...(wanted ? [wanted.statuses, wanted.expiringBy, wanted.startedFrom] : [])],
      rowMode: 'array',
    });
    const staff: StaffOnDay[] = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i];
      staff[i] = {
        id: r[0] as string,
        organisationId,
        name: r[1] as string,
        jobTitle: r[2] as string,
        team: r[3] as string,
        groupNumber: r[4] as number | null,
        startDate: r[5] as string | null,
        leavingDate: r[6] as string | null,
        kept: keptAt(r, 7),
      };
    }
    return sortByName(staff);
  }
  const { rows } = await pool.query<StaffOnDay>(
    `select ${STAFF_COLUMNS.replace('s.group_number as "groupNumber"', GROUP_ON)} from staff_members s ${GROUP_HISTORY} where ${inPost}`,
    [organisationId, on.end, on.date],
  );
  return sortByName(rows);
}

function sortByName<T extends { name: string; id: string }>(rows: T[]): T[] {
  return rows.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Current evidence of the people named, packed as in current_evidence.items, by staff id. */
export async function loadCurrentItems(pool: Pool, staffIds: string[]): Promise<Map<string, string>> {
  if (!staffIds.length) return new Map();
  const { rows } = await pool.query<{ staffId: string; items: string }>(
    'select staff_id as "staffId", items from current_evidence_items where staff_id = any($1::uuid[])',
    [staffIds],
  );
  return new Map(rows.map((x) => [x.staffId, x.items]));
}

export async function findStaff(pool: Pool, scope: OrganisationScope, staffId: string): Promise<StaffRow | null> {
  const { rows } = await pool.query<StaffRow>(`select ${STAFF_COLUMNS} from staff_members s where s.id::text = $1`, [staffId]);
  return rows[0] && scopeIncludes(scope, rows[0].organisationId) ? rows[0] : null;
}

/** A person's group at the end of a past day (see GROUP_ON). */
export async function groupOn(pool: Pool, staffId: string, on: AsOf): Promise<number | null> {
  const { rows } = await pool.query<{ groupNumber: number | null }>(`select ${GROUP_ON} from staff_members s ${GROUP_HISTORY} where s.id = $1`, [
    staffId,
    on.end,
  ]);
  return rows[0]?.groupNumber ?? null;
}

/** Competency id to lineage, for every framework version (they are few). */
export async function loadLineages(pool: Pool): Promise<Map<string, string>> {
  const { rows } = await pool.query<{ id: string; lineage: string }>('select id, lineage from framework_competencies');
  return new Map(rows.map((c) => [c.id, c.lineage]));
}

const ITEM_LENGTH = 82;

/** Unpacks current_evidence.items: 82 characters per entry (competency id, achieved on, evidence id). */
export function unpackEvidence(items: string | null | undefined, lineageOf: Map<string, string>): EvidenceItem[] {
  const out: EvidenceItem[] = [];
  if (!items) return out;
  for (let i = 0; i + ITEM_LENGTH <= items.length; i += ITEM_LENGTH) {
    out.push({ lineage: lineageOf.get(items.slice(i, i + 36)) ?? '', achievedOn: items.slice(i + 36, i + 46), id: items.slice(i + 46, i + ITEM_LENGTH) });
  }
  return out;
}

/**
 * Evidence that counted on the day (not withdrawn, not replaced by a
 * correction), with its competency's lineage, for all staff of an
 * organisation or for one person. For a past day, only what had been
 * recorded by the end of that day, as it stood then: a correction or
 * withdrawal recorded later does not change the past, and evidence achieved
 * after the day is left out.
 */
export async function loadEvidenceOn(
  pool: Pool,
  by: { organisationId: string } | { staffId: string },
  on: AsOf,
): Promise<(EvidenceItem & { staffId: string })[]> {
  const filter = 'organisationId' in by ? 'e.staff_id in (select id from staff_members where organisation_id = $1)' : 'e.staff_id = $1';
  const counted = on.current
    ? 'e.replaced_at is null and not e.withdrawn'
    : 'e.recorded_at < $2 and (e.replaced_at is null or e.replaced_at >= $2) and not e.withdrawn and e.achieved_on <= $3::date';
  const [lineageOf, evidence] = await Promise.all([
    loadLineages(pool),
    pool.query<{ id: string; staffId: string; competencyId: string; achievedOn: string }>(
      `select e.id, e.staff_id as "staffId", e.competency_id as "competencyId", e.achieved_on as "achievedOn" from evidence_entries e where ${filter} and ${counted}`,
      on.current ? ['organisationId' in by ? by.organisationId : by.staffId] : ['organisationId' in by ? by.organisationId : by.staffId, on.end, on.date],
    ),
  ]);
  return evidence.rows.map((e) => ({ id: e.id, staffId: e.staffId, lineage: lineageOf.get(e.competencyId) ?? '', achievedOn: e.achievedOn }));
}
