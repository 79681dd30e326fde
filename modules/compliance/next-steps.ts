import type { Pool } from 'pg';
import type { PersonCompliance } from './service';

const SOURCE_NAMES: Record<string, string> = {
  elearning: 'E-learning',
  'face-to-face': 'Face-to-face session',
  'sign-off': 'Signed off by a lead or trainer',
  'external-document': 'External training (verified document)',
  'prior-learning': 'Recognised prior learning',
};

const COMPETENCY_STATUS: Record<string, string> = { met: 'Met', 'due-soon': 'Due soon', expired: 'Expired', missing: 'Not yet met' };

/**
 * For a learner's own page: the evidence behind each competency, and what to do
 * next (courses covering that competency's lineage, and their upcoming sessions).
 * Three queries for the whole page.
 */
export async function nextStepsFor(pool: Pool, person: PersonCompliance, staffId: string) {
  const evidenceIds = person.competencies.flatMap((c) => c.evidenceIds);
  const lineages = person.competencies.map((c) => c.lineage);
  const [evidence, courses, sessions] = await Promise.all([
    pool.query<{ id: string; achievedOn: string; source: string; courseTitle: string | null; note: string | null }>(
      `select e.id, e.achieved_on as "achievedOn", e.source, co.title as "courseTitle", e.note
         from evidence e left join courses co on co.id = e.course_id where e.id = any($1::uuid[])`,
      [evidenceIds],
    ),
    pool.query<{ id: string; slug: string; title: string; delivery: string; lineage: string }>(
      `select co.id, co.slug, co.title, co.delivery, cc.competency_lineage as lineage
         from course_competencies cc join courses co on co.id = cc.course_id
        where cc.competency_lineage = any($1::text[]) and co.status = 'published' order by co.title`,
      [lineages],
    ),
    pool.query<{ id: string; courseId: string; startsAt: Date; venue: string | null; online: boolean; booked: string | null }>(
      `select ts.id, ts.course_id as "courseId", ts.starts_at as "startsAt", ts.venue, ts.online_url is not null as online,
              (select b.status from session_bookings b where b.session_id = ts.id and b.staff_id = $2 and b.status <> 'cancelled') as booked
         from training_sessions ts
        where ts.cancelled_at is null and ts.starts_at > now()
          and ts.course_id in (select course_id from course_competencies where competency_lineage = any($1::text[]))
        order by ts.starts_at limit 200`,
      [lineages, staffId],
    ),
  ]);
  const evidenceById = new Map(evidence.rows.map((e) => [e.id, { ...e, sourceName: SOURCE_NAMES[e.source] ?? e.source }]));
  return person.competencies.map((c) => {
    const courseList = courses.rows.filter((co) => co.lineage === c.lineage);
    return {
      ...c,
      statusName: COMPETENCY_STATUS[c.status],
      evidence: c.evidenceIds.map((id) => evidenceById.get(id)).filter(Boolean),
      needsAction: c.status !== 'met',
      courses: courseList.map((co) => ({ ...co, sessions: sessions.rows.filter((s) => s.courseId === co.id).slice(0, 3) })),
    };
  });
}
