import type { NextFunction, Request, Response } from 'express';
import type { Pool, PoolClient } from 'pg';

type Queryable = Pool | PoolClient;

/**
 * Whether a course certificate may be issued for this completion: always,
 * unless the course requires evaluation and the learner has not yet rated
 * their confidence after it. Evidence is not held back (see README).
 */
export async function evaluationAllowsCertificate(db: Queryable, completion: { staffId: string; courseId: string; achievedOn: string }): Promise<boolean> {
  const { rows } = await db.query<{ ok: boolean }>(
    `select not c.requires_evaluation
            or exists (select 1 from course_evaluations e where e.staff_id = $1 and e.course_id = c.id and e.stage = 'after' and e.completed_on = $3::date) as ok
       from course_catalogue c where c.id = $2`,
    [completion.staffId, completion.courseId, completion.achievedOn],
  );
  return rows[0]?.ok ?? true;
}

/**
 * Before the e-learning player: a course that requires evaluation asks a
 * member of staff for their confidence rating before they first start it.
 * Mounted before every module's routes (FeatureModule.routesBeforeOthers), so before the players'.
 */
export function preCourseRatingGate(pool: Pool) {
  return async (req: Request, res: Response, next: NextFunction) => {
    const staffId = req.caller?.staffIds[0];
    if (!staffId) return next();
    const { rows } = await pool.query<{ needed: boolean }>(
      `select c.requires_evaluation
              and not exists (select 1 from course_evaluations e where e.staff_id = $1 and e.course_id = c.id and e.stage = 'before')
              and not exists (select 1 from evidence_entries v where v.staff_id = $1 and v.course_id = c.id) as needed
         from course_catalogue c where c.slug = $2`,
      [staffId, String(req.params.slug)],
    );
    if (rows[0]?.needed) return res.redirect(`/courses/${encodeURIComponent(String(req.params.slug))}/evaluation`);
    next();
  };
}
