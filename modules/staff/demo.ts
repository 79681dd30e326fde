import { bulkLoad } from '../../server/demo';
import type { ModuleContext } from '../../server/module';
import { groupForJobTitle } from './mapping';
import { createStaffStore } from './store';

/** A role in a demo organisation: job title, team, and its share of the organisation's people. */
type Role = [jobTitle: string, team: string, share: number, volunteer?: 'volunteer'];

// Roles every organisation has a few of: support staff, safeguarding leads and leaders.
const SUPPORT: Role[] = [
  ['Admin officer', 'Business support', 6],
  ['HR adviser', 'People services', 2],
  ['Health and safety lead', 'Business support', 1],
];
const LEADERSHIP: Role[] = [
  ['Safeguarding lead', 'Safeguarding', 3],
  ['Senior manager (safeguarding)', 'Safeguarding', 1],
  ['Director', 'Leadership', 2],
];

/**
 * Each demo organisation's size and the mix of its people's job titles, by
 * slug. Groups come from the job titles through the partnership's mappings, as
 * for real staff. Sizes differ, as a partnership's members do; the advocacy
 * service is small enough that the board sees its figures withheld.
 */
const WORKFORCES: Record<string, { size: number; roles: Role[] }> = {
  'vale-county-council': {
    size: 148,
    roles: [
      ...SUPPORT,
      ['Call centre adviser', 'Customer contact', 12],
      ['Customer services adviser', 'Customer contact', 6],
      ['Housing officer', 'Frontline services', 14],
      ['Social worker', "Children's services", 16],
      ['Social care worker', 'Adult social care', 14],
      ['Team manager', 'Frontline services', 4],
      ...LEADERSHIP,
      ['Councillor', 'Elected members', 3],
    ],
  },
  'vale-nhs-trust': {
    size: 136,
    roles: [
      ...SUPPORT,
      ['Administrator', 'Outpatients', 14],
      ['Support staff', 'Estates and facilities', 12],
      ['Social worker', 'Hospital social work', 10],
      ['Substance misuse worker', 'Drug and alcohol service', 8],
      ['Frontline manager', 'Emergency department', 6],
      ['Service manager', 'Community services', 4],
      ...LEADERSHIP,
      ['Non-executive director', 'Trust board', 2],
    ],
  },
  'vale-police': {
    size: 122,
    roles: [
      ['Admin officer', 'Business support', 4],
      ['Call centre operator', 'Control room', 10],
      ['Police constable', 'Response', 26],
      ['Police constable', 'Neighbourhood policing', 12],
      ['Police sergeant', 'Response', 6],
      ['Police officer', 'Public protection unit', 8],
      ...LEADERSHIP,
    ],
  },
  'vale-probation': {
    size: 74,
    roles: [
      ...SUPPORT,
      ['Probation practitioner', 'Offender management', 20],
      ['Probation officer', 'Courts team', 10],
      ['Team manager', 'Offender management', 3],
      ...LEADERSHIP,
    ],
  },
  'vale-homes': {
    size: 92,
    roles: [
      ...SUPPORT,
      ['Customer services adviser', 'Customer contact', 10],
      ['Support staff', 'Repairs and maintenance', 10],
      ['Housing officer', 'Tenancy services', 18],
      ['Service manager', 'Tenancy services', 3],
      ...LEADERSHIP,
      ['Non-executive director', 'Board', 2],
    ],
  },
  'vale-womens-aid': {
    size: 61,
    roles: [
      ['Admin officer', 'Business support', 3],
      ['Support staff', 'Helpline volunteers', 14, 'volunteer'],
      ['Social care worker', 'Refuge', 10],
      ['Frontline manager', 'Outreach', 3],
      ['Safeguarding lead', 'Safeguarding', 2],
      ['Chief executive', 'Leadership', 1],
      ['Trustee', 'Governance', 5, 'volunteer'],
    ],
  },
  'northshire-council': {
    size: 64,
    roles: [
      ...SUPPORT,
      ['Call centre adviser', 'Customer contact', 8],
      ['Housing officer', 'Housing options', 12],
      ['Social worker', 'Adult social care', 10],
      ...LEADERSHIP,
    ],
  },
  // So small that every count the board could show of it is 1 or 2: all withheld.
  'vale-advocacy-service': {
    size: 6,
    roles: [
      ['Admin officer', 'Business support', 1],
      ['Social care worker', 'Advocacy', 1],
      ['Service manager', 'Advocacy', 1],
      ['Safeguarding lead', 'Safeguarding', 1],
      ['Trustee', 'Governance', 2, 'volunteer'],
    ],
  },
};
/** Any other organisation (one a test added before seeding): a small general mix. */
const OTHER: { size: number; roles: Role[] } = { size: 12, roles: [...SUPPORT, ['Social care worker', 'Frontline services', 6], ...LEADERSHIP] };

// At the council only: titles no mapping covers, so the lead has some to map.
const UNMAPPED_AT_COUNCIL = [
  { name: 'Rowan Hughes', jobTitle: 'Community connector', team: 'Communities' },
  { name: 'Tariq Osei', jobTitle: 'Tenancy sustainment coordinator', team: 'Housing options' },
  { name: 'Mei Lin', jobTitle: 'Family navigator', team: 'Early help' },
];

// Plainly made up: each person is one given name and one family name from these lists.
const GIVEN = [
  'Alex',
  'Bea',
  'Chris',
  'Dana',
  'Eli',
  'Fatima',
  'George',
  'Hana',
  'Imran',
  'Jo',
  'Kai',
  'Lena',
  'Mo',
  'Nia',
  'Owen',
  'Pat',
  'Quinn',
  'Rosa',
  'Sunil',
  'Tess',
  'Umar',
  'Vicky',
  'Wes',
  'Yasmin',
  'Zac',
  'Amira',
  'Ben',
  'Cerys',
  'Dev',
  'Erin',
  'Finn',
  'Gita',
  'Harvey',
  'Isla',
  'Jamal',
  'Kerry',
  'Luca',
  'Maya',
  'Noor',
  'Ollie',
];
const FAMILY = [
  'Evans',
  'Khan',
  'Morgan',
  'Patel',
  'Jones',
  'Williams',
  'Brown',
  'Nowak',
  'Ali',
  'Clarke',
  'Reid',
  'Singh',
  'Ahmed',
  'Baker',
  'Carter',
  'Davies',
  'Edwards',
  'Fisher',
  'Green',
  'Hall',
  'Iqbal',
  'Jackson',
  'Kowalski',
  'Lewis',
  'Mensah',
  'Norris',
  "O'Neill",
  'Price',
  'Rahman',
  'Shaw',
  'Thomas',
  'Usman',
  'Walsh',
  'Young',
];

/** Spreads `size` people over the roles by their shares, every role at least one person. */
function apportion(roles: Role[], size: number): Role[] {
  const total = roles.reduce((n, r) => n + r[2], 0);
  const counts = roles.map((r) => Math.max(1, Math.floor((r[2] / total) * size)));
  // What rounding down left over goes to the largest roles first.
  const order = roles.map((_, i) => i).sort((a, b) => roles[b][2] - roles[a][2]);
  for (let k = 0, left = size - counts.reduce((a, b) => a + b, 0); left > 0; k++, left--) counts[order[k % order.length]]++;
  return roles.flatMap((r, i) => Array.from({ length: counts[i] }, () => r));
}

/**
 * Staff in every demo organisation, sized and mixed as above, with start
 * dates spread over ten years (a few new starters still in induction, a few
 * with no start date recorded), each put in their staff group by the
 * partnership's job title mappings with a line of group history, as an
 * import would. Safe to run twice.
 */
export async function seedDemoStaff(ctx: ModuleContext): Promise<void> {
  const pool = ctx.database.pool;
  const store = createStaffStore(ctx.database, ctx.events);
  await store.ensureDefaultMappings();
  const [{ rows: orgs }, { rows: mappings }, { rows: learner }] = await Promise.all([
    pool.query<{ id: string; slug: string; email_domains: string[] }>('select id, slug, email_domains from member_organisations order by slug'),
    pool.query<{ key: string; group: number }>('select job_title_key as key, group_number as group from job_role_mappings where organisation_id is null'),
    pool.query<{ id: string }>(`select id from users where email = 'learner@valecounty.example'`),
  ]);
  const groupOf = (jobTitle: string) => {
    const decision = groupForJobTitle(jobTitle, mappings, []);
    return 'group' in decision ? decision.group : null;
  };
  // Gathered first and written in one statement: each statement is a round trip through the embedded database's socket.
  const rows: unknown[][] = [];
  let n = 0;
  for (const org of orgs) {
    const domain = org.email_domains[0] ?? `${org.slug}.example`;
    const emails = new Set<string>();
    const { size, roles } = WORKFORCES[org.slug] ?? OTHER;
    for (const [jobTitle, team, , volunteer] of apportion(roles, size)) {
      n++;
      const name = `${GIVEN[(n * 7) % GIVEN.length]} ${FAMILY[(n * 11 + Math.floor(n / GIVEN.length)) % FAMILY.length]}`;
      const local = name.toLowerCase().replace(/[^a-z]+/g, '.');
      let email = `${local}@${domain}`;
      for (let k = 2; emails.has(email); k++) email = `${local}${k}@${domain}`;
      emails.add(email);
      // Most started years ago; one in twenty in the last three months (still in induction), one in twenty-five with no start date on record.
      const startedDaysAgo = n % 25 === 3 ? null : n % 20 === 7 ? 5 + ((n * 13) % 80) : 120 + ((n * 397) % 3500);
      rows.push([org.id, name, email, jobTitle, team, `D${String(n).padStart(5, '0')}`, startedDaysAgo, volunteer === 'volunteer', null, groupOf(jobTitle)]);
    }
  }
  const council = orgs.find((o) => o.slug === 'vale-county-council');
  if (council) {
    for (const [i, p] of UNMAPPED_AT_COUNCIL.entries()) {
      rows.push([
        council.id,
        p.name,
        `${p.name.toLowerCase().replace(/[^a-z]+/g, '.')}@valecounty.example`,
        p.jobTitle,
        p.team,
        `D9000${i + 1}`,
        60 + i * 45,
        false,
        null,
        null,
      ]);
    }
    // The demo learner is a housing officer at the council (Group 2).
    if (learner[0])
      rows.push([
        council.id,
        'Sam Taylor',
        'learner@valecounty.example',
        'Housing officer',
        'Frontline services',
        'D99999',
        400,
        false,
        learner[0].id,
        groupOf('Housing officer'),
      ]);
  }
  if (!rows.length) return;
  const columns = rows[0].length;
  await bulkLoad(ctx.database, async (client, triggersOff) => {
    const { rows: added } = await client.query<{ id: string }>(
      `insert into staff (organisation_id, name, email, job_title, team, staff_number, start_date, is_volunteer, user_id, group_number, group_source)
       select o, nm, e, jt, t, sn, current_date - d, v, u, g, case when g is not null then 'partnership-mapping' end
       from unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[], $8::boolean[], $9::uuid[], $10::int[])
         with ordinality as r (o, nm, e, jt, t, sn, d, v, u, g, ord)
       order by ord
       on conflict do nothing
       returning id`,
      Array.from({ length: columns }, (_, c) => rows.map((row) => row[c])),
    );
    if (!added.length) return;
    const ids = added.map((r) => r.id);
    // Each mapped person's first group, as the mapping step records it.
    await client.query(
      `insert into staff_group_history (staff_id, group_number, previous_group_number, source, reason)
       select id, group_number, null, group_source, 'Demo data: group from job title' from staff where id = any($1::uuid[]) and group_number is not null`,
      [ids],
    );
    if (!triggersOff) return;
    // What this module's trigger would have written: the group changes in the audit log
    // (the compliance module's seedDemo brings its kept results up to date after every load).
    await client.query(
      `insert into audit_log (actor_user_id, action, organisation_id, subject_type, subject_id, detail)
       select h.changed_by, 'staff.group-changed', s.organisation_id, 'staff', h.staff_id::text,
              jsonb_build_object('from', h.previous_group_number, 'to', h.group_number, 'source', h.source, 'reason', h.reason)
         from staff_group_history h join staff s on s.id = h.staff_id where h.staff_id = any($1::uuid[])`,
      [ids],
    );
  });
}
