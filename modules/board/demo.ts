import type { Pool } from 'pg';
import { lastEndedQuarter, previousQuarter } from './quarters';
import { takeSnapshot } from './store';

/**
 * The board's part of the demo partnership: every organisation declares a
 * headcount a little above what it has on the system (people not yet
 * registered; how much above differs between organisations), and the last
 * two quarters are snapshotted so /board shows a trend. Safe to run twice: declarations and snapshots already there are kept.
 */
export async function seedBoardDemo(pool: Pool, today: string): Promise<void> {
  await pool.query(
    `insert into board_declared_headcount (organisation_id, group_number, staff, volunteers)
     select o.id, g.number,
            ceil(count(s.id) filter (where not s.is_volunteer) * (1.04 + (o.slug_rank % 4) * 0.05))::int,
            case when o.sector = 'voluntary' then ceil(count(s.id) filter (where s.is_volunteer) * 1.3)::int else count(s.id) filter (where s.is_volunteer)::int end
       from (select *, row_number() over (order by slug) as slug_rank from member_organisations) o
       cross join (select distinct sg.number from framework_staff_groups sg join framework_versions f on f.id = sg.framework_id and f.status = 'published') g
       left join staff_members s on s.organisation_id = o.id and s.group_number = g.number and s.leaving_date is null
      where not exists (select 1 from board_declared_headcount d where d.organisation_id = o.id)
      group by o.id, o.sector, o.slug_rank, g.number
     on conflict do nothing`,
  );
  const last = lastEndedQuarter(today);
  for (const q of [previousQuarter(last), last]) await takeSnapshot(pool, q, { userId: null });
}
