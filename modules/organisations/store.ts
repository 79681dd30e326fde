import type { Pool, PoolClient } from 'pg';

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
  };
}
