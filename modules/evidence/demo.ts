import { bulkLoad } from '../../server/demo';
import type { ModuleContext } from '../../server/module';

/**
 * How each demo organisation keeps up with training, by slug: a multiplier on
 * the share of its people who have let it lapse or never done it (1 is the
 * partnership's usual; below 1 keeps up better).
 */
const BEHIND: Record<string, number> = {
  'vale-police': 0.6,
  'vale-womens-aid': 0.7,
  'vale-probation': 0.8,
  'vale-nhs-trust': 0.9,
  'vale-county-council': 1,
  'northshire-council': 1.3,
  'vale-homes': 1.5,
  'vale-advocacy-service': 0.5,
};

/** A number from 0 to 1 that is the same for the same text: the demo is the same at every start. */
function unit(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return (h >>> 0) / 2 ** 32;
}

/** When one person did their training, in days before today (null: not done). */
interface Plan {
  staffId: string;
  ago: number | null;
  /** Started, not finished: only the first two of their own group's competencies. */
  partial: boolean;
}

/**
 * One person's training history. Refreshers run every 36 months (the
 * default): most people are in date, a share is due within 60 days, some
 * have lapsed or never trained, and training picked up over the last two
 * quarters, so the board sees a rise since last quarter.
 */
function planFor(p: { staffId: string; staffNumber: string; daysIn: number | null; intoQuarter: number; behind: number }): Plan {
  const u = unit(`${p.staffNumber}:profile`);
  const v = unit(`${p.staffNumber}:date`);
  const none: Plan = { staffId: p.staffId, ago: null, partial: false };
  const done = (ago: number): Plan => ({ ...none, ago });
  // New starters still in induction: some have done their training already.
  if (p.daysIn !== null && p.daysIn <= 90) return u < 0.4 ? done(Math.floor(v * p.daysIn)) : none;
  // No start date on record and nothing done: never started.
  if (p.daysIn === null && u < 0.5) return none;
  // Shares of people, in turn, each with when they trained; the rest trained between two quarters and 33 months ago.
  const profiles: [share: number, plan: () => Plan][] = [
    [0.05 * p.behind, () => none], // never trained
    [0.06 * p.behind, () => ({ ...done(200 + Math.round(v * 600)), partial: true })], // started, not finished
    [0.13 * p.behind, () => done(1110 + Math.round(v * 400))], // lapsed
    [0.06, () => done(1045 + Math.round(v * 45))], // due again within 60 days
    [0.14, () => done(Math.round(v * p.intoQuarter))], // this quarter
    [0.1, () => done(p.intoQuarter + 1 + Math.round(v * 89))], // last quarter
  ];
  let t = u;
  for (const [share, plan] of profiles) {
    if (t < share) return plan();
    t -= share;
  }
  return done(p.intoQuarter + 91 + Math.round(v * (1000 - p.intoQuarter - 91)));
}

/**
 * Demo evidence so compliance pages and the board show a realistic mix (see
 * planFor). Each entry is recorded on the day it was achieved, so past
 * quarters (the lead's trend, the board's snapshots) show the demo as it
 * would have stood. The demo learner and anyone not yet in a group have none.
 * Runs once: skipped when any demo evidence exists.
 */
export async function seedDemoEvidence(ctx: ModuleContext): Promise<void> {
  const pool = ctx.database.pool;
  const [{ rows: done }, { rows: people }] = await Promise.all([
    pool.query(`select 1 from evidence where source_ref like 'demo:%' limit 1`),
    pool.query<{ id: string; staffNumber: string; daysIn: number | null; slug: string; intoQuarter: number }>(
      `select s.id, coalesce(s.staff_number, s.id::text) as "staffNumber", current_date - s.start_date as "daysIn", o.slug,
              current_date - date_trunc('quarter', current_date)::date as "intoQuarter"
         from staff_members s join member_organisations o on o.id = s.organisation_id
        where s.group_number is not null and s.leaving_date is null and s.user_id is null`,
    ),
  ]);
  if (done.length || !people.length) return;
  const plans = people
    .map((p) => planFor({ staffId: p.id, staffNumber: p.staffNumber, daysIn: p.daysIn, intoQuarter: p.intoQuarter, behind: BEHIND[p.slug] ?? 1 }))
    .filter((p) => p.ago !== null);
  if (!plans.length) return;
  await bulkLoad(ctx.database, async (client, triggersOff) => {
    // One row per competency each person's group needs: their own group's and those of the groups it builds on.
    await client.query(
      `insert into evidence (staff_id, competency_id, achieved_on, recorded_at, source, source_ref, note)
       select p.staff_id, c.id, t.on_day, t.on_day + time '12:00', 'prior-learning', 'demo:' || p.staff_id, 'Demo data: recorded before the LMS'
         from unnest($1::uuid[], $2::int[], $3::boolean[]) as p (staff_id, ago, partial)
         join staff_members s on s.id = p.staff_id
         join framework_versions f on f.status = 'published'
         join framework_staff_groups g on g.framework_id = f.id and g.number = s.group_number
         join framework_competencies c on c.framework_id = f.id and not c.retired and (c.group_number = g.number or c.group_number = any(g.includes_groups))
         cross join lateral (select current_date - p.ago as on_day) t
        where not (p.partial and c.group_number = g.number and c.number > 2)
       on conflict do nothing`,
      [plans.map((p) => p.staffId), plans.map((p) => p.ago), plans.map((p) => p.partial)],
    );
    if (!triggersOff) return;
    // What this module's trigger would have kept: each person's current evidence
    // (the compliance module's seedDemo brings its kept results up to date after every load).
    await client.query('select refresh_current_evidence($1::uuid[])', [plans.map((p) => p.staffId)]);
  });
}
