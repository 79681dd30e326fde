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
       from course_catalogue_competencies cc
       join framework_competencies c on c.lineage = cc.competency_lineage and not c.retired
       join framework_versions f on f.id = c.framework_id and f.status = 'published'
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

/**
 * Copies entries of one person's record to another record of theirs (a
 * training passport shared with consent), as prior learning marked with
 * `sourceRefPrefix` followed by each original's id, keeping who verified the
 * originals. In the caller's transaction; returns the new entries' ids.
 */
export async function copySharedEvidence(
  client: PoolClient,
  share: { toStaffId: string; sourceRefPrefix: string; fromOrganisation: string; recordedBy: string; evidenceIds: string[] },
): Promise<string[]> {
  const { rows } = await client.query<{ id: string }>(
    `insert into evidence (staff_id, competency_id, achieved_on, source, source_ref, course_id, evidence_example, note, recorded_by, verified_by, verified_at)
     select $1, e.competency_id, e.achieved_on, 'prior-learning', $2::text || e.id::text, e.course_id, e.evidence_example,
            'Shared with consent from the training record at ' || $3::text || coalesce(': ' || e.note, ''), $4, coalesce(e.verified_by, e.recorded_by), coalesce(e.verified_at, e.recorded_at)
       from evidence e where e.id = any($5::uuid[])
     returning id`,
    [share.toStaffId, share.sourceRefPrefix, share.fromOrganisation, share.recordedBy, share.evidenceIds],
  );
  return rows.map((r) => r.id);
}

/**
 * Withdraws what copySharedEvidence copied when the person stops sharing:
 * each entry whose source starts with `sourceRefPrefix` is replaced by a
 * withdrawn correction, so the history stays. Returns the corrections' ids.
 */
export async function withdrawSharedEvidence(
  client: PoolClient,
  withdrawal: { staffId: string; sourceRefPrefix: string; withdrawnBy: string; fromOrganisation: string },
): Promise<string[]> {
  const { rows } = await client.query<{ id: string }>(
    `insert into evidence (staff_id, competency_id, achieved_on, source, source_ref, course_id, evidence_example, sign_off_kind, note, recorded_by, verified_by, verified_at, replaces_id, withdrawn, change_reason)
     select e.staff_id, e.competency_id, e.achieved_on, e.source, e.source_ref, e.course_id, e.evidence_example, e.sign_off_kind, e.note, $3, e.verified_by, e.verified_at, e.id, true,
            'The person stopped sharing their training record from ' || $4::text
       from evidence e where e.staff_id = $1 and e.source_ref like $2 and not e.withdrawn
        and not exists (select 1 from evidence r where r.replaces_id = e.id)
     returning id`,
    [withdrawal.staffId, `${withdrawal.sourceRefPrefix}%`, withdrawal.withdrawnBy, withdrawal.fromOrganisation],
  );
  return rows.map((r) => r.id);
}

/** A leaver's evidence without what was written about them or uploaded for them (data protection): the entries themselves stay, so counts do not change. */
export async function forgetEvidenceDetails(client: PoolClient, staffId: string): Promise<void> {
  await client.query(
    `update evidence set note = null, change_reason = case when change_reason is null then null else 'Removed: former member of staff' end where staff_id = $1`,
    [staffId],
  );
  await client.query('delete from evidence_documents where staff_id = $1', [staffId]);
}
