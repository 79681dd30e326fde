import type { Pool, PoolClient } from 'pg';
import type { Role } from './access';
import { createUser, findUserByEmail, grantRole } from './auth/users';
import type { Database } from './db';
import type { Prepared } from './runtime';

export interface DemoLogin {
  role: Role;
  email: string;
  password: string;
  note: string;
}

/** The demo password is printed at start; it is for trying the product out, never for real data. */
export const DEMO_PASSWORD = 'demo-learning-2026';

/**
 * DEMO_PASSWORD hashed once with argon2id (hashPassword's settings), for every demo account:
 * argon2 is slow on purpose, and hashing at each first start was a large share of it. The
 * password is published, so its hash gives nothing away (demo.unit.test.ts checks they match).
 */
export const DEMO_PASSWORD_HASH = '$argon2id$v=19$m=65536,p=4,t=3$eCJppziIYFZiNcEqHO4TlA$ePukR+Z5uWerPGX5NL6pWjTYM49WbXaJiQnaBjKJl88';

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

export async function databaseIsEmpty(pool: Pool): Promise<boolean> {
  const { rows } = await pool.query<{ n: number }>('select count(*) as n from organisations');
  return rows[0].n === 0;
}

/**
 * A demo module's bulk load: one transaction, with triggers and foreign-key
 * checks off where the database allows it (a superuser, as the embedded
 * database's is), as the benchmark loader's COPY runs. The tables those
 * triggers keep (current evidence, kept compliance results and past days, the
 * audit of group changes) are otherwise written once per row, which on the
 * embedded database was most of a first start. `triggersOff` tells the load
 * whether it must bring them up to date itself, set-based, with the functions
 * the triggers call.
 */
export async function bulkLoad<T>(database: Database, load: (client: PoolClient, triggersOff: boolean) => Promise<T>): Promise<T> {
  return database.transaction(async (client) => {
    let triggersOff = true;
    await client.query('savepoint bulk_load');
    try {
      await client.query('set local session_replication_role = replica');
    } catch {
      // Not allowed for this database user: the triggers do the work, row by row.
      triggersOff = false;
      await client.query('rollback to savepoint bulk_load');
    }
    return load(client, triggersOff);
  });
}

/**
 * The demo partnership: organisations of every sector and size, one person in
 * each role, and staff across every staff group (added by the staff module).
 * Safe to run again: it adds what is missing and changes nothing else.
 */
export async function seedDemoPartnership(prepared: Prepared): Promise<DemoLogin[]> {
  const { database, modules, contextFor } = prepared;
  const pool = database.pool;
  await pool.query(
    `insert into partnership (id, name, area_name, support_links) values (1, $1, $2, $3) on conflict (id) do nothing`,
    [
      'Vale Domestic Abuse Partnership (demo)',
      'Vale',
      JSON.stringify([{ name: 'Vale Integrated Domestic Abuse Service (demo)', url: 'https://example.org/vale-idas', description: '0800 000 0000, Monday to Friday 9am to 5pm' }]),
    ],
  );
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

  const council = orgIds.get('vale-county-council')!;
  const logins: (DemoLogin & { name: string; organisationId: string | null })[] = [
    { role: 'partnership-admin', email: 'admin@vale-partnership.example', name: 'Priya Shah', organisationId: null, password: DEMO_PASSWORD, note: 'runs the partnership' },
    { role: 'org-lead', email: 'lead@valecounty.example', name: 'Tom Bradley', organisationId: council, password: DEMO_PASSWORD, note: 'lead for Vale County Council' },
    { role: 'trainer', email: 'trainer@vale-partnership.example', name: 'Grace Okafor', organisationId: null, password: DEMO_PASSWORD, note: 'runs face-to-face sessions' },
    { role: 'board-member', email: 'board@vale-partnership.example', name: 'Alan Hughes', organisationId: null, password: DEMO_PASSWORD, note: 'sees totals only' },
    { role: 'learner', email: 'learner@valecounty.example', name: 'Sam Taylor', organisationId: null, password: DEMO_PASSWORD, note: 'housing officer at the council (Group 2)' },
  ];
  await Promise.all(
    logins.map(async (login) => {
      const existing = await findUserByEmail(pool, login.email);
      const userId = existing?.id ?? (await createUser(pool, { email: login.email, name: login.name, passwordHash: DEMO_PASSWORD_HASH, roles: [], emailProven: true }));
      await grantRole(pool, userId, { role: login.role, organisationId: login.organisationId }, null);
    }),
  );
  for (const mod of modules) await mod.definition.seedDemo?.(contextFor(mod));
  return logins.map(({ role, email, password, note }) => ({ role, email, password, note }));
}
