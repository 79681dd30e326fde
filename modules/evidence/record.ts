import type { PoolClient } from 'pg';
import type { EventBus } from '../../server/events';

export interface CourseCompletion {
  staffId: string;
  courseId: string;
  /** The calendar day it was achieved (YYYY-MM-DD, Europe/London). */
  achievedOn: string;
  source: 'elearning' | 'face-to-face';
  /** What produced it: the SCORM attempt id, or the session id. Recording the same one twice records nothing new. */
  sourceRef: string;
  recordedBy: string | null;
}

/**
 * A completed course becomes evidence for every competency the course covers,
 * against the currently published framework version (competencies are linked
 * to courses by lineage, so this survives new framework versions).
 * Must run inside the caller's transaction; emits 'course.completed' so other
 * modules (certificates) act in the same transaction.
 */
export async function recordCourseCompletion(client: PoolClient, events: EventBus, completion: CourseCompletion): Promise<string[]> {
  const { rows } = await client.query<{ id: string }>(
    `insert into evidence (staff_id, competency_id, achieved_on, source, source_ref, course_id, recorded_by)
     select $1, c.id, $2, $3, $4, $5, $6
       from course_competencies cc
       join competencies c on c.lineage = cc.competency_lineage and not c.retired
       join frameworks f on f.id = c.framework_id and f.status = 'published'
      where cc.course_id = $5
     on conflict (staff_id, competency_id, source, source_ref) where source_ref is not null and replaces_id is null do nothing
     returning id`,
    [completion.staffId, completion.achievedOn, completion.source, completion.sourceRef, completion.courseId, completion.recordedBy],
  );
  const evidenceIds = rows.map((r) => r.id);
  await events.emit('course.completed', { client, ...completion, evidenceIds });
  if (evidenceIds.length) await events.emit('evidence.recorded', { client, staffId: completion.staffId, evidenceIds });
  return evidenceIds;
}
