import type { ModuleContext } from '../../server/module';
import { createStaffStore } from './store';

// Job titles across the four staff groups; each maps through the partnership's default job title mappings.
const DEMO_ROLES: { jobTitle: string; team: string }[] = [
  { jobTitle: 'Admin officer', team: 'Business support' },
  { jobTitle: 'HR adviser', team: 'People services' },
  { jobTitle: 'Call centre adviser', team: 'Customer contact' },
  { jobTitle: 'Health and safety lead', team: 'Business support' },
  { jobTitle: 'Housing officer', team: 'Frontline services' },
  { jobTitle: 'Social care worker', team: 'Frontline services' },
  { jobTitle: 'Substance misuse worker', team: 'Frontline services' },
  { jobTitle: 'Service manager', team: 'Frontline services' },
  { jobTitle: 'Safeguarding lead', team: 'Safeguarding' },
  { jobTitle: 'Senior manager (safeguarding)', team: 'Safeguarding' },
  { jobTitle: 'Director', team: 'Leadership' },
  { jobTitle: 'Trustee', team: 'Governance' },
];

// At the council only: titles no mapping covers, so the lead has some to map.
const UNMAPPED_AT_COUNCIL = [
  { name: 'Rowan Hughes', jobTitle: 'Community connector', team: 'Communities' },
  { name: 'Tariq Osei', jobTitle: 'Tenancy sustainment coordinator', team: 'Housing options' },
  { name: 'Mei Lin', jobTitle: 'Family navigator', team: 'Early help' },
];

const GIVEN = ['Alex', 'Bea', 'Chris', 'Dana', 'Eli', 'Fatima', 'George', 'Hana', 'Imran', 'Jo', 'Kai', 'Lena', 'Mo', 'Nia', 'Owen', 'Pat'];
const FAMILY = ['Evans', 'Khan', 'Morgan', 'Patel', 'Jones', 'Williams', 'Brown', 'Nowak', 'Ali', 'Clarke', 'Reid', 'Singh'];

/**
 * Staff in every demo organisation, across all four groups, with start dates
 * spread over three years; groups come from their job titles through the
 * mapping rules, as for real staff. Safe to run twice.
 */
export async function seedDemoStaff(ctx: ModuleContext): Promise<void> {
  const pool = ctx.database.pool;
  const store = createStaffStore(ctx.database, ctx.events);
  await store.ensureDefaultMappings();
  const { rows: orgs } = await pool.query<{ id: string; slug: string; email_domains: string[] }>('select id, slug, email_domains from organisations order by slug');
  // Gathered first and written in one statement: each statement is a round trip through the embedded database's socket.
  const rows: unknown[][] = [];
  let n = 0;
  for (const org of orgs) {
    const domain = org.email_domains[0] ?? `${org.slug}.example`;
    for (const [i, role] of DEMO_ROLES.entries()) {
      n++;
      const name = `${GIVEN[n % GIVEN.length]} ${FAMILY[(n * 7) % FAMILY.length]}`;
      const email = `${name.toLowerCase().replace(/[^a-z]+/g, '.')}.${i + 1}@${domain}`;
      rows.push([org.id, name, email, role.jobTitle, role.team, `D${String(n).padStart(5, '0')}`, 30 + ((n * 97) % 1000), role.jobTitle === 'Trustee', null]);
    }
  }
  const council = orgs.find((o) => o.slug === 'vale-county-council');
  if (council) {
    for (const [i, p] of UNMAPPED_AT_COUNCIL.entries()) {
      rows.push([council.id, p.name, `${p.name.toLowerCase().replace(/[^a-z]+/g, '.')}@valecounty.example`, p.jobTitle, p.team, `D9000${i + 1}`, 60 + i * 45, false, null]);
    }
    // The demo learner is a housing officer at the council (Group 2).
    const { rows: users } = await pool.query<{ id: string }>(`select id from users where email = 'learner@valecounty.example'`);
    if (users[0]) rows.push([council.id, 'Sam Taylor', 'learner@valecounty.example', 'Housing officer', 'Frontline services', 'D99999', 400, false, users[0].id]);
  }
  const columns = rows[0]?.length ?? 0;
  if (rows.length) {
    await pool.query(
      `insert into staff (organisation_id, name, email, job_title, team, staff_number, start_date, is_volunteer, user_id)
       select o, nm, e, jt, t, sn, current_date - d, v, u
       from unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[], $8::boolean[], $9::uuid[])
         with ordinality as r (o, nm, e, jt, t, sn, d, v, u, ord)
       order by ord
       on conflict do nothing`,
      Array.from({ length: columns }, (_, c) => rows.map((row) => row[c])),
    );
  }
  await store.applyMappings({ kind: 'all' }, null, 'Demo data: group from job title');
}
