import type { Pool, PoolClient } from 'pg';
import type { Database } from '../../server/db';
import type { EventBus } from '../../server/events';
import type { RatingPair } from './rules';

type Queryable = Pool | PoolClient;

export interface EvaluationCourse {
  id: string;
  slug: string;
  title: string;
  delivery: string;
  requiresEvaluation: boolean;
  followUpWeeks: number;
}

export async function evaluationCourse(db: Queryable, slug: string): Promise<EvaluationCourse | null> {
  const { rows } = await db.query<EvaluationCourse>(
    `select id, slug, title, delivery, requires_evaluation as "requiresEvaluation", evaluation_follow_up_weeks as "followUpWeeks"
       from course_catalogue where slug = $1 and status = 'published'`,
    [slug],
  );
  return rows[0] ?? null;
}

/** The competencies a course meets, as the learner rates them. */
export async function courseCompetencies(db: Queryable, courseId: string): Promise<{ lineage: string; label: string }[]> {
  const { rows } = await db.query<{ lineage: string; label: string }>(
    `select c.lineage, 'Group ' || c.group_number || ', competency ' || c.number || ': ' || c.text as label
       from course_catalogue_competencies cc join framework_competencies c on c.lineage = cc.competency_lineage and not c.retired
       join framework_versions f on f.id = c.framework_id and f.status = 'published'
      where cc.course_id = $1 order by c.group_number, c.number`,
    [courseId],
  );
  return rows;
}

export interface EvaluationState {
  hasBefore: boolean;
  /** The latest completion of the course not yet rated after, if any. */
  awaitingAfter: string | null;
  completed: boolean;
  lastAfter: { id: string; completedOn: string; followUpDueOn: string | null; followUpAnswered: boolean } | null;
}

export async function evaluationState(db: Queryable, staffId: string, courseId: string): Promise<EvaluationState> {
  const { rows } = await db.query<{ has_before: boolean; latest: string | null }>(
    `select exists (select 1 from course_evaluations where staff_id = $1 and course_id = $2 and stage = 'before') as has_before,
            (select max(e.achieved_on)::text from evidence_entries e where e.staff_id = $1 and e.course_id = $2 and not e.withdrawn
                and not exists (select 1 from evidence_entries r where r.replaces_id = e.id)) as latest`,
    [staffId, courseId],
  );
  const { rows: after } = await db.query<{ id: string; completedOn: string; followUpDueOn: string | null; followUpAnswered: boolean }>(
    `select id, completed_on::text as "completedOn", follow_up_due_on::text as "followUpDueOn", follow_up_answered_at is not null as "followUpAnswered"
       from course_evaluations where staff_id = $1 and course_id = $2 and stage = 'after' order by completed_on desc limit 1`,
    [staffId, courseId],
  );
  const latest = rows[0].latest;
  return {
    hasBefore: rows[0].has_before,
    awaitingAfter: latest && (!after[0] || after[0].completedOn < latest) ? latest : null,
    completed: !!latest,
    lastAfter: after[0] ?? null,
  };
}

/**
 * Saves a rating. An 'after' rating emits 'evaluation.completed' in the same
 * transaction, so the course certificate it was holding back is issued with it.
 */
export async function saveRating(
  db: Database,
  events: EventBus,
  input: { staffId: string; courseId: string; stage: 'before' | 'after'; completedOn: string | null; followUpWeeks: number; ratings: Map<string, number> },
): Promise<string | null> {
  return db.transaction(async (client) => {
    const { rows } = await client.query<{ id: string }>(
      `insert into course_evaluations (staff_id, course_id, stage, completed_on, follow_up_due_on)
       values ($1, $2, $3, $4, case when $3 = 'after' then current_date + $5::int * 7 end)
       on conflict do nothing returning id`,
      [input.staffId, input.courseId, input.stage, input.completedOn, input.followUpWeeks],
    );
    const id = rows[0]?.id;
    if (!id) return null; // rated already (a second tab, a double click)
    for (const [lineage, confidence] of input.ratings) {
      await client.query('insert into evaluation_ratings (evaluation_id, competency_lineage, confidence) values ($1, $2, $3)', [id, lineage, confidence]);
    }
    if (input.stage === 'after' && input.completedOn) {
      await events.emit('evaluation.completed', { client, staffId: input.staffId, courseId: input.courseId, completedOn: input.completedOn });
    }
    return id;
  });
}

export interface FollowUp {
  id: string;
  staffId: string;
  courseTitle: string;
  completedOn: string;
  answer: string | null;
}

export async function followUpFor(db: Queryable, id: string, staffIds: string[]): Promise<FollowUp | null> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return null;
  const { rows } = await db.query<FollowUp>(
    `select e.id, e.staff_id as "staffId", c.title as "courseTitle", e.completed_on::text as "completedOn", e.follow_up_answer as answer
       from course_evaluations e join course_catalogue c on c.id = e.course_id
      where e.id = $1 and e.stage = 'after' and e.staff_id = any($2::uuid[])`,
    [id, staffIds],
  );
  return rows[0] ?? null;
}

export async function saveFollowUp(db: Queryable, id: string, staffIds: string[], answer: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `update course_evaluations set follow_up_answer = $3, follow_up_answered_at = now() where id = $1 and staff_id = any($2::uuid[]) and stage = 'after'`,
    [id, staffIds, answer],
  );
  return (rowCount ?? 0) > 0;
}

/** Follow-ups due by `today` and not yet sent, with where to send them. */
export async function dueFollowUps(
  db: Queryable,
  today: string,
): Promise<{ id: string; email: string | null; name: string; organisationId: string; courseTitle: string }[]> {
  const { rows } = await db.query<{ id: string; email: string | null; name: string; organisationId: string; courseTitle: string }>(
    `select e.id, s.email, s.name, s.organisation_id as "organisationId", c.title as "courseTitle"
       from course_evaluations e join staff_members s on s.id = e.staff_id join course_catalogue c on c.id = e.course_id
      where e.stage = 'after' and e.follow_up_sent_at is null and e.follow_up_due_on <= $1::date limit 5000`,
    [today],
  );
  return rows;
}

export async function markFollowUpSent(db: Queryable, id: string): Promise<void> {
  await db.query('update course_evaluations set follow_up_sent_at = now() where id = $1', [id]);
}

/** Each person's rating of each competency before a course, paired with their rating after it. */
export async function ratingPairs(db: Queryable): Promise<RatingPair[]> {
  const { rows } = await db.query<RatingPair>(
    `select ra.competency_lineage as lineage, a.staff_id as "staffId", rb.confidence as before, ra.confidence as after
       from course_evaluations a
       join evaluation_ratings ra on ra.evaluation_id = a.id
       join course_evaluations b on b.staff_id = a.staff_id and b.course_id = a.course_id and b.stage = 'before'
       join evaluation_ratings rb on rb.evaluation_id = b.id and rb.competency_lineage = ra.competency_lineage
      where a.stage = 'after'`,
  );
  return rows;
}

export async function competencyLabels(db: Queryable): Promise<Map<string, { groupNumber: number; number: number; text: string }>> {
  const { rows } = await db.query<{ lineage: string; groupNumber: number; number: number; text: string }>(
    `select c.lineage, c.group_number as "groupNumber", c.number, c.text from framework_competencies c join framework_versions f on f.id = c.framework_id and f.status = 'published'`,
  );
  return new Map(rows.map((r) => [r.lineage, r]));
}

export async function followUpCounts(db: Queryable): Promise<{ sent: number; answered: number }> {
  const { rows } = await db.query<{ sent: number; answered: number }>(
    `select count(*) filter (where follow_up_sent_at is not null)::int as sent, count(*) filter (where follow_up_answered_at is not null)::int as answered
       from course_evaluations where stage = 'after'`,
  );
  return rows[0];
}
