import type { Pool } from 'pg';
import { summariseCompetencies } from './dashboard';
import type { CompetencyResult } from './engine';
import type { PersonCompliance } from './service';

const SOURCE_NAMES: Record<string, string> = {
  elearning: 'E-learning',
  'face-to-face': 'Face-to-face session',
  'sign-off': 'Signed off by a lead or trainer',
  'external-document': 'External training (verified document)',
  'prior-learning': 'Recognised prior learning',
};

const COMPETENCY_STATUS: Record<string, string> = { met: 'Met', 'due-soon': 'Due soon', expired: 'Expired', missing: 'Not yet met' };

export interface CourseRow {
  id: string;
  slug: string;
  title: string;
  delivery: string;
  lineage: string;
}

export interface SessionRow {
  id: string;
  courseId: string;
  startsAt: Date;
  venue: string | null;
  online: boolean;
  booked: string | null;
}

/** What the learner can do about a course now: one link, or a sentence when nothing can be done yet. */
export interface CourseAction {
  title: string;
  /** The primary action, as a link; null when there is nothing to do yet. */
  action: { text: string; href: string } | null;
  /** Said when there is no action (no sessions scheduled yet). */
  note: string | null;
  /** Other upcoming sessions the learner could book instead. */
  otherSessions: { href: string; startsAt: Date; where: string }[];
}

export interface Step {
  /** "Group 1 competencies 1, 2 and 3": what the step meets, in a few words. */
  meets: string;
  competencies: (CompetencyResult & { statusName: string })[];
  courses: CourseAction[];
}

function where(s: SessionRow): string {
  return s.venue ?? (s.online ? 'online' : 'venue to be confirmed');
}

/**
 * The one thing to do about a course: an e-learning course is started,
 * resumed or taken again straight from the player; a face-to-face course
 * shows the session the learner has booked, or the earliest to book.
 */
export function courseAction(course: CourseRow, attemptStatus: string | undefined, sessions: SessionRow[]): CourseAction {
  if (course.delivery !== 'face-to-face') {
    const text = !attemptStatus
      ? `Start ${course.title}`
      : attemptStatus === 'incomplete' || attemptStatus === 'not attempted'
        ? `Resume ${course.title}`
        : `Take ${course.title} again`;
    return { title: course.title, action: { text, href: `/courses/${course.slug}/play` }, note: null, otherSessions: [] };
  }
  const mine = sessions.find((s) => s.booked);
  if (mine) {
    const what = mine.booked === 'waiting' ? 'You are on the waiting list for' : 'You are booked on';
    return { title: course.title, action: { text: `${what} ${course.title}`, href: `/training-sessions/${mine.id}` }, note: null, otherSessions: [] };
  }
  if (!sessions.length) return { title: course.title, action: null, note: `${course.title}: no sessions scheduled yet`, otherSessions: [] };
  const [first, ...rest] = sessions;
  return {
    title: course.title,
    action: { text: `Book ${course.title}`, href: `/training-sessions/${first.id}` },
    note: null,
    otherSessions: [first, ...rest].map((s) => ({ href: `/training-sessions/${s.id}`, startsAt: s.startsAt, where: where(s) })),
  };
}

/**
 * Competencies grouped by the courses that would meet them: one course
 * covering several competencies is one step listing them, not a card each.
 * Competencies no course covers are a step of their own (sign-off or a
 * training document). Pure: the queries are in trainingPlanFor.
 */
export function groupSteps(competencies: CompetencyResult[], courses: CourseRow[], actionFor: (course: CourseRow) => CourseAction): Step[] {
  const steps = new Map<string, Step>();
  const actions = new Map<string, CourseAction>();
  for (const c of competencies) {
    const covering = courses.filter((co) => co.lineage === c.lineage);
    const key = covering
      .map((co) => co.id)
      .sort()
      .join(' ');
    let step = steps.get(key);
    if (!step) {
      step = {
        meets: '',
        competencies: [],
        courses: covering.map((co) => {
          const known = actions.get(co.id) ?? actionFor(co);
          actions.set(co.id, known);
          return known;
        }),
      };
      steps.set(key, step);
    }
    step.competencies.push({ ...c, statusName: COMPETENCY_STATUS[c.status] });
  }
  for (const step of steps.values()) step.meets = summariseCompetencies(step.competencies);
  // Steps a course can meet first; sign-off only after.
  return [...steps.values()].sort((a, b) => (a.courses.length ? 0 : 1) - (b.courses.length ? 0 : 1));
}

/**
 * For a learner's own pages: what they still need, grouped by the courses
 * that meet it with one action each, and what they have met with its
 * evidence. Four queries for the whole page, whatever the number of
 * competencies.
 */
export async function trainingPlanFor(pool: Pool, person: PersonCompliance, staffId: string, userId: string) {
  const evidenceIds = person.competencies.flatMap((c) => c.evidenceIds);
  const lineages = person.competencies.filter((c) => c.status !== 'met').map((c) => c.lineage);
  const [evidence, courses, sessions, attempts] = await Promise.all([
    pool.query<{ id: string; achievedOn: string; source: string; courseTitle: string | null }>(
      `select e.id, e.achieved_on as "achievedOn", e.source, co.title as "courseTitle"
         from evidence_entries e left join course_catalogue co on co.id = e.course_id where e.id = any($1::uuid[])`,
      [evidenceIds],
    ),
    pool.query<CourseRow>(
      `select co.id, co.slug, co.title, co.delivery, cc.competency_lineage as lineage
         from course_catalogue_competencies cc join course_catalogue co on co.id = cc.course_id
        where cc.competency_lineage = any($1::text[]) and co.status = 'published' order by co.title`,
      [lineages],
    ),
    pool.query<SessionRow>(
      `select ts.id, ts.course_id as "courseId", ts.starts_at as "startsAt", ts.venue, ts.online_url is not null as online,
              (select b.status from training_session_bookings b where b.session_id = ts.id and b.staff_id = $2 and b.status <> 'cancelled') as booked
         from training_session_list ts
        where ts.cancelled_at is null and ts.starts_at > now()
          and ts.course_id in (select course_id from course_catalogue_competencies where competency_lineage = any($1::text[]))
        order by ts.starts_at limit 200`,
      [lineages, staffId],
    ),
    pool.query<{ courseId: string; status: string }>(
      // SCORM attempts and cmi5 registrations keep their status in the same words.
      `select distinct on (course_id) course_id as "courseId", status
         from (select course_id, status, started_at from scorm_attempt_results where user_id = $1
               union all select course_id, status, started_at from cmi5_registration_results where user_id = $1) a
        where course_id in (select course_id from course_catalogue_competencies where competency_lineage = any($2::text[]))
        order by course_id, started_at desc`,
      [userId, lineages],
    ),
  ]);
  const attemptOf = new Map(attempts.rows.map((a) => [a.courseId, a.status]));
  const evidenceById = new Map(evidence.rows.map((e) => [e.id, { ...e, sourceName: SOURCE_NAMES[e.source] ?? e.source }]));
  const outstanding = person.competencies.filter((c) => c.status !== 'met');
  const steps = groupSteps(outstanding, courses.rows, (co) =>
    courseAction(co, attemptOf.get(co.id), sessions.rows.filter((s) => s.courseId === co.id).slice(0, 3)),
  );
  const met = person.competencies
    .filter((c) => c.status === 'met')
    .map((c) => ({
      ...c,
      statusName: COMPETENCY_STATUS[c.status],
      evidence: c.evidenceIds
        .slice(0, 1)
        .map((id) => evidenceById.get(id))
        .filter(Boolean),
    }));
  return { steps, met };
}
