import type { Pool } from 'pg';
import type { Role } from './access';
import { createUser, findUserByEmail, grantRole, hashPassword } from './auth/users';
import type { Prepared } from './runtime';

export interface DemoLogin {
  role: Role;
  email: string;
  password: string;
  note: string;
}

/** The demo password is printed at start; it is for trying the product out, never for real data. */
export const DEMO_PASSWORD = 'demo-learning-2026';

export const DEMO_ORGANISATIONS = [
  { slug: 'vale-county-council', name: 'Vale County Council', sector: 'local-authority', inArea: true, emailDomains: ['valecounty.example'] },
  { slug: 'vale-nhs-trust', name: 'Vale NHS Foundation Trust', sector: 'health', inArea: true, emailDomains: ['valenhs.example'] },
  { slug: 'vale-police', name: 'Vale Constabulary', sector: 'police', inArea: true, emailDomains: ['valepolice.example'] },
  { slug: 'vale-probation', name: 'Probation Service, Vale', sector: 'probation', inArea: true, emailDomains: ['valeprobation.example'] },
  { slug: 'vale-homes', name: 'Vale Homes Housing Association', sector: 'housing', inArea: true, emailDomains: ['valehomes.example'] },
  { slug: 'vale-womens-aid', name: "Vale Women's Aid", sector: 'voluntary', inArea: true, emailDomains: ['valewomensaid.example'] },
  { slug: 'northshire-council', name: 'Northshire District Council', sector: 'local-authority', inArea: false, emailDomains: ['northshire.example'] },
] as const;

export async function databaseIsEmpty(pool: Pool): Promise<boolean> {
  const { rows } = await pool.query<{ n: number }>('select count(*) as n from organisations');
  return rows[0].n === 0;
}

/**
 * The demo partnership: organisations of every sector, one person in each
 * role, and staff across all four groups (added by the staff module). Safe to
 * run again: it adds what is missing and changes nothing else.
 */
export async function seedDemoPartnership(prepared: Prepared): Promise<DemoLogin[]> {
  const { database, modules, contextFor } = prepared;
  const pool = database.pool;
  // One hash for the one published demo password, not one each: argon2 is slow on purpose,
  // and five hashes in a row were a large part of the first start. It is made on the
  // thread pool while the organisations are written.
  const passwordHash = hashPassword(DEMO_PASSWORD);
  await pool.query(
    `insert into partnership (id, name, area_name, support_links) values (1, $1, $2, $3) on conflict (id) do nothing`,
    [
      'Vale Domestic Abuse Partnership (demo)',
      'Vale',
      JSON.stringify([{ name: 'Vale Integrated Domestic Abuse Service (demo)', url: 'https://example.org/vale-idas', description: '0800 000 0000, Monday to Friday 9am to 5pm' }]),
    ],
  );
  const orgIds = new Map<string, string>();
  for (const org of DEMO_ORGANISATIONS) {
    const { rows } = await pool.query<{ id: string }>(
      `insert into organisations (slug, name, sector, in_area, email_domains) values ($1, $2, $3, $4, $5)
       on conflict (slug) do update set slug = excluded.slug returning id`,
      [org.slug, org.name, org.sector, org.inArea, org.emailDomains],
    );
    orgIds.set(org.slug, rows[0].id);
  }
  await pool.query(
    `insert into organisation_licences (organisation_id, starts_on, ends_on, seats)
     select $1, date_trunc('year', current_date)::date, (date_trunc('year', current_date) + interval '1 year - 1 day')::date, 50
     where not exists (select 1 from organisation_licences where organisation_id = $1)`,
    [orgIds.get('northshire-council')],
  );

  const council = orgIds.get('vale-county-council')!;
  const logins: (DemoLogin & { name: string; organisationId: string | null })[] = [
    { role: 'partnership-admin', email: 'admin@vale-partnership.example', name: 'Priya Shah', organisationId: null, password: DEMO_PASSWORD, note: 'runs the partnership' },
    { role: 'org-lead', email: 'lead@valecounty.example', name: 'Tom Bradley', organisationId: council, password: DEMO_PASSWORD, note: 'lead for Vale County Council' },
    { role: 'trainer', email: 'trainer@vale-partnership.example', name: 'Grace Okafor', organisationId: null, password: DEMO_PASSWORD, note: 'runs face-to-face sessions' },
    { role: 'board-member', email: 'board@vale-partnership.example', name: 'Alan Hughes', organisationId: null, password: DEMO_PASSWORD, note: 'sees totals only' },
    { role: 'learner', email: 'learner@valecounty.example', name: 'Sam Taylor', organisationId: null, password: DEMO_PASSWORD, note: 'housing officer at the council (Group 2)' },
  ];
  for (const login of logins) {
    const existing = await findUserByEmail(pool, login.email);
    const userId = existing?.id ?? (await createUser(pool, { email: login.email, name: login.name, passwordHash: await passwordHash, roles: [], emailProven: true }));
    await grantRole(pool, userId, { role: login.role, organisationId: login.organisationId }, null);
  }
  for (const mod of modules) await mod.definition.seedDemo?.(contextFor(mod));
  return logins.map(({ role, email, password, note }) => ({ role, email, password, note }));
}
