import type { Pool } from 'pg';
import { type OrganisationScope, scopeIncludes } from '../../server/access';
import type { Database } from '../../server/db';
import { HttpError } from '../../server/errors';
import type { EventBus } from '../../server/events';

export type EvidenceSource = 'elearning' | 'face-to-face' | 'sign-off' | 'external-document' | 'prior-learning';

export const SOURCE_NAMES: Record<EvidenceSource, string> = {
  elearning: 'E-learning completion',
  'face-to-face': 'Face-to-face session attended',
  'sign-off': 'Signed off by a lead or trainer',
  'external-document': 'External training (verified document)',
  'prior-learning': 'Recognised prior learning',
};

export interface EvidenceEntry {
  id: string;
  competencyId: string;
  groupNumber: number;
  number: number;
  competencyText: string;
  frameworkVersion: number;
  lineage: string;
  achievedOn: string;
  source: EvidenceSource;
  sourceRef: string | null;
  courseTitle: string | null;
  evidenceExample: string | null;
  signOffKind: string | null;
  note: string | null;
  recordedByName: string | null;
  verifiedByName: string | null;
  recordedAt: Date;
  replacesId: string | null;
  withdrawn: boolean;
  changeReason: string | null;
  /** Set when a later entry corrects or withdraws this one. */
  replacedById: string | null;
}

export interface StaffSummary {
  id: string;
  name: string;
  organisationId: string;
  organisationName: string;
  groupNumber: number | null;
  userId: string | null;
}

/** A member of staff inside the scope, or null (answer 404: never reveal who exists elsewhere). */
export async function findStaffInScope(pool: Pool, scope: OrganisationScope, staffId: string): Promise<StaffSummary | null> {
  const { rows } = await pool.query<StaffSummary>(
    `select s.id, s.name, s.organisation_id as "organisationId", o.name as "organisationName", s.group_number as "groupNumber", s.user_id as "userId"
       from staff_members s join member_organisations o on o.id = s.organisation_id where s.id::text = $1`,
    [staffId],
  );
  return rows[0] && scopeIncludes(scope, rows[0].organisationId) ? rows[0] : null;
}

/** Every evidence entry of a person, history included (oldest corrections kept), newest first. */
export async function listEvidence(pool: Pool, scope: OrganisationScope, staffId: string): Promise<EvidenceEntry[]> {
  if (!(await findStaffInScope(pool, scope, staffId))) throw new HttpError(404, 'We could not find that member of staff.');
  const { rows } = await pool.query<EvidenceEntry>(
    `select e.id, e.competency_id as "competencyId", c.group_number as "groupNumber", c.number, c.text as "competencyText", f.version as "frameworkVersion",
            c.lineage, e.achieved_on as "achievedOn", e.source, e.source_ref as "sourceRef", co.title as "courseTitle",
            e.evidence_example as "evidenceExample", e.sign_off_kind as "signOffKind", e.note, ru.display_name as "recordedByName", vu.display_name as "verifiedByName",
            e.recorded_at as "recordedAt", e.replaces_id as "replacesId", e.withdrawn, e.change_reason as "changeReason",
            (select r.id from evidence r where r.replaces_id = e.id) as "replacedById"
       from evidence e
       join framework_competencies c on c.id = e.competency_id
       join framework_versions f on f.id = c.framework_id
       left join course_catalogue co on co.id = e.course_id
       left join users ru on ru.id = e.recorded_by
       left join users vu on vu.id = e.verified_by
      where e.staff_id = $1
      order by c.group_number, c.number, e.recorded_at desc`,
    [staffId],
  );
  return rows;
}

export interface NewEvidence {
  staffId: string;
  competencyIds: string[];
  achievedOn: string;
  source: 'sign-off' | 'external-document' | 'prior-learning';
  sourceRef?: string | null;
  signOffKind?: string | null;
  evidenceExample?: string | null;
  note?: string | null;
  recordedBy: string;
  /** Sign-off and prior learning are verified by whoever records them; documents by the verifying lead. */
  verifiedBy: string | null;
}

/** Records one evidence entry per competency, in one transaction, and tells other modules. */
export async function recordEvidence(db: Database, events: EventBus, scope: OrganisationScope, input: NewEvidence): Promise<string[]> {
  if (!(await findStaffInScope(db.pool, scope, input.staffId))) throw new HttpError(404, 'We could not find that member of staff.');
  return db.transaction(async (client) => {
    const ids: string[] = [];
    for (const competencyId of input.competencyIds) {
      const { rows } = await client.query<{ id: string }>(
        `insert into evidence (staff_id, competency_id, achieved_on, source, source_ref, evidence_example, note, recorded_by, verified_by, verified_at, sign_off_kind)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, case when $9::uuid is null then null else now() end, $10) returning id`,
        [
          input.staffId,
          competencyId,
          input.achievedOn,
          input.source,
          input.sourceRef ?? null,
          input.evidenceExample ?? null,
          input.note ?? null,
          input.recordedBy,
          input.verifiedBy,
          input.signOffKind ?? null,
        ],
      );
      ids.push(rows[0].id);
    }
    if (ids.length) await events.emit('evidence.recorded', { client, staffId: input.staffId, evidenceIds: ids });
    return ids;
  });
}

/**
 * A correction (new date or note) or a withdrawal: never an edit. The new
 * entry names the one it replaces and why; the old one stays for history.
 */
export async function changeEvidence(
  db: Database,
  scope: OrganisationScope,
  input: { evidenceId: string; reason: string; withdraw: boolean; achievedOn?: string; note?: string | null; by: string },
): Promise<string> {
  return db.transaction(async (client) => {
    const { rows } = await client.query<{ id: string; staff_id: string; organisation_id: string; withdrawn: boolean }>(
      `select e.id, e.staff_id, s.organisation_id, e.withdrawn from evidence e join staff_members s on s.id = e.staff_id where e.id::text = $1 for update of e`,
      [input.evidenceId],
    );
    const old = rows[0];
    if (!old || !scopeIncludes(scope, old.organisation_id)) throw new HttpError(404, 'We could not find that evidence.');
    if (old.withdrawn) throw new HttpError(409, 'This evidence has been withdrawn; record new evidence instead.');
    const replaced = await client.query('select 1 from evidence where replaces_id = $1', [old.id]);
    if (replaced.rows.length) throw new HttpError(409, 'This evidence has already been corrected; change the latest version.');
    const { rows: created } = await client.query<{ id: string }>(
      `insert into evidence (staff_id, competency_id, achieved_on, source, source_ref, course_id, evidence_example, sign_off_kind, note, recorded_by, verified_by, verified_at, replaces_id, withdrawn, change_reason)
       select staff_id, competency_id, coalesce($2::date, achieved_on), source, source_ref, course_id, evidence_example, sign_off_kind, case when $3::boolean then $4 else note end,
              $5, verified_by, verified_at, id, $6, $7
         from evidence where id = $1 returning id`,
      [old.id, input.achievedOn ?? null, input.note !== undefined, input.note ?? null, input.by, input.withdraw, input.reason],
    );
    return created[0].id;
  });
}

export interface EvidenceDocument {
  id: string;
  staffId: string;
  title: string;
  filename: string;
  contentType: string;
  sizeBytes: number;
  achievedOn: string | null;
  uploadedAt: Date;
  uploadedByName: string | null;
  verifiedAt: Date | null;
  verifiedByName: string | null;
  rejectedReason: string | null;
}

export async function saveDocument(
  pool: Pool,
  scope: OrganisationScope,
  input: { staffId: string; title: string; filename: string; contentType: string; content: Buffer; achievedOn: string | null; uploadedBy: string },
): Promise<string> {
  if (!(await findStaffInScope(pool, scope, input.staffId))) throw new HttpError(404, 'We could not find that member of staff.');
  const { rows } = await pool.query<{ id: string }>(
    `insert into evidence_documents (staff_id, title, filename, content_type, size_bytes, content, achieved_on, uploaded_by)
     values ($1, $2, $3, $4, $5, $6, $7, $8) returning id`,
    [input.staffId, input.title, input.filename, input.contentType, input.content.length, input.content, input.achievedOn, input.uploadedBy],
  );
  return rows[0].id;
}

export async function listDocuments(pool: Pool, scope: OrganisationScope, staffId: string): Promise<EvidenceDocument[]> {
  if (!(await findStaffInScope(pool, scope, staffId))) throw new HttpError(404, 'We could not find that member of staff.');
  const { rows } = await pool.query<EvidenceDocument>(
    `select d.id, d.staff_id as "staffId", d.title, d.filename, d.content_type as "contentType", d.size_bytes as "sizeBytes", d.achieved_on as "achievedOn",
            d.uploaded_at as "uploadedAt", u.display_name as "uploadedByName", d.verified_at as "verifiedAt", v.display_name as "verifiedByName", d.rejected_reason as "rejectedReason"
       from evidence_documents d left join users u on u.id = d.uploaded_by left join users v on v.id = d.verified_by
      where d.staff_id = $1 order by d.uploaded_at desc`,
    [staffId],
  );
  return rows;
}

export async function readDocument(
  pool: Pool,
  scope: OrganisationScope,
  staffId: string,
  documentId: string,
): Promise<{ filename: string; contentType: string; content: Buffer } | null> {
  if (!(await findStaffInScope(pool, scope, staffId))) return null;
  const { rows } = await pool.query<{ filename: string; contentType: string; content: Buffer }>(
    `select filename, content_type as "contentType", content from evidence_documents where id::text = $1 and staff_id = $2`,
    [documentId, staffId],
  );
  return rows[0] ?? null;
}

/** A lead verifies an uploaded document: it becomes evidence for the competencies they choose. */
export async function verifyDocument(
  db: Database,
  events: EventBus,
  scope: OrganisationScope,
  input: { staffId: string; documentId: string; competencyIds: string[]; achievedOn: string; by: string },
): Promise<string[]> {
  const { rows } = await db.pool.query<{ title: string; verified_at: Date | null }>(
    'select title, verified_at from evidence_documents where id::text = $1 and staff_id::text = $2',
    [input.documentId, input.staffId],
  );
  if (!rows[0] || !(await findStaffInScope(db.pool, scope, input.staffId))) throw new HttpError(404, 'We could not find that document.');
  if (rows[0].verified_at) throw new HttpError(409, 'This document has already been verified.');
  const ids = await recordEvidence(db, events, scope, {
    staffId: input.staffId,
    competencyIds: input.competencyIds,
    achievedOn: input.achievedOn,
    source: 'external-document',
    sourceRef: `document:${input.documentId}`,
    note: rows[0].title,
    recordedBy: input.by,
    verifiedBy: input.by,
  });
  await db.pool.query('update evidence_documents set verified_by = $2, verified_at = now(), achieved_on = $3 where id = $1', [
    input.documentId,
    input.by,
    input.achievedOn,
  ]);
  return ids;
}

/** The published framework's competencies and evidence examples, for the sign-off form. */
export async function frameworkChoices(pool: Pool, groupNumber: number | null) {
  const [competencies, examples] = await Promise.all([
    pool.query<{ id: string; groupNumber: number; number: number; text: string }>(
      `select c.id, c.group_number as "groupNumber", c.number, c.text from framework_competencies c join framework_versions f on f.id = c.framework_id and f.status = 'published'
        where not c.retired order by c.group_number, c.number`,
    ),
    pool.query<{ id: string; groupNumber: number; heading: string | null; text: string }>(
      `select x.id, x.group_number as "groupNumber", x.heading, x.text from framework_evidence_examples x join framework_versions f on f.id = x.framework_id and f.status = 'published'
        order by x.group_number, x.position`,
    ),
  ]);
  return {
    competencies: competencies.rows.map((c) => ({ ...c, ownGroup: groupNumber != null && c.groupNumber <= groupNumber })),
    examples: examples.rows,
  };
}
