import type { PoolClient } from 'pg';
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

/**
 * The demo's sign-ins, one for each role. A role that names an organisation
 * (the council's lead) is granted by the organisations module, which makes the
 * organisations: the server knows them only by their slug.
 */
export const DEMO_LOGINS: readonly (DemoLogin & { name: string; organisation?: string })[] = [
  { role: 'partnership-admin', email: 'admin@vale-partnership.example', name: 'Priya Shah', password: DEMO_PASSWORD, note: 'runs the partnership' },
  {
    role: 'org-lead',
    email: 'lead@valecounty.example',
    name: 'Tom Bradley',
    organisation: 'vale-county-council',
    password: DEMO_PASSWORD,
    note: 'lead for Vale County Council',
  },
  { role: 'trainer', email: 'trainer@vale-partnership.example', name: 'Grace Okafor', password: DEMO_PASSWORD, note: 'runs face-to-face sessions' },
  { role: 'board-member', email: 'board@vale-partnership.example', name: 'Alan Hughes', password: DEMO_PASSWORD, note: 'sees totals only' },
  { role: 'learner', email: 'learner@valecounty.example', name: 'Sam Taylor', password: DEMO_PASSWORD, note: 'housing officer at the council (Group 2)' },
];

/** Whether the demo may be loaded: no module holds anything someone entered (see FeatureModule.holdsData). */
export async function databaseIsEmpty(prepared: Pick<Prepared, 'modules' | 'contextFor'>): Promise<boolean> {
  for (const mod of prepared.modules) {
    if (await mod.definition.holdsData?.(prepared.contextFor(mod))) return false;
  }
  return true;
}

/**
 * A demo module's bulk load: one transaction, with triggers and foreign-key
 * checks off where the database allows it (a superuser, as the embedded
 * database's is), as the benchmark loader's COPY runs. The tables those
 * triggers keep (current evidence, kept compliance results and past days, the
 * audit of group changes) are otherwise written once per row, which on the
 * embedded database was most of a first start. `triggersOff` tells the load
 * whether it must bring its own module's kept tables up to date itself,
 * set-based, with the functions its triggers call; another module's (the
 * compliance module's kept results) are that module's to bring up to date,
 * in its own seedDemo, which runs after those of every module it depends on.
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
 * The demo partnership: one person in each role here, then each module's part
 * (the partnership's settings, organisations of every sector and size, staff
 * across every staff group, their training ...), in dependency order.
 * Safe to run again: it adds what is missing and changes nothing else.
 */
export async function seedDemoPartnership(prepared: Prepared): Promise<DemoLogin[]> {
  const { database, modules, contextFor } = prepared;
  const pool = database.pool;
  // The sign-ins come first: modules' parts refer to them (the demo learner is on the council's staff).
  await Promise.all(
    DEMO_LOGINS.map(async (login) => {
      const existing = await findUserByEmail(pool, login.email);
      const userId =
        existing?.id ?? (await createUser(pool, { email: login.email, name: login.name, passwordHash: DEMO_PASSWORD_HASH, roles: [], emailProven: true }));
      if (!login.organisation) await grantRole(pool, userId, { role: login.role, organisationId: null }, null);
    }),
  );
  for (const mod of modules) await mod.definition.seedDemo?.(contextFor(mod));
  return DEMO_LOGINS.map(({ role, email, password, note }) => ({ role, email, password, note }));
}
