import type { Pool, PoolClient } from 'pg';
import { type OrganisationScope, scopeCondition } from '../../server/access';

export const SECTORS = {
  'local-authority': 'Local authority',
  health: 'Health',
  police: 'Police',
  probation: 'Probation',
  housing: 'Housing',
  education: 'Education',
  voluntary: 'Voluntary or charity',
  other: 'Other',
} as const;
export type Sector = keyof typeof SECTORS;

export interface Organisation {
  id: string;
  slug: string;
  name: string;
  sector: Sector;
  inArea: boolean;
  emailDomains: string[];
  refresherMonths: Record<string, number>;
  inductionDays: number;
  dueSoonDays: number;
  usesRcnIntercollegiate: boolean;
  /** Owned and validated by the reminders module (modules/reminders/policy.ts). */
  reminderPolicy: Record<string, unknown>;
}

interface OrganisationRow {
  id: string;
  slug: string;
  name: string;
  sector: Sector;
  in_area: boolean;
  email_domains: string[];
  refresher_months: Record<string, number>;
  induction_days: number;
  due_soon_days: number;
  uses_rcn_intercollegiate: boolean;
  reminder_policy: Record<string, unknown>;
}

function toOrganisation(r: OrganisationRow): Organisation {
  return {
    id: r.id,
    slug: r.slug,
    name: r.name,
    sector: r.sector,
    inArea: r.in_area,
    emailDomains: r.email_domains,
    refresherMonths: r.refresher_months,
    inductionDays: r.induction_days,
    dueSoonDays: r.due_soon_days,
    usesRcnIntercollegiate: r.uses_rcn_intercollegiate,
    reminderPolicy: r.reminder_policy ?? {},
  };
}

/** The member organisations. Names and sectors are public within the partnership; settings are not. */
export function createOrganisationStore(db: Pool | PoolClient) {
  return {
    async list(): Promise<Organisation[]> {
      const { rows } = await db.query<OrganisationRow>('select * from organisations order by name');
      return rows.map(toOrganisation);
    },
    async bySlug(slug: string): Promise<Organisation | undefined> {
      const { rows } = await db.query<OrganisationRow>('select * from organisations where slug = $1', [slug]);
      return rows[0] ? toOrganisation(rows[0]) : undefined;
    },
    async byId(id: string): Promise<Organisation | undefined> {
      const { rows } = await db.query<OrganisationRow>('select * from organisations where id = $1', [id]);
      return rows[0] ? toOrganisation(rows[0]) : undefined;
    },
    async upsert(input: { slug: string; name: string; sector: Sector; inArea: boolean; emailDomains?: string[] }): Promise<Organisation> {
      const { rows } = await db.query<OrganisationRow>(
        `insert into organisations (slug, name, sector, in_area, email_domains) values ($1, $2, $3, $4, $5)
         on conflict (slug) do update set name = excluded.name, sector = excluded.sector, in_area = excluded.in_area,
           email_domains = excluded.email_domains, updated_at = now()
         returning *`,
        [input.slug, input.name, input.sector, input.inArea, input.emailDomains ?? []],
      );
      return toOrganisation(rows[0]);
    },
    /** Organisations a caller may manage: every one for `all`, their own otherwise. */
    async inScope(scope: OrganisationScope): Promise<Organisation[]> {
      const where = scopeCondition(scope, 'id', 1);
      const { rows } = await db.query<OrganisationRow>(`select * from organisations where ${where.sql} order by name`, where.params);
      return rows.map(toOrganisation);
    },
    /** An organisation by slug if the scope covers it; undefined otherwise, so the caller answers 404. */
    async bySlugInScope(slug: string, scope: OrganisationScope): Promise<Organisation | undefined> {
      const where = scopeCondition(scope, 'id', 2);
      const { rows } = await db.query<OrganisationRow>(`select * from organisations where slug = $1 and ${where.sql}`, [slug, ...where.params]);
      return rows[0] ? toOrganisation(rows[0]) : undefined;
    },
    async slugTaken(slug: string, exceptId?: string): Promise<boolean> {
      const { rowCount } = await db.query('select 1 from organisations where slug = $1 and id is distinct from $2', [slug, exceptId ?? null]);
      return !!rowCount;
    },
    async create(input: { slug: string; name: string; sector: Sector; inArea: boolean; emailDomains: string[] }): Promise<Organisation> {
      const { rows } = await db.query<OrganisationRow>(
        'insert into organisations (slug, name, sector, in_area, email_domains) values ($1, $2, $3, $4, $5) returning *',
        [input.slug, input.name, input.sector, input.inArea, input.emailDomains],
      );
      return toOrganisation(rows[0]);
    },
    async updateDetails(id: string, input: { slug: string; name: string; sector: Sector; inArea: boolean; emailDomains: string[] }): Promise<void> {
      await db.query('update organisations set slug = $2, name = $3, sector = $4, in_area = $5, email_domains = $6, updated_at = now() where id = $1', [
        id,
        input.slug,
        input.name,
        input.sector,
        input.inArea,
        input.emailDomains,
      ]);
    },
    async updateSettings(
      id: string,
      input: { refresherMonths: Record<string, number>; inductionDays: number; dueSoonDays: number; usesRcnIntercollegiate: boolean },
    ): Promise<void> {
      await db.query(
        `update organisations set refresher_months = $2, induction_days = $3, due_soon_days = $4, uses_rcn_intercollegiate = $5,
           updated_at = now() where id = $1`,
        [id, JSON.stringify(input.refresherMonths), input.inductionDays, input.dueSoonDays, input.usesRcnIntercollegiate],
      );
    },
    /**
     * The organisation's own reminder settings, checked by the reminders module
     * (modules/reminders/policy.ts) before they come here. False when the
     * organisation is not in the caller's scope.
     */
    async saveReminderPolicy(scope: OrganisationScope, id: string, policy: object): Promise<boolean> {
      const where = scopeCondition(scope, 'id', 3);
      const { rowCount } = await db.query(`update organisations set reminder_policy = $2, updated_at = now() where id = $1 and ${where.sql}`, [
        id,
        JSON.stringify(policy),
        ...where.params,
      ]);
      return (rowCount ?? 0) > 0;
    },
    /** People holding the org-lead role for this organisation. */
    async leads(organisationId: string): Promise<{ name: string; email: string }[]> {
      const { rows } = await db.query<{ display_name: string; email: string }>(
        `select u.display_name, u.email from user_roles r join users u on u.id = r.user_id
          where r.role = 'org-lead' and r.organisation_id = $1 and not u.disabled order by u.display_name`,
        [organisationId],
      );
      return rows.map((r) => ({ name: r.display_name, email: r.email }));
    },
    /**
     * Seats used: current staff records of the organisation (not left) that are
     * linked to a user account, i.e. people who can sign in and launch e-learning.
     */
    async seatsUsed(organisationId: string): Promise<number> {
      const { rows } = await db.query<{ n: string }>(
        `select count(distinct user_id) as n from staff_members
          where organisation_id = $1 and user_id is not null and (leaving_date is null or leaving_date > current_date)`,
        [organisationId],
      );
      return Number(rows[0].n);
    },
    async addLicence(organisationId: string, licence: { startsOn: string; endsOn: string; seats: number }): Promise<string> {
      const { rows } = await db.query<{ id: string }>(
        'insert into organisation_licences (organisation_id, starts_on, ends_on, seats) values ($1, $2, $3, $4) returning id',
        [organisationId, licence.startsOn, licence.endsOn, licence.seats],
      );
      return rows[0].id;
    },
  };
}
