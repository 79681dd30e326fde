import type { ModuleContext } from '../../server/module';

/**
 * A face-to-face Group 2 course (only if the course catalogue has not made
 * one), two upcoming multi-agency sessions of it and one that has run with
 * its register still to take. Safe to run twice.
 */
export async function seedDemoSessions(ctx: ModuleContext): Promise<void> {
  const pool = ctx.database.pool;
  await pool.query(
    `insert into courses (slug, title, description, delivery, group_numbers, validity_months)
     values ('responding-to-domestic-abuse', 'Responding to domestic abuse (Group 2)',
             'A full-day multi-agency course for staff who work directly with people who may be experiencing domestic abuse: recognising it, asking about it, responding safely and referring on.',
             'face-to-face', '{2}', 36)
     on conflict (slug) do nothing`,
  );
  const { rows } = await pool.query<{ id: string }>(`select id from courses where slug = 'responding-to-domestic-abuse'`);
  const courseId = rows[0].id;
  await pool.query(
    `insert into course_competencies (course_id, competency_lineage)
     select $1, c.lineage from competencies c join frameworks f on f.id = c.framework_id and f.status = 'published'
      where c.group_number = 2 and not exists (select 1 from course_competencies where course_id = $1)
     on conflict do nothing`,
    [courseId],
  );
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
         from staff s join organisations o on o.id = s.organisation_id
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
