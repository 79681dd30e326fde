import type { ModuleContext } from '../../server/module';

/**
 * Demo evidence so compliance pages show a realistic mix: most staff have
 * prior learning for their group's competencies, achieved at spread-out
 * dates (some current, some due soon, some expired); a few have nothing.
 * Each entry is recorded on the day it was achieved, so past quarters (the
 * lead's trend, the board's snapshots) show the demo as it would have stood.
 * Runs once: skipped when any demo evidence exists.
 */
export async function seedDemoEvidence(ctx: ModuleContext): Promise<void> {
  const pool = ctx.database.pool;
  const { rows } = await pool.query(`select 1 from evidence where source_ref like 'demo:%' limit 1`);
  if (rows.length) return;
  await pool.query(
    `with people as (
       select s.id, s.group_number, row_number() over (order by s.staff_number, s.id) as n
         from staff s where s.group_number is not null and s.leaving_date is null)
     insert into evidence (staff_id, competency_id, achieved_on, recorded_at, source, source_ref, note)
     select p.id, c.id, d.achieved_on, d.achieved_on + time '12:00', 'prior-learning', 'demo:' || p.id, 'Demo data: training before the LMS'
       from people p
       cross join lateral (select current_date - ((p.n * 53) % 1300)::int as achieved_on) d
       join frameworks f on f.status = 'published'
       join staff_groups g on g.framework_id = f.id and g.number = p.group_number
       join competencies c on c.framework_id = f.id and not c.retired and (c.group_number = g.number or c.group_number = any(g.includes_groups))
      where p.n % 5 <> 0
     on conflict do nothing`,
  );
}
