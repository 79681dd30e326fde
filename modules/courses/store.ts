import type { Pool, PoolClient } from 'pg';

type Queryable = Pick<Pool, 'query'> | PoolClient;

export interface Course {
  id: string;
  slug: string;
  title: string;
  description: string;
  audience: 'professionals' | 'public';
  delivery: 'elearning' | 'face-to-face' | 'blended';
  groupNumbers: number[];
  passMark: number | null;
  validityMonths: number | null;
  contentWarning: string | null;
  status: 'draft' | 'published' | 'retired';
  finishedAttempt: 'review-only' | 'review-or-retake';
  competencyLineages: string[];
  prerequisiteIds: string[];
  /** Confidence ratings before and after, certificate after the second (modules/evaluation). */
  requiresEvaluation: boolean;
  /** The organisation that runs an in-house course recognised by the partnership (modules/course-recognition); null for the partnership's own. */
  ownerOrganisationId: string | null;
}

export interface CourseInput {
  slug: string;
  title: string;
  description: string;
  audience: Course['audience'];
  delivery: Course['delivery'];
  groupNumbers: number[];
  passMark: number | null;
  validityMonths: number | null;
  contentWarning: string | null;
  status: Course['status'];
  finishedAttempt: Course['finishedAttempt'];
  competencyLineages: string[];
  prerequisiteIds: string[];
}

const COLUMNS = `c.id, c.slug, c.title, c.description, c.audience, c.delivery, c.group_numbers as "groupNumbers", c.pass_mark as "passMark",
  c.validity_months as "validityMonths", c.content_warning as "contentWarning", c.status, c.finished_attempt as "finishedAttempt",
  c.requires_evaluation as "requiresEvaluation", c.owner_organisation_id as "ownerOrganisationId",
  coalesce((select array_agg(cc.competency_lineage order by cc.competency_lineage) from course_competencies cc where cc.course_id = c.id), '{}') as "competencyLineages",
  coalesce((select array_agg(cp.prerequisite_course_id) from course_prerequisites cp where cp.course_id = c.id), '{}') as "prerequisiteIds"`;

export async function listCourses(db: Queryable, options: { includeUnpublished: boolean; publicOnly?: boolean }): Promise<Course[]> {
  const { rows } = await db.query<Course>(
    `select ${COLUMNS} from courses c
      where ($1 or c.status = 'published') and (not $2 or c.audience = 'public') and c.owner_organisation_id is null
      order by array_position(array['published','draft','retired'], c.status), c.group_numbers[1] nulls first, c.title`,
    [options.includeUnpublished, options.publicOnly ?? false],
  );
  return rows;
}

export async function courseBySlug(db: Queryable, slug: string): Promise<Course | undefined> {
  const { rows } = await db.query<Course>(`select ${COLUMNS} from courses c where c.slug = $1`, [slug]);
  return rows[0];
}

export async function courseById(db: Queryable, id: string): Promise<Course | undefined> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
  const { rows } = await db.query<Course>(`select ${COLUMNS} from courses c where c.id = $1`, [id]);
  return rows[0];
}

async function writeLinks(client: PoolClient, courseId: string, input: CourseInput): Promise<void> {
  await client.query('delete from course_competencies where course_id = $1', [courseId]);
  await client.query('delete from course_prerequisites where course_id = $1', [courseId]);
  for (const lineage of new Set(input.competencyLineages)) {
    await client.query('insert into course_competencies (course_id, competency_lineage) values ($1, $2)', [courseId, lineage]);
  }
  for (const pre of new Set(input.prerequisiteIds)) {
    if (pre !== courseId) await client.query('insert into course_prerequisites (course_id, prerequisite_course_id) values ($1, $2)', [courseId, pre]);
  }
}

/** A course slug from an e-learning package's title (a new draft course's). */
export function slugify(title: string): string {
  return (
    title
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 60)
      .replace(/-+$/, '') || 'elearning'
  );
}

/**
 * A new e-learning package (SCORM or cmi5) becomes a draft course, under a
 * slug of its own; an administrator completes its details before publishing.
 */
export async function createDraftElearningCourse(client: PoolClient, title: string, description = ''): Promise<{ id: string; slug: string }> {
  let slug = slugify(title);
  const { rows: taken } = await client.query('select 1 from courses where slug = $1', [slug]);
  if (taken.length) slug = `${slug}-${Date.now().toString(36)}`;
  const { rows } = await client.query<{ id: string; slug: string }>(
    `insert into courses (slug, title, description, delivery, status) values ($1, $2, $3, 'elearning', 'draft') returning id, slug`,
    [slug, title.slice(0, 300), description.slice(0, 5000)],
  );
  return rows[0];
}

export async function createCourse(client: PoolClient, input: CourseInput): Promise<string> {
  const { rows } = await client.query<{ id: string }>(
    `insert into courses (slug, title, description, audience, delivery, group_numbers, pass_mark, validity_months, content_warning, status, finished_attempt)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) returning id`,
    [
      input.slug,
      input.title,
      input.description,
      input.audience,
      input.delivery,
      input.groupNumbers,
      input.passMark,
      input.validityMonths,
      input.contentWarning,
      input.status,
      input.finishedAttempt,
    ],
  );
  await writeLinks(client, rows[0].id, input);
  return rows[0].id;
}

export async function updateCourse(client: PoolClient, id: string, input: CourseInput): Promise<void> {
  await client.query(
    `update courses set slug = $2, title = $3, description = $4, audience = $5, delivery = $6, group_numbers = $7, pass_mark = $8,
            validity_months = $9, content_warning = $10, status = $11, finished_attempt = $12, updated_at = now() where id = $1`,
    [
      id,
      input.slug,
      input.title,
      input.description,
      input.audience,
      input.delivery,
      input.groupNumbers,
      input.passMark,
      input.validityMonths,
      input.contentWarning,
      input.status,
      input.finishedAttempt,
    ],
  );
  await writeLinks(client, id, input);
}

/** Whether a course needs the learner's evaluation before its certificate, and when the follow-up question goes (the evaluation module's settings). */
export async function setEvaluationSettings(db: Queryable, courseId: string, settings: { requiresEvaluation: boolean; followUpWeeks: number }): Promise<void> {
  await db.query('update courses set requires_evaluation = $2, evaluation_follow_up_weeks = $3, updated_at = now() where id = $1', [
    courseId,
    settings.requiresEvaluation,
    settings.followUpWeeks,
  ]);
}

/**
 * An organisation's in-house course, submitted for recognition: a draft out
 * of the partnership catalogue, at the first free slug from `baseSlug` on
 * (baseSlug-2, -3 ...), meeting the competencies given (completions become
 * evidence through them, as for every course, once it is approved).
 */
export async function createInHouseCourse(
  client: PoolClient,
  input: {
    baseSlug: string;
    title: string;
    description: string;
    delivery: string;
    groupNumbers: number[];
    organisationId: string;
    competencyLineages: string[];
  },
): Promise<string> {
  const { rows: taken } = await client.query<{ slug: string }>(`select slug from courses where slug = $1 or slug like $1 || '-%'`, [input.baseSlug]);
  const used = new Set(taken.map((t) => t.slug));
  let slug = input.baseSlug;
  for (let n = 2; used.has(slug); n++) slug = `${input.baseSlug}-${n}`;
  const { rows } = await client.query<{ id: string }>(
    `insert into courses (slug, title, description, delivery, group_numbers, status, owner_organisation_id, recognition)
     values ($1, $2, $3, $4, $5, 'draft', $6, 'submitted') returning id`,
    [slug, input.title, input.description, input.delivery, input.groupNumbers, input.organisationId],
  );
  for (const lineage of input.competencyLineages) {
    await client.query('insert into course_competencies (course_id, competency_lineage) values ($1, $2) on conflict do nothing', [rows[0].id, lineage]);
  }
  return rows[0].id;
}

/** The partnership's decision on an in-house course submitted for recognition. */
export async function setCourseRecognition(client: PoolClient, courseId: string, decision: string): Promise<void> {
  await client.query('update courses set recognition = $2, updated_at = now() where id = $1', [courseId, decision]);
}

export interface CompetencyChoice {
  lineage: string;
  groupNumber: number;
  number: number;
  text: string;
}

/** Competencies of the published framework, to choose from. */
export async function publishedCompetencies(db: Queryable): Promise<CompetencyChoice[]> {
  const { rows } = await db.query<CompetencyChoice>(
    `select c.lineage, c.group_number as "groupNumber", c.number, c.text
       from framework_competencies c join framework_versions f on f.id = c.framework_id
      where f.status = 'published' and not c.retired order by c.group_number, c.number`,
  );
  return rows;
}
