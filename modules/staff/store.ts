import type { Pool, PoolClient } from 'pg';
import { type OrganisationScope, scopeCondition, scopeIncludes } from '../../server/access';
import { audit } from '../../server/auth/users';
import type { Database } from '../../server/db';
import { NotFoundError } from '../../server/errors';
import { publishedGroups } from '../framework/api';
import type { EventBus, ProductEvents } from '../../server/events';
import type { ExistingStaff, ImportPlan, ParsedImport, StaffFields } from './import';
import { planImport } from './import';
import { defaultMappings, groupForJobTitle, type JobRoleMapping, jobTitleKey } from './mapping';

type Queryable = Pool | PoolClient;

/**
 * SQL condition for "still works here": leavers drop out of current lists
 * and compliance figures from their leaving date (inclusive). `on` is an SQL
 * date expression, current_date unless a report asks about another day.
 */
export function currentStaffCondition(alias = 's', on = 'current_date'): string {
  return `(${alias}.leaving_date is null or ${alias}.leaving_date > ${on})`;
}

export type GroupSource = 'partnership-mapping' | 'organisation-mapping' | 'lead-override' | 'import' | 'sso';

export interface StaffMember extends ExistingStaff {
  organisationId: string;
  organisationName: string;
  userId: string | null;
  isCurrent: boolean;
}

export interface GroupChange {
  groupNumber: number | null;
  previousGroupNumber: number | null;
  source: string;
  reason: string | null;
  changedByName: string | null;
  changedAt: Date;
}

interface StaffRow {
  id: string;
  organisation_id: string;
  organisation_name: string;
  user_id: string | null;
  name: string;
  email: string | null;
  job_title: string;
  team: string;
  staff_number: string | null;
  start_date: string | null;
  leaving_date: string | null;
  is_volunteer: boolean;
  group_number: number | null;
  group_source: string | null;
  is_current: boolean;
}

const STAFF_COLUMNS = `s.id, s.organisation_id, o.name as organisation_name, s.user_id, s.name, s.email, s.job_title, s.team, s.staff_number,
  to_char(s.start_date, 'YYYY-MM-DD') as start_date, to_char(s.leaving_date, 'YYYY-MM-DD') as leaving_date, s.is_volunteer,
  s.group_number, s.group_source, ${currentStaffCondition('s')} as is_current`;

function toStaff(r: StaffRow): StaffMember {
  return {
    id: r.id,
    organisationId: r.organisation_id,
    organisationName: r.organisation_name,
    userId: r.user_id,
    name: r.name,
    email: r.email,
    jobTitle: r.job_title,
    team: r.team,
    staffNumber: r.staff_number,
    startDate: r.start_date,
    leavingDate: r.leaving_date,
    isVolunteer: r.is_volunteer,
    groupNumber: r.group_number,
    groupSource: r.group_source,
    isCurrent: r.is_current,
  };
}

export interface StaffFilter {
  organisationId?: string;
  /** A group number, or 'none' for people whose job title is not mapped yet. */
  group?: number | 'none';
  search?: string;
  includeLeavers?: boolean;
}

export interface MappingRow {
  id: string;
  organisationId: string | null;
  jobTitle: string;
  key: string;
  group: number;
}

function assertInScope(scope: OrganisationScope, organisationId: string): void {
  if (!scopeIncludes(scope, organisationId)) throw new NotFoundError('organisation');
}

/**
 * Sets a person's group, writing the history (who, when, why, how decided)
 * and telling the rest of the product, in the caller's transaction.
 * Does nothing when the group is unchanged.
 */
export async function changeGroup(
  client: PoolClient,
  events: EventBus,
  change: { staffId: string; group: number | null; source: GroupSource; reason: string | null; changedBy: string | null },
): Promise<boolean> {
  const { rows } = await client.query<{ group_number: number | null; group_source: string | null }>(
    'select group_number, group_source from staff where id = $1 for update',
    [change.staffId],
  );
  if (!rows[0]) throw new NotFoundError('person');
  const from = rows[0].group_number;
  if (from === change.group && rows[0].group_source === change.source) return false;
  await client.query('update staff set group_number = $2, group_source = $3, updated_at = now() where id = $1', [change.staffId, change.group, change.source]);
  if (from === change.group) return true;
  await client.query(
    'insert into staff_group_history (staff_id, group_number, previous_group_number, source, reason, changed_by) values ($1, $2, $3, $4, $5, $6)',
    [change.staffId, change.group, from, change.source, change.reason, change.changedBy],
  );
  await events.emit('staff.group-changed', { client, staffId: change.staffId, from, to: change.group });
  return true;
}

/**
 * A learner who has just made their account (by accepting an invitation) is a
 * member of staff: the organisation's record with their address is linked to
 * the account, or, without one, a record is started for the lead to complete.
 * In the caller's transaction.
 */
export async function linkOrStartStaffRecord(
  client: PoolClient,
  person: { organisationId: string; email: string; name: string; userId: string },
): Promise<void> {
  const linked = await client.query(
    `update staff set user_id = $3, updated_at = now() where organisation_id = $1 and lower(email) = $2 and user_id is null returning id`,
    [person.organisationId, person.email, person.userId],
  );
  if (!linked.rowCount) {
    await client.query(`insert into staff (organisation_id, user_id, name, email, start_date) values ($1, $2, $3, $4, current_date)`, [
      person.organisationId,
      person.userId,
      person.name,
      person.email,
    ]);
  }
}

export function createStaffStore(database: Database, events: EventBus) {
  const pool = database.pool;

  async function mappings(db: Queryable, organisationId: string | null): Promise<{ partnership: JobRoleMapping[]; organisation: JobRoleMapping[] }> {
    const { rows } = await db.query<{ organisation_id: string | null; job_title_key: string; group_number: number }>(
      'select organisation_id, job_title_key, group_number from job_role_mappings where organisation_id is null or organisation_id = $1',
      [organisationId],
    );
    return {
      partnership: rows.filter((r) => r.organisation_id === null).map((r) => ({ key: r.job_title_key, group: r.group_number })),
      organisation: rows.filter((r) => r.organisation_id !== null).map((r) => ({ key: r.job_title_key, group: r.group_number })),
    };
  }

  /** Re-decides the group of everyone in scope whose group comes from a mapping (lead overrides stay). */
  async function reapplyMappings(client: PoolClient, scope: OrganisationScope, changedBy: string | null, reason: string): Promise<number> {
    const cond = scopeCondition(scope, 's.organisation_id', 1);
    const { rows } = await client.query<{ id: string; organisation_id: string; job_title: string; group_number: number | null; group_source: string | null }>(
      `select s.id, s.organisation_id, s.job_title, s.group_number, s.group_source from staff s
       where ${cond.sql} and ${currentStaffCondition('s')} and coalesce(s.group_source, '') <> 'lead-override'`,
      cond.params,
    );
    const cache = new Map<string, Awaited<ReturnType<typeof mappings>>>();
    let changed = 0;
    for (const r of rows) {
      if (!cache.has(r.organisation_id)) cache.set(r.organisation_id, await mappings(client, r.organisation_id));
      const m = cache.get(r.organisation_id)!;
      const decision = groupForJobTitle(r.job_title, m.partnership, m.organisation);
      if ('unmapped' in decision) continue;
      if (decision.group === r.group_number && decision.source === r.group_source) continue;
      if (await changeGroup(client, events, { staffId: r.id, group: decision.group, source: decision.source, reason, changedBy })) changed++;
    }
    return changed;
  }

  return {
    mappings: (organisationId: string | null) => mappings(pool, organisationId),

    /** Re-decides groups from job titles for everyone in scope (lead overrides stay). */
    applyMappings: (scope: OrganisationScope, changedBy: string | null, reason: string) =>
      database.transaction((client) => reapplyMappings(client, scope, changedBy, reason)),

    async list(scope: OrganisationScope, filter: StaffFilter = {}): Promise<StaffMember[]> {
      const cond = scopeCondition(scope, 's.organisation_id', 1);
      const params: unknown[] = [...cond.params];
      const where = [cond.sql];
      if (filter.organisationId) {
        params.push(filter.organisationId);
        where.push(`s.organisation_id = $${params.length}`);
      }
      if (filter.group === 'none') where.push('s.group_number is null');
      else if (filter.group) {
        params.push(filter.group);
        where.push(`s.group_number = $${params.length}`);
      }
      if (filter.search) {
        params.push(`%${filter.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
        where.push(
          `(s.name ilike $${params.length} or s.email ilike $${params.length} or s.job_title ilike $${params.length} or s.staff_number ilike $${params.length})`,
        );
      }
      if (!filter.includeLeavers) where.push(currentStaffCondition('s'));
      const { rows } = await pool.query<StaffRow>(
        `select ${STAFF_COLUMNS} from staff s join member_organisations o on o.id = s.organisation_id where ${where.join(' and ')} order by s.name, s.id limit 2000`,
        params,
      );
      return rows.map(toStaff);
    },

    /** One person, or undefined when they do not exist or are outside the caller's scope. */
    async get(scope: OrganisationScope, id: string): Promise<StaffMember | undefined> {
      if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
      const cond = scopeCondition(scope, 's.organisation_id', 2);
      const { rows } = await pool.query<StaffRow>(
        `select ${STAFF_COLUMNS} from staff s join member_organisations o on o.id = s.organisation_id where s.id = $1 and ${cond.sql}`,
        [id, ...cond.params],
      );
      return rows[0] ? toStaff(rows[0]) : undefined;
    },

    async history(scope: OrganisationScope, staffId: string): Promise<GroupChange[]> {
      const cond = scopeCondition(scope, 's.organisation_id', 2);
      const { rows } = await pool.query<{
        group_number: number | null;
        previous_group_number: number | null;
        source: string;
        reason: string | null;
        changed_by_name: string | null;
        changed_at: Date;
      }>(
        `select h.group_number, h.previous_group_number, h.source, h.reason, u.display_name as changed_by_name, h.changed_at
         from staff_group_history h join staff s on s.id = h.staff_id left join users u on u.id = h.changed_by
         where h.staff_id = $1 and ${cond.sql} order by h.changed_at desc, h.id desc`,
        [staffId, ...cond.params],
      );
      return rows.map((r) => ({
        groupNumber: r.group_number,
        previousGroupNumber: r.previous_group_number,
        source: r.source,
        reason: r.reason,
        changedByName: r.changed_by_name,
        changedAt: r.changed_at,
      }));
    },

    /** An organisational lead puts one person in a group, with a reason; mappings no longer move them. */
    async overrideGroup(scope: OrganisationScope, staffId: string, group: number, reason: string, changedBy: string): Promise<void> {
      await database.transaction(async (client) => {
        const cond = scopeCondition(scope, 'organisation_id', 2);
        const { rows } = await client.query<{ organisation_id: string }>(`select organisation_id from staff where id = $1 and ${cond.sql}`, [
          staffId,
          ...cond.params,
        ]);
        if (!rows[0]) throw new NotFoundError('person');
        await changeGroup(client, events, { staffId, group, source: 'lead-override', reason, changedBy });
        await audit(client, {
          actorUserId: changedBy,
          action: 'staff.group-override',
          organisationId: rows[0].organisation_id,
          subjectType: 'staff',
          subjectId: staffId,
          detail: { group, reason },
        });
      });
    },

    /** Lets mappings decide this person's group again (undoes a lead override). */
    async clearOverride(scope: OrganisationScope, staffId: string, changedBy: string): Promise<void> {
      await database.transaction(async (client) => {
        const cond = scopeCondition(scope, 'organisation_id', 2);
        const { rows } = await client.query<{ organisation_id: string; job_title: string; group_number: number | null }>(
          `select organisation_id, job_title, group_number from staff where id = $1 and ${cond.sql}`,
          [staffId, ...cond.params],
        );
        if (!rows[0]) throw new NotFoundError('person');
        const m = await mappings(client, rows[0].organisation_id);
        const d = groupForJobTitle(rows[0].job_title, m.partnership, m.organisation);
        if ('unmapped' in d)
          await changeGroup(client, events, {
            staffId,
            group: null,
            source: 'organisation-mapping',
            reason: 'Override removed; job title not mapped',
            changedBy,
          });
        else await changeGroup(client, events, { staffId, group: d.group, source: d.source, reason: 'Override removed; group from job title', changedBy });
      });
    },

    /** Job titles of current staff in one organisation that no mapping covers, with how many people hold each. */
    async unmappedTitles(scope: OrganisationScope, organisationId: string): Promise<{ jobTitle: string; key: string; people: number }[]> {
      assertInScope(scope, organisationId);
      const m = await mappings(pool, organisationId);
      const { rows } = await pool.query<{ job_title: string; n: number }>(
        `select s.job_title, count(*)::int as n from staff s where s.organisation_id = $1 and ${currentStaffCondition('s')}
         and coalesce(s.group_source, '') <> 'lead-override' group by s.job_title order by s.job_title`,
        [organisationId],
      );
      const byKey = new Map<string, { jobTitle: string; key: string; people: number }>();
      for (const r of rows) {
        const key = jobTitleKey(r.job_title);
        if (!('unmapped' in groupForJobTitle(r.job_title, m.partnership, m.organisation))) continue;
        const entry = byKey.get(key) ?? { jobTitle: r.job_title || '(no job title)', key, people: 0 };
        entry.people += r.n;
        byKey.set(key, entry);
      }
      return [...byKey.values()];
    },

    async organisationMappings(scope: OrganisationScope, organisationId: string): Promise<MappingRow[]> {
      assertInScope(scope, organisationId);
      const { rows } = await pool.query<{ id: string; organisation_id: string | null; job_title: string; job_title_key: string; group_number: number }>(
        'select id, organisation_id, job_title, job_title_key, group_number from job_role_mappings where organisation_id = $1 order by job_title',
        [organisationId],
      );
      return rows.map((r) => ({ id: r.id, organisationId: r.organisation_id, jobTitle: r.job_title, key: r.job_title_key, group: r.group_number }));
    },

    /** The organisation's own mapping for a job title; applied at once to its staff with that title. */
    async mapOrganisationTitle(scope: OrganisationScope, organisationId: string, jobTitle: string, group: number, userId: string): Promise<number> {
      assertInScope(scope, organisationId);
      const key = jobTitleKey(jobTitle);
      if (!key) throw new NotFoundError('job title');
      return database.transaction(async (client) => {
        await client.query(
          `insert into job_role_mappings (organisation_id, job_title_key, job_title, group_number, created_by) values ($1, $2, $3, $4, $5)
           on conflict (coalesce(organisation_id, '00000000-0000-0000-0000-000000000000'), job_title_key)
           do update set group_number = excluded.group_number, job_title = excluded.job_title, created_by = excluded.created_by`,
          [organisationId, key, jobTitle, group, userId],
        );
        await audit(client, { actorUserId: userId, action: 'staff.job-role-mapped', organisationId, detail: { jobTitle, group } });
        return reapplyMappings(
          client,
          { kind: 'organisations', organisationIds: [organisationId] },
          userId,
          `Job title "${jobTitle}" mapped to Group ${group}`,
        );
      });
    },

    async removeOrganisationMapping(scope: OrganisationScope, organisationId: string, mappingId: string, userId: string): Promise<void> {
      assertInScope(scope, organisationId);
      await database.transaction(async (client) => {
        await client.query('delete from job_role_mappings where id = $1 and organisation_id = $2', [mappingId, organisationId]);
        await reapplyMappings(client, { kind: 'organisations', organisationIds: [organisationId] }, userId, 'Organisation mapping removed');
      });
    },

    async partnershipMappings(): Promise<MappingRow[]> {
      const { rows } = await pool.query<{ id: string; job_title: string; job_title_key: string; group_number: number }>(
        'select id, job_title, job_title_key, group_number from job_role_mappings where organisation_id is null order by group_number, job_title',
      );
      return rows.map((r) => ({ id: r.id, organisationId: null, jobTitle: r.job_title, key: r.job_title_key, group: r.group_number }));
    },

    /** A partnership default (partnership administrators); organisations' own mappings still win. */
    async setPartnershipMapping(jobTitle: string, group: number, userId: string | null): Promise<number> {
      const key = jobTitleKey(jobTitle);
      return database.transaction(async (client) => {
        await client.query(
          `insert into job_role_mappings (organisation_id, job_title_key, job_title, group_number, created_by) values (null, $1, $2, $3, $4)
           on conflict (coalesce(organisation_id, '00000000-0000-0000-0000-000000000000'), job_title_key)
           do update set group_number = excluded.group_number, job_title = excluded.job_title`,
          [key, jobTitle, group, userId],
        );
        await audit(client, { actorUserId: userId, action: 'staff.partnership-job-role-mapped', detail: { jobTitle, group } });
        return reapplyMappings(client, { kind: 'all' }, userId, `Partnership default: "${jobTitle}" is Group ${group}`);
      });
    },

    async removePartnershipMapping(id: string, userId: string): Promise<void> {
      await database.transaction(async (client) => {
        await client.query('delete from job_role_mappings where id = $1 and organisation_id is null', [id]);
        await audit(client, { actorUserId: userId, action: 'staff.partnership-job-role-removed', detail: { id } });
      });
    },

    /** Loads the default mappings from the published framework when the partnership has none yet. */
    async ensureDefaultMappings(): Promise<number> {
      const { rows: have } = await pool.query<{ n: number }>('select count(*)::int as n from job_role_mappings where organisation_id is null');
      if (have[0].n > 0) return 0;
      const { rows: groups } = await pool.query<{ number: number; example_roles: string[] }>(
        `select g.number, g.example_roles from framework_staff_groups g join framework_versions f on f.id = g.framework_id where f.status = 'published' order by g.number`,
      );
      // Never a mapping to a group the published framework does not have.
      const defaults = defaultMappings(groups.map((g) => ({ number: g.number, exampleRoles: g.example_roles }))).filter((d) =>
        groups.some((g) => g.number === d.group),
      );
      await database.transaction(async (client) => {
        for (const d of defaults) {
          await client.query(
            `insert into job_role_mappings (organisation_id, job_title_key, job_title, group_number) values (null, $1, $2, $3)
             on conflict (coalesce(organisation_id, '00000000-0000-0000-0000-000000000000'), job_title_key) do nothing`,
            [d.key, d.jobTitle, d.group],
          );
        }
      });
      return defaults.length;
    },

    /**
     * A new framework version is in force. Mappings to groups it no longer has
     * are removed; its example roles become partnership mappings where the
     * title has none yet; and current staff in a group it no longer has are
     * placed again by their job title, or have no group until a lead places
     * them (never left counted against a group that does not exist).
     */
    async followFramework(client: PoolClient, published: ProductEvents['framework.published']): Promise<{ mappingsRemoved: number; staffMoved: number }> {
      const numbers = published.groups.map((g) => g.number);
      const removed = await client.query('delete from job_role_mappings where not (group_number = any($1::int[]))', [numbers]);
      for (const g of published.groups) {
        for (const title of g.exampleRoles) {
          const key = jobTitleKey(title);
          if (!key) continue;
          await client.query(
            `insert into job_role_mappings (organisation_id, job_title_key, job_title, group_number) values (null, $1, $2, $3)
             on conflict (coalesce(organisation_id, '00000000-0000-0000-0000-000000000000'), job_title_key) do nothing`,
            [key, title, g.number],
          );
        }
      }
      const { rows } = await client.query<{ id: string; organisation_id: string; job_title: string; group_number: number }>(
        `select s.id, s.organisation_id, s.job_title, s.group_number from staff s
          where s.group_number is not null and not (s.group_number = any($1::int[])) and ${currentStaffCondition('s')}`,
        [numbers],
      );
      const cache = new Map<string, Awaited<ReturnType<typeof mappings>>>();
      for (const r of rows) {
        if (!cache.has(r.organisation_id)) cache.set(r.organisation_id, await mappings(client, r.organisation_id));
        const m = cache.get(r.organisation_id)!;
        const decision = groupForJobTitle(r.job_title, m.partnership, m.organisation);
        const reason = `Group ${r.group_number} is not in framework version ${published.version}`;
        if ('unmapped' in decision)
          await changeGroup(client, events, { staffId: r.id, group: null, source: 'partnership-mapping', reason, changedBy: published.publishedBy });
        else await changeGroup(client, events, { staffId: r.id, group: decision.group, source: decision.source, reason, changedBy: published.publishedBy });
      }
      if (removed.rowCount || rows.length) {
        await audit(client, {
          actorUserId: published.publishedBy,
          action: 'staff.groups-follow-framework',
          detail: { version: published.version, mappingsRemoved: removed.rowCount ?? 0, staffMoved: rows.length },
        });
      }
      return { mappingsRemoved: removed.rowCount ?? 0, staffMoved: rows.length };
    },

    /** The published framework's groups, for every list a lead chooses a group from. */
    frameworkGroups: () => publishedGroups(pool),

    /** Everyone in the organisation, leavers too, as an import compares them. */
    async existingForImport(db: Queryable, organisationId: string): Promise<ExistingStaff[]> {
      const { rows } = await db.query<StaffRow>(
        `select ${STAFF_COLUMNS} from staff s join member_organisations o on o.id = s.organisation_id where s.organisation_id = $1`,
        [organisationId],
      );
      return rows.map(toStaff);
    },

    /** What an upload would change, without keeping it. */
    async planUpload(
      scope: OrganisationScope,
      organisationId: string,
      parsed: ParsedImport,
      options: { fullList: boolean; today: string },
    ): Promise<ImportPlan> {
      assertInScope(scope, organisationId);
      return planImport(parsed, await this.existingForImport(pool, organisationId), await mappings(pool, organisationId), options);
    },

    /** Checks an upload and keeps it for confirmation. Writes nothing to staff. */
    async previewImport(
      scope: OrganisationScope,
      input: { organisationId: string; fileName: string; fileHash: string; fullList: boolean; parsed: ParsedImport; userId: string | null; today: string },
    ): Promise<{ batchId: string; plan: ImportPlan }> {
      assertInScope(scope, input.organisationId);
      const plan = planImport(input.parsed, await this.existingForImport(pool, input.organisationId), await mappings(pool, input.organisationId), {
        fullList: input.fullList,
        today: input.today,
      });
      const { rows } = await pool.query<{ id: string }>(
        `insert into staff_import_batches (organisation_id, file_name, file_hash, full_list, parsed, created_by) values ($1, $2, $3, $4, $5, $6) returning id`,
        [input.organisationId, input.fileName, input.fileHash, input.fullList, JSON.stringify(input.parsed), input.userId],
      );
      return { batchId: rows[0].id, plan };
    },

    async getBatch(scope: OrganisationScope, batchId: string) {
      if (!/^[0-9a-f-]{36}$/i.test(batchId)) return undefined;
      const cond = scopeCondition(scope, 'b.organisation_id', 2);
      const { rows } = await pool.query<{
        id: string;
        organisation_id: string;
        organisation_name: string;
        file_name: string;
        file_hash: string;
        full_list: boolean;
        parsed: ParsedImport;
        status: string;
        summary: ImportPlan | null;
        created_at: Date;
        applied_at: Date | null;
      }>(
        `select b.id, b.organisation_id, o.name as organisation_name, b.file_name, b.file_hash, b.full_list, b.parsed, b.status, b.summary, b.created_at, b.applied_at
         from staff_import_batches b join member_organisations o on o.id = b.organisation_id where b.id = $1 and ${cond.sql}`,
        [batchId, ...cond.params],
      );
      return rows[0];
    },

    /** When the same file was last applied for the same organisation, if it was. */
    async sameFileAppliedAt(scope: OrganisationScope, batchId: string): Promise<Date | undefined> {
      const batch = await this.getBatch(scope, batchId);
      if (!batch) return undefined;
      const { rows } = await pool.query<{ applied_at: Date }>(
        `select applied_at from staff_import_batches where organisation_id = $1 and file_hash = $2 and status = 'applied' and id <> $3 order by applied_at desc limit 1`,
        [batch.organisation_id, batch.file_hash, batch.id],
      );
      return rows[0]?.applied_at;
    },

    /** The plan as it stands now (the staff list may have changed since the upload). */
    async planBatch(scope: OrganisationScope, batchId: string, today: string): Promise<ImportPlan> {
      const batch = await this.getBatch(scope, batchId);
      if (!batch) throw new NotFoundError('import');
      return planImport(batch.parsed, await this.existingForImport(pool, batch.organisation_id), await mappings(pool, batch.organisation_id), {
        fullList: batch.full_list,
        today,
      });
    },

    /**
     * Applies an import in one transaction: every create, update, leaver and
     * group change, or none of them. Refuses an import with row errors.
     */
    async confirmImport(scope: OrganisationScope, batchId: string, userId: string | null, today: string): Promise<ImportPlan> {
      return database.transaction(async (client) => {
        const cond = scopeCondition(scope, 'organisation_id', 2);
        const { rows } = await client.query<{ organisation_id: string; file_name: string; full_list: boolean; parsed: ParsedImport; status: string }>(
          `select organisation_id, file_name, full_list, parsed, status from staff_import_batches where id = $1 and ${cond.sql} for update`,
          [batchId, ...cond.params],
        );
        const batch = rows[0];
        if (!batch) throw new NotFoundError('import');
        if (batch.status !== 'previewed') throw new ImportNotApplicable('This import has already been applied. Upload the file again to import it again.');
        const plan = planImport(batch.parsed, await this.existingForImport(client, batch.organisation_id), await mappings(client, batch.organisation_id), {
          fullList: batch.full_list,
          today,
        });
        if (plan.errors.length)
          throw new ImportNotApplicable(
            `The file has ${plan.errors.length} row${plan.errors.length === 1 ? '' : 's'} with problems. Correct them and upload the file again.`,
          );
        const reason = `CSV import${batch.file_name ? ` of ${batch.file_name}` : ''}`;
        for (const c of plan.create) {
          const f = c.fields;
          const { rows: created } = await client.query<{ id: string }>(
            `insert into staff (organisation_id, name, email, job_title, team, staff_number, start_date, leaving_date, is_volunteer)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning id`,
            [batch.organisation_id, f.name, f.email, f.jobTitle, f.team, f.staffNumber, f.startDate, f.leavingDate, f.isVolunteer],
          );
          if (c.group) await changeGroup(client, events, { staffId: created[0].id, group: c.group.group, source: c.group.source, reason, changedBy: userId });
        }
        const COLUMN: Record<keyof StaffFields, string> = {
          name: 'name',
          email: 'email',
          jobTitle: 'job_title',
          team: 'team',
          staffNumber: 'staff_number',
          startDate: 'start_date',
          leavingDate: 'leaving_date',
          isVolunteer: 'is_volunteer',
        };
        for (const u of plan.update) {
          if (u.changes.length) {
            const sets = u.changes.map((ch, i) => `${COLUMN[ch.field]} = $${i + 2}`);
            await client.query(`update staff set ${sets.join(', ')}, updated_at = now() where id = $1`, [u.staffId, ...u.changes.map((ch) => ch.to)]);
          }
          if (u.group) await changeGroup(client, events, { staffId: u.staffId, group: u.group.group, source: u.group.source, reason, changedBy: userId });
        }
        for (const l of plan.leavers) {
          await client.query('update staff set leaving_date = $2, updated_at = now() where id = $1', [l.staffId, l.leavingDate]);
        }
        const summary = { create: plan.create.length, update: plan.update.length, leavers: plan.leavers.length, unchanged: plan.unchanged };
        await client.query(`update staff_import_batches set status = 'applied', applied_by = $2, applied_at = now(), summary = $3 where id = $1`, [
          batchId,
          userId,
          JSON.stringify(summary),
        ]);
        await audit(client, {
          actorUserId: userId,
          action: 'staff.import',
          organisationId: batch.organisation_id,
          subjectType: 'staff_import',
          subjectId: batchId,
          detail: summary,
        });
        const changed = summary.create + summary.update + summary.leavers;
        if (changed) await events.emit('staff.imported', { client, organisationId: batch.organisation_id, changed });
        return plan;
      });
    },
  };
}

export class ImportNotApplicable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImportNotApplicable';
  }
}

export type StaffStore = ReturnType<typeof createStaffStore>;

export type StaffRecordHeld = Record<string, unknown> & {
  organisation_id: string;
  user_id: string | null;
  email: string | null;
  name: string;
  organisation: string;
};

/**
 * Everything this module holds on one staff record, every column, with its
 * organisation's name (a subject access request shows the person all of it).
 */
export async function staffRecordOf(db: Pool | PoolClient, staffId: string): Promise<StaffRecordHeld | null> {
  const { rows } = await db.query<StaffRecordHeld>(
    `select s.*, o.name as organisation from staff s join member_organisations o on o.id = s.organisation_id where s.id::text = $1`,
    [staffId],
  );
  return rows[0] ?? null;
}

/**
 * A leaver's record with their personal details gone (data protection): the
 * record stays in its organisation, group and leaving date, so every count is
 * the same; the reasons written in its group history go with the rest.
 */
export async function anonymiseStaffRecord(client: PoolClient, staffId: string, name: string): Promise<void> {
  await client.query(
    `update staff set name = $2, email = null, staff_number = null, job_title = '', user_id = null, anonymised_at = now(), updated_at = now() where id = $1`,
    [staffId, name],
  );
  await client.query('update staff_group_history set reason = null where staff_id = $1', [staffId]);
}

/**
 * A second record for someone who also works at another organisation of the
 * partnership (the demo's council officer who volunteers at the women's aid
 * charity): their name, address, job title and group from the record given,
 * at the other organisation, with its own team, number and start.
 */
export async function addRecordElsewhere(
  db: Queryable,
  record: { fromStaffId: string; organisationId: string; team: string; staffNumber: string; startedDaysAgo: number; isVolunteer: boolean },
): Promise<void> {
  await db.query(
    `insert into staff (organisation_id, name, email, job_title, team, staff_number, start_date, is_volunteer, group_number, group_source)
     select $2, s.name, s.email, s.job_title, $3, $4, current_date - $5::int, $6, s.group_number, s.group_source from staff s where s.id = $1`,
    [record.fromStaffId, record.organisationId, record.team, record.staffNumber, record.startedDaysAgo, record.isVolunteer],
  );
}
