import type { ModuleContext } from '../../server/module';

// Job titles across the four staff groups, as in the framework's example roles.
const DEMO_ROLES: { jobTitle: string; group: number; team: string }[] = [
  { jobTitle: 'Admin officer', group: 1, team: 'Business support' },
  { jobTitle: 'HR adviser', group: 1, team: 'People services' },
  { jobTitle: 'Call centre adviser', group: 1, team: 'Customer contact' },
  { jobTitle: 'Health and safety lead', group: 1, team: 'Business support' },
  { jobTitle: 'Housing officer', group: 2, team: 'Frontline services' },
  { jobTitle: 'Social care worker', group: 2, team: 'Frontline services' },
  { jobTitle: 'Substance misuse worker', group: 2, team: 'Frontline services' },
  { jobTitle: 'Service manager', group: 2, team: 'Frontline services' },
  { jobTitle: 'Safeguarding lead', group: 3, team: 'Safeguarding' },
  { jobTitle: 'Senior manager (safeguarding)', group: 3, team: 'Safeguarding' },
  { jobTitle: 'Director', group: 4, team: 'Leadership' },
  { jobTitle: 'Trustee', group: 4, team: 'Governance' },
];

const GIVEN = ['Alex', 'Bea', 'Chris', 'Dana', 'Eli', 'Fatima', 'George', 'Hana', 'Imran', 'Jo', 'Kai', 'Lena', 'Mo', 'Nia', 'Owen', 'Pat'];
const FAMILY = ['Evans', 'Khan', 'Morgan', 'Patel', 'Jones', 'Williams', 'Brown', 'Nowak', 'Ali', 'Clarke', 'Reid', 'Singh'];

/** Staff in every demo organisation, across all four groups, with start dates spread over three years. */
export async function seedDemoStaff(ctx: ModuleContext): Promise<void> {
  const pool = ctx.database.pool;
  const { rows: orgs } = await pool.query<{ id: string; slug: string; email_domains: string[] }>('select id, slug, email_domains from organisations order by slug');
  let n = 0;
  for (const org of orgs) {
    const domain = org.email_domains[0] ?? `${org.slug}.example`;
    for (const [i, role] of DEMO_ROLES.entries()) {
      n++;
      const name = `${GIVEN[n % GIVEN.length]} ${FAMILY[(n * 7) % FAMILY.length]}`;
      const email = `${name.toLowerCase().replace(/[^a-z]+/g, '.')}.${i + 1}@${domain}`;
      const startDaysAgo = 30 + ((n * 97) % 1000);
      await pool.query(
        `insert into staff (organisation_id, name, email, job_title, team, staff_number, start_date, is_volunteer, group_number, group_source)
         values ($1, $2, $3, $4, $5, $6, current_date - $7::int, $8, $9, 'partnership-mapping')
         on conflict do nothing`,
        [org.id, name, email, role.jobTitle, role.team, `D${String(n).padStart(5, '0')}`, startDaysAgo, role.jobTitle === 'Trustee', role.group],
      );
    }
  }
  // The demo learner is a housing officer at the council.
  const council = orgs.find((o) => o.slug === 'vale-county-council');
  const { rows: users } = await pool.query<{ id: string }>(`select id from users where email = 'learner@valecounty.example'`);
  if (council && users[0]) {
    await pool.query(
      `insert into staff (organisation_id, user_id, name, email, job_title, team, staff_number, start_date, group_number, group_source)
       values ($1, $2, 'Sam Taylor', 'learner@valecounty.example', 'Housing officer', 'Frontline services', 'D99999', current_date - 400, 2, 'partnership-mapping')
       on conflict do nothing`,
      [council.id, users[0].id],
    );
  }
  await pool.query(
    `insert into staff_group_history (staff_id, group_number, source, reason)
     select s.id, s.group_number, 'partnership-mapping', 'Demo data: mapped from job title'
     from staff s where not exists (select 1 from staff_group_history h where h.staff_id = s.id)`,
  );
}
