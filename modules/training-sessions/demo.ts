import type { ModuleContext } from '../../server/module';
import { courseBySlug, DEMO_RESPONDING_SLUG } from '../courses/api';

/**
 * For the demo catalogue's face-to-face Group 2 course (the courses module's
 * seedDemo makes it): two upcoming multi-agency sessions of it and one that
 * has run with its register still to take. Safe to run twice.
 */
export async function seedDemoSessions(ctx: ModuleContext): Promise<void> {
  const pool = ctx.database.pool;
  const course = await courseBySlug(pool, DEMO_RESPONDING_SLUG);
  if (!course) return;
  const courseId = course.id;
  const { rows: existing } = await pool.query('select 1 from training_sessions where course_id = $1 limit 1', [courseId]);
  if (existing.length) return;
  const { rows: trainer } = await pool.query<{ id: string }>(`select id from users where email = 'trainer@vale-partnership.example'`);
  // One that ran two days ago with people booked and its register not yet taken: the trainer's first job in the demo.
  const { rows: past } = await pool.query<{ id: string }>(
    `insert into training_sessions (course_id, starts_at, ends_at, venue, capacity, trainer_user_id, multi_agency)
     values ($1, (current_date - 2 + time '09:30') at time zone 'Europe/London', (current_date - 2 + time '16:00') at time zone 'Europe/London',
             'Vale Civic Centre, Committee Room 1', 20, $2, true)
     returning id`,
    [courseId, trainer[0]?.id ?? null],
  );
  // Two Group 2 people from each of the other agencies: the council's own people (the demo learner among them) start from nothing.
  await pool.query(
    `insert into session_bookings (session_id, staff_id, status, booked_at)
     select $1, id, 'booked', now() - interval '20 days' from (
       select s.id, o.slug, s.name, row_number() over (partition by s.organisation_id order by s.name) as n
         from staff_members s join member_organisations o on o.id = s.organisation_id
        where s.group_number = 2 and s.leaving_date is null and s.user_id is null and o.in_area and o.slug <> 'vale-county-council') x
      where n <= 2 order by slug, name limit 6`,
    [past[0].id],
  );
  // The online session has a price per place, to show charges under the booking terms.
  for (const [days, venue, online, charge] of [
    [21, 'Vale Civic Centre, Committee Room 2', null, null],
    [49, null, 'https://meet.example/vale-responding', 4500],
  ] as const) {
    await pool.query(
      `insert into training_sessions (course_id, starts_at, ends_at, venue, online_url, capacity, trainer_user_id, multi_agency, charge_pence)
       values ($1, (current_date + $2::int + time '09:30') at time zone 'Europe/London', (current_date + $2::int + time '16:00') at time zone 'Europe/London', $3, $4, 20, $5, true, $6)`,
      [courseId, days, venue, online, trainer[0]?.id ?? null, charge],
    );
  }
}
