import { findUserByEmail, grantRole } from '../../server/auth/users';
import { DEMO_LOGINS } from '../../server/demo';
import type { ModuleContext } from '../../server/module';

export const DEMO_ORGANISATIONS = [
  { slug: 'vale-county-council', name: 'Vale County Council', sector: 'local-authority', inArea: true, emailDomains: ['valecounty.example'] },
  { slug: 'vale-nhs-trust', name: 'Vale NHS Foundation Trust', sector: 'health', inArea: true, emailDomains: ['valenhs.example'] },
  { slug: 'vale-police', name: 'Vale Constabulary', sector: 'police', inArea: true, emailDomains: ['valepolice.example'] },
  { slug: 'vale-probation', name: 'Probation Service, Vale', sector: 'probation', inArea: true, emailDomains: ['valeprobation.example'] },
  { slug: 'vale-homes', name: 'Vale Homes Housing Association', sector: 'housing', inArea: true, emailDomains: ['valehomes.example'] },
  { slug: 'vale-womens-aid', name: "Vale Women's Aid", sector: 'voluntary', inArea: true, emailDomains: ['valewomensaid.example'] },
  { slug: 'northshire-council', name: 'Northshire District Council', sector: 'local-authority', inArea: false, emailDomains: ['northshire.example'] },
  // A small charity: so few staff that the board sees its figures withheld, as a real one would.
  { slug: 'vale-advocacy-service', name: 'Vale Advocacy Service', sector: 'voluntary', inArea: true, emailDomains: ['valeadvocacy.example'] },
] as const;

/**
 * The demo's member organisations, a licence for the one outside the area,
 * and the roles of the demo's sign-ins that name one of them (the council's
 * lead). Safe to run twice.
 */
export async function seedDemoOrganisations(ctx: ModuleContext): Promise<void> {
  const pool = ctx.database.pool;
  // One statement for all of them: each is a round trip through the embedded database's socket.
  const { rows: orgRows } = await pool.query<{ id: string; slug: string }>(
    `insert into organisations (slug, name, sector, in_area, email_domains)
     select slug, name, sector, in_area, array[domain] from unnest($1::text[], $2::text[], $3::text[], $4::boolean[], $5::text[]) as o (slug, name, sector, in_area, domain)
     on conflict (slug) do update set slug = excluded.slug returning id, slug`,
    [
      DEMO_ORGANISATIONS.map((o) => o.slug),
      DEMO_ORGANISATIONS.map((o) => o.name),
      DEMO_ORGANISATIONS.map((o) => o.sector),
      DEMO_ORGANISATIONS.map((o) => o.inArea),
      DEMO_ORGANISATIONS.map((o) => o.emailDomains[0]),
    ],
  );
  const orgIds = new Map(orgRows.map((r) => [r.slug, r.id]));
  await pool.query(
    `insert into organisation_licences (organisation_id, starts_on, ends_on, seats)
     select $1, date_trunc('year', current_date)::date, (date_trunc('year', current_date) + interval '1 year - 1 day')::date, 50
     where not exists (select 1 from organisation_licences where organisation_id = $1)`,
    [orgIds.get('northshire-council')],
  );
  await Promise.all(
    DEMO_LOGINS.filter((login) => login.organisation).map(async (login) => {
      const user = await findUserByEmail(pool, login.email);
      const organisationId = orgIds.get(login.organisation as string);
      if (user && organisationId) await grantRole(pool, user.id, { role: login.role, organisationId }, null);
    }),
  );
}

/** Any organisation at all means someone has set the partnership up: the demo is not loaded over it. */
export async function holdsOrganisations(ctx: ModuleContext): Promise<boolean> {
  const { rows } = await ctx.database.pool.query('select 1 from organisations limit 1');
  return rows.length > 0;
}
