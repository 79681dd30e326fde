import type { Pool, PoolClient } from 'pg';
import { type OrganisationScope, scopeCondition, scopeIncludes } from '../../server/access';
import { audit } from '../../server/auth/users';
import type { Database } from '../../server/db';
import { HttpError } from '../../server/errors';
import type { EventBus } from '../../server/events';
import { createInHouseCourse, setCourseRecognition } from '../courses/api';
import { createOrganisationStore } from '../organisations/api';
import { recordCourseCompletion } from '../evidence/api';
import { courseSlug, type ReviewDecision, type Submission } from './rules';

type Queryable = Pool | PoolClient;

export interface InHouseCourse {
  id: string;
  slug: string;
  title: string;
  description: string;
  delivery: 'face-to-face' | 'elearning' | 'blended';
  recognition: 'submitted' | 'approved' | 'rejected';
  organisationId: string;
  organisationName: string;
  learningOutcomes: string;
  submittedAt: Date;
  submittedByName: string | null;
  reviewedAt: Date | null;
  reviewedByName: string | null;
  reviewComments: string | null;
  standardsMet: string[];
  completions: number;
}

const SELECT = `
  select c.id, c.slug, c.title, c.description, c.delivery, c.recognition, r.organisation_id as "organisationId", o.name as "organisationName",
         r.learning_outcomes as "learningOutcomes", r.submitted_at as "submittedAt", su.display_name as "submittedByName",
         r.reviewed_at as "reviewedAt", ru.display_name as "reviewedByName", r.review_comments as "reviewComments", r.standards_met as "standardsMet",
         (select count(*)::int from in_house_completions x where x.course_id = c.id) as completions
    from course_recognitions r join course_catalogue c on c.id = r.course_id join member_organisations o on o.id = r.organisation_id
    left join users su on su.id = r.submitted_by left join users ru on ru.id = r.reviewed_by`;

export async function listInHouseCourses(db: Queryable, scope: OrganisationScope): Promise<InHouseCourse[]> {
  const cond = scopeCondition(scope, 'r.organisation_id', 1);
  const { rows } = await db.query<InHouseCourse>(
    `${SELECT} where ${cond.sql} order by array_position(array['submitted','approved','rejected'], c.recognition), r.submitted_at desc limit 1000`,
    cond.params,
  );
  return rows;
}

/** One in-house course, if the scope covers its organisation. */
export async function findInHouseCourse(db: Queryable, scope: OrganisationScope, id: string): Promise<InHouseCourse | null> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return null;
  const { rows } = await db.query<InHouseCourse>(`${SELECT} where c.id = $1`, [id]);
  return rows[0] && scopeIncludes(scope, rows[0].organisationId) ? rows[0] : null;
}

export async function mappings(
  db: Queryable,
  courseId: string,
): Promise<{ lineage: string; justification: string; groupNumber: number | null; number: number | null; text: string | null }[]> {
  const { rows } = await db.query<{ lineage: string; justification: string; groupNumber: number | null; number: number | null; text: string | null }>(
    `select m.competency_lineage as lineage, m.justification, c.group_number as "groupNumber", c.number, c.text
       from course_recognition_mappings m
       left join (select c.* from framework_competencies c join framework_versions f on f.id = c.framework_id and f.status = 'published') c on c.lineage = m.competency_lineage
      where m.course_id = $1 order by c.group_number, c.number`,
    [courseId],
  );
  return rows;
}

/**
 * Creates the in-house course (a draft course owned by the organisation, out
 * of the partnership catalogue), its competency mapping and justifications.
 */
export async function submitInHouseCourse(db: Database, input: Submission & { submittedBy: string }): Promise<string> {
  return db.transaction(async (client) => {
    const org = await createOrganisationStore(client).byId(input.organisationId);
    const base = courseSlug(org?.slug ?? '', input.title);
    const { rows: groups } = await client.query<{ groups: number[] }>(
      `select coalesce(array_agg(distinct c.group_number order by c.group_number), '{}') as groups
         from framework_competencies c join framework_versions f on f.id = c.framework_id and f.status = 'published' where c.lineage = any($1::text[])`,
      [input.mappings.map((m) => m.lineage)],
    );
    const courseId = await createInHouseCourse(client, {
      baseSlug: base,
      title: input.title,
      description: input.description,
      delivery: input.delivery,
      groupNumbers: groups[0].groups,
      organisationId: input.organisationId,
      competencyLineages: input.mappings.map((m) => m.lineage),
    });
    await client.query('insert into course_recognitions (course_id, organisation_id, learning_outcomes, submitted_by) values ($1, $2, $3, $4)', [
      courseId,
      input.organisationId,
      input.learningOutcomes,
      input.submittedBy,
    ]);
    for (const m of input.mappings) {
      await client.query('insert into course_recognition_mappings (course_id, competency_lineage, justification) values ($1, $2, $3)', [
        courseId,
        m.lineage,
        m.justification,
      ]);
    }
    await audit(client, {
      actorUserId: input.submittedBy,
      action: 'in-house-course.submitted',
      organisationId: input.organisationId,
      subjectType: 'course',
      subjectId: courseId,
      detail: { title: input.title, competencies: input.mappings.map((m) => m.lineage) },
    });
    return courseId;
  });
}

export async function reviewInHouseCourse(db: Database, courseId: string, review: ReviewDecision, reviewerId: string): Promise<void> {
  await db.transaction(async (client) => {
    const { rows } = await client.query<{ recognition: string; organisation_id: string }>(
      'select c.recognition, r.organisation_id from course_catalogue c join course_recognitions r on r.course_id = c.id where c.id = $1 for update of c',
      [courseId],
    );
    if (!rows[0]) throw new HttpError(404, 'We could not find that course.');
    if (rows[0].recognition !== 'submitted') throw new HttpError(409, 'This course has already been reviewed.');
    await setCourseRecognition(client, courseId, review.decision);
    await client.query('update course_recognitions set reviewed_by = $2, reviewed_at = now(), review_comments = $3, standards_met = $4 where course_id = $1', [
      courseId,
      reviewerId,
      review.comments || null,
      review.standardsMet,
    ]);
    await audit(client, {
      actorUserId: reviewerId,
      action: `in-house-course.${review.decision}`,
      organisationId: rows[0].organisation_id,
      subjectType: 'course',
      subjectId: courseId,
      detail: { comments: review.comments, standardsMet: review.standardsMet },
    });
  });
}

/**
 * Records that people completed an approved in-house course on a day. Each
 * becomes evidence for the mapped competencies through the one evidence path
 * every course uses (recordCourseCompletion), all in one transaction.
 */
export async function recordInHouseCompletions(
  db: Database,
  events: EventBus,
  scope: OrganisationScope,
  input: { courseId: string; staffIds: string[]; completedOn: string; recordedBy: string },
): Promise<{ recorded: number; alreadyRecorded: number }> {
  return db.transaction(async (client) => {
    const { rows } = await client.query<{ recognition: string; organisation_id: string; delivery: string }>(
      'select c.recognition, r.organisation_id, c.delivery from course_catalogue c join course_recognitions r on r.course_id = c.id where c.id = $1',
      [input.courseId],
    );
    const course = rows[0];
    if (!course || !scopeIncludes(scope, course.organisation_id)) throw new HttpError(404, 'We could not find that course.');
    if (course.recognition !== 'approved') throw new HttpError(409, 'Completions count as evidence once the partnership has approved the course.');
    let recorded = 0;
    for (const staffId of input.staffIds) {
      const { rows: staff } = await client.query<{ organisation_id: string }>('select organisation_id from staff_members where id = $1', [staffId]);
      if (staff[0]?.organisation_id !== course.organisation_id)
        throw new HttpError(400, 'Only the organisation’s own staff can be recorded as completing its in-house course.');
      const { rows: inserted } = await client.query<{ id: string }>(
        `insert into in_house_completions (course_id, staff_id, completed_on, recorded_by) values ($1, $2, $3, $4) on conflict do nothing returning id`,
        [input.courseId, staffId, input.completedOn, input.recordedBy],
      );
      if (!inserted[0]) continue;
      recorded++;
      await recordCourseCompletion(client, events, {
        staffId,
        courseId: input.courseId,
        achievedOn: input.completedOn,
        source: course.delivery === 'elearning' ? 'elearning' : 'face-to-face',
        sourceRef: `in-house:${inserted[0].id}`,
        recordedBy: input.recordedBy,
      });
    }
    await audit(client, {
      actorUserId: input.recordedBy,
      action: 'in-house-course.completions-recorded',
      organisationId: course.organisation_id,
      subjectType: 'course',
      subjectId: input.courseId,
      detail: { completedOn: input.completedOn, staffIds: input.staffIds, recorded },
    });
    return { recorded, alreadyRecorded: input.staffIds.length - recorded };
  });
}

export async function completions(db: Queryable, courseId: string): Promise<{ staffName: string; completedOn: string; recordedAt: Date }[]> {
  const { rows } = await db.query<{ staffName: string; completedOn: string; recordedAt: Date }>(
    `select s.name as "staffName", x.completed_on::text as "completedOn", x.recorded_at as "recordedAt"
       from in_house_completions x join staff_members s on s.id = x.staff_id where x.course_id = $1 order by x.completed_on desc, s.name limit 2000`,
    [courseId],
  );
  return rows;
}

export async function organisationStaff(db: Queryable, organisationId: string): Promise<{ id: string; name: string; jobTitle: string | null }[]> {
  const { rows } = await db.query<{ id: string; name: string; jobTitle: string | null }>(
    `select id, name, job_title as "jobTitle" from staff_members where organisation_id = $1 and (leaving_date is null or leaving_date > current_date) order by name limit 2000`,
    [organisationId],
  );
  return rows;
}
