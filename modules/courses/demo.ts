import type { ModuleContext } from '../../server/module';
import { createCourse } from './store';

/** The demo's e-learning course (the SCORM module imports the project's own awareness module into it). */
export const DEMO_AWARENESS_SLUG = 'domestic-abuse-awareness';
/** The demo's face-to-face course, which the training-sessions module runs sessions of. */
export const DEMO_RESPONDING_SLUG = 'responding-to-domestic-abuse';

const CONTENT_WARNING =
  'This course talks about domestic abuse. If it affects you, support is available: see “Get help with domestic abuse” at the foot of every page.';

/**
 * The demo catalogue: the Group 1 awareness e-learning, and the Group 2
 * face-to-face course that follows it, meeting every Group 2 competency of the
 * published framework. Safe to run twice: a course already there is kept.
 */
export async function seedDemoCourses(ctx: ModuleContext): Promise<void> {
  const pool = ctx.database.pool;
  await pool.query(
    `insert into courses (slug, title, description, delivery, group_numbers, validity_months)
     values ($1, 'Responding to domestic abuse (Group 2)',
             'A full-day multi-agency course for staff who work directly with people who may be experiencing domestic abuse: recognising it, asking about it, responding safely and referring on.',
             'face-to-face', '{2}', 36)
     on conflict (slug) do nothing`,
    [DEMO_RESPONDING_SLUG],
  );
  const { rows: responding } = await pool.query<{ id: string }>('select id from courses where slug = $1', [DEMO_RESPONDING_SLUG]);
  await pool.query(
    `insert into course_competencies (course_id, competency_lineage)
     select $1, c.lineage from framework_competencies c join framework_versions f on f.id = c.framework_id and f.status = 'published'
      where c.group_number = 2 and not exists (select 1 from course_competencies where course_id = $1)
     on conflict do nothing`,
    [responding[0].id],
  );
  const { rows: awareness } = await pool.query<{ id: string }>('select id from courses where slug = $1', [DEMO_AWARENESS_SLUG]);
  const awarenessId =
    awareness[0]?.id ??
    (await ctx.database.transaction((client) =>
      createCourse(client, {
        slug: DEMO_AWARENESS_SLUG,
        title: 'Domestic abuse awareness',
        description: 'A short e-learning module for everyone in Group 1: what domestic abuse is, signs you might notice at work, and what to do.',
        audience: 'professionals',
        delivery: 'elearning',
        groupNumbers: [1],
        passMark: 66,
        validityMonths: 36,
        contentWarning: CONTENT_WARNING,
        status: 'published',
        finishedAttempt: 'review-or-retake',
        competencyLineages: ['g1c1', 'g1c2', 'g1c3', 'g1c4', 'g1c5', 'g1c6'],
        prerequisiteIds: [],
      }),
    ));
  await pool.query('insert into course_prerequisites (course_id, prerequisite_course_id) values ($1, $2) on conflict do nothing', [
    responding[0].id,
    awarenessId,
  ]);
}
