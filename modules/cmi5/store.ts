import type { Pool, PoolClient } from 'pg';
import type { CourseStructure } from './course-structure';
import type { LaunchMode } from './statements';

type Queryable = Pick<Pool, 'query'> | PoolClient;

export interface Version {
  id: string;
  packageId: string;
  identifier: string;
  version: number;
  title: string;
  structure: CourseStructure;
  hasFiles: boolean;
  courseId: string | null;
  courseSlug: string | null;
  importedAt: Date;
}

export interface Registration {
  id: string;
  userId: string;
  staffId: string | null;
  courseId: string;
  packageVersionId: string;
  status: 'not attempted' | 'incomplete' | 'completed' | 'passed' | 'failed';
  score: number | null;
  startedAt: Date;
  satisfiedAt: Date | null;
  evidenceRecordedAt: Date | null;
}

export interface AuState {
  auId: string;
  completedAt: Date | null;
  passedAt: Date | null;
  failedAt: Date | null;
  progress: number | null;
  score: number | null;
  satisfiedAt: Date | null;
}

export interface Session {
  id: string;
  registrationId: string;
  auId: string;
  launchMode: LaunchMode;
  returnUrl: string | null;
  fetchedAt: Date | null;
  verbs: string[];
  launchedAt: Date;
  initializedAt: Date | null;
  lastStatementAt: Date | null;
  terminatedAt: Date | null;
  abandonedAt: Date | null;
}

const VERSION_COLUMNS = `v.id, v.package_id as "packageId", p.identifier, v.version, v.title, v.structure, v.has_files as "hasFiles",
  p.course_id as "courseId", c.slug as "courseSlug", v.imported_at as "importedAt"`;
const REGISTRATION_COLUMNS = `r.id, r.user_id as "userId", r.staff_id as "staffId", r.course_id as "courseId", r.package_version_id as "packageVersionId",
  r.status, r.score::float as score, r.started_at as "startedAt", r.satisfied_at as "satisfiedAt", r.evidence_recorded_at as "evidenceRecordedAt"`;
const SESSION_COLUMNS = `s.id, s.registration_id as "registrationId", s.au_id as "auId", s.launch_mode as "launchMode", s.return_url as "returnUrl", s.fetched_at as "fetchedAt", s.verbs,
  s.launched_at as "launchedAt", s.initialized_at as "initializedAt", s.last_statement_at as "lastStatementAt", s.terminated_at as "terminatedAt", s.abandoned_at as "abandonedAt"`;

/** The package of this course structure id for a course (or the one for no course yet), locked for adding a version. */
export async function lockPackage(client: PoolClient, identifier: string, courseId: string): Promise<{ id: string; nextVersion: number }> {
  await client.query('select pg_advisory_xact_lock(hashtext($1))', [`cmi5-package:${identifier}`]);
  let { rows } = await client.query<{ id: string }>('select id from cmi5_packages where identifier = $1 and course_id = $2', [identifier, courseId]);
  if (!rows[0])
    ({ rows } = await client.query<{ id: string }>('insert into cmi5_packages (identifier, course_id) values ($1, $2) returning id', [identifier, courseId]));
  const { rows: n } = await client.query<{ next: number }>('select coalesce(max(version), 0) + 1 as next from cmi5_package_versions where package_id = $1', [
    rows[0].id,
  ]);
  return { id: rows[0].id, nextVersion: Number(n[0].next) };
}

export async function coursesWithIdentifier(db: Queryable, identifier: string): Promise<{ id: string; slug: string }[]> {
  const { rows } = await db.query<{ id: string; slug: string }>(
    'select distinct c.id, c.slug from cmi5_packages p join course_catalogue c on c.id = p.course_id where p.identifier = $1',
    [identifier],
  );
  return rows;
}

export async function insertVersion(
  client: PoolClient,
  v: { packageId: string; version: number; structure: CourseStructure; hasFiles: boolean; fileCount: number; totalBytes: number; importedBy: string | null },
): Promise<string> {
  const { rows } = await client.query<{ id: string }>(
    `insert into cmi5_package_versions (package_id, version, title, structure, has_files, file_count, total_bytes, imported_by)
     values ($1, $2, $3, $4, $5, $6, $7, $8) returning id`,
    [v.packageId, v.version, v.structure.title.slice(0, 300), JSON.stringify(v.structure), v.hasFiles, v.fileCount, v.totalBytes, v.importedBy],
  );
  return rows[0].id;
}

export async function getVersion(db: Queryable, id: string): Promise<Version | undefined> {
  const { rows } = await db.query<Version>(
    `select ${VERSION_COLUMNS} from cmi5_package_versions v join cmi5_packages p on p.id = v.package_id left join course_catalogue c on c.id = p.course_id where v.id = $1`,
    [id],
  );
  return rows[0];
}

export async function currentVersionForCourse(db: Queryable, courseId: string): Promise<Version | undefined> {
  const { rows } = await db.query<Version>(
    `select ${VERSION_COLUMNS} from cmi5_package_versions v join cmi5_packages p on p.id = v.package_id join course_catalogue c on c.id = p.course_id
      where p.course_id = $1 order by v.imported_at desc, v.version desc limit 1`,
    [courseId],
  );
  return rows[0];
}

export async function listVersions(db: Queryable): Promise<Version[]> {
  const { rows } = await db.query<Version>(
    `select ${VERSION_COLUMNS} from cmi5_package_versions v join cmi5_packages p on p.id = v.package_id left join course_catalogue c on c.id = p.course_id order by v.imported_at desc limit 200`,
  );
  return rows;
}

export async function latestRegistration(db: Queryable, userId: string, courseId: string): Promise<Registration | undefined> {
  const { rows } = await db.query<Registration>(
    `select ${REGISTRATION_COLUMNS} from cmi5_registrations r where r.user_id = $1 and r.course_id = $2 order by r.started_at desc limit 1`,
    [userId, courseId],
  );
  return rows[0];
}

export async function createRegistration(
  db: Queryable,
  r: { userId: string; staffId: string | null; courseId: string; packageVersionId: string },
): Promise<Registration> {
  const { rows } = await db.query<Registration>(
    `insert into cmi5_registrations as r (user_id, staff_id, course_id, package_version_id) values ($1, $2, $3, $4) returning ${REGISTRATION_COLUMNS}`,
    [r.userId, r.staffId, r.courseId, r.packageVersionId],
  );
  return rows[0];
}

export async function getRegistration(db: Queryable, id: string): Promise<Registration | undefined> {
  const { rows } = await db.query<Registration>(`select ${REGISTRATION_COLUMNS} from cmi5_registrations r where r.id = $1`, [id]);
  return rows[0];
}

export async function lockRegistration(client: PoolClient, id: string): Promise<Registration | undefined> {
  const { rows } = await client.query<Registration>(`select ${REGISTRATION_COLUMNS} from cmi5_registrations r where r.id = $1 for update`, [id]);
  return rows[0];
}

export async function auStates(db: Queryable, registrationId: string): Promise<AuState[]> {
  const { rows } = await db.query<AuState>(
    `select au_id as "auId", completed_at as "completedAt", passed_at as "passedAt", failed_at as "failedAt", progress, score::float as score, satisfied_at as "satisfiedAt"
       from cmi5_au_states where registration_id = $1`,
    [registrationId],
  );
  return rows;
}

/** Records what one accepted statement says about its AU. */
export async function recordAu(
  client: PoolClient,
  registrationId: string,
  auId: string,
  change: { verb?: 'completed' | 'passed' | 'failed'; progress?: number | null; score?: number | null },
): Promise<void> {
  await client.query(`insert into cmi5_au_states (registration_id, au_id) values ($1, $2) on conflict do nothing`, [registrationId, auId]);
  await client.query(
    `update cmi5_au_states set
        completed_at = case when $3 = 'completed' then coalesce(completed_at, now()) else completed_at end,
        passed_at = case when $3 = 'passed' then coalesce(passed_at, now()) else passed_at end,
        failed_at = case when $3 = 'failed' then now() else failed_at end,
        progress = case when $3 = 'completed' then 100 else coalesce($4::int, progress) end,
        score = coalesce($5::numeric, score)
      where registration_id = $1 and au_id = $2`,
    [registrationId, auId, change.verb ?? null, change.progress ?? null, change.score ?? null],
  );
}

export async function markAuSatisfied(client: PoolClient, registrationId: string, auId: string): Promise<void> {
  await client.query(
    `insert into cmi5_au_states (registration_id, au_id, satisfied_at) values ($1, $2, now())
    on conflict (registration_id, au_id) do update set satisfied_at = coalesce(cmi5_au_states.satisfied_at, now())`,
    [registrationId, auId],
  );
}

export async function updateRegistration(
  client: PoolClient,
  id: string,
  r: { status: Registration['status']; score: number | null; satisfied: boolean },
): Promise<void> {
  await client.query(
    `update cmi5_registrations set status = $2, score = $3, updated_at = now(), satisfied_at = case when $4 then coalesce(satisfied_at, now()) else satisfied_at end where id = $1`,
    [id, r.status, r.score, r.satisfied],
  );
}

export async function markEvidenceRecorded(client: PoolClient, id: string): Promise<void> {
  await client.query('update cmi5_registrations set evidence_recorded_at = now() where id = $1', [id]);
}

export async function openSessions(client: PoolClient, registrationId: string): Promise<Session[]> {
  const { rows } = await client.query<Session>(
    `select ${SESSION_COLUMNS} from cmi5_sessions s where s.registration_id = $1 and s.terminated_at is null and s.abandoned_at is null for update`,
    [registrationId],
  );
  return rows;
}

export async function createSession(
  client: PoolClient,
  s: { registrationId: string; auId: string; launchMode: LaunchMode; fetchKeyHash: string },
): Promise<Session> {
  const { rows } = await client.query<Session>(
    `insert into cmi5_sessions as s (registration_id, au_id, launch_mode, fetch_key_hash) values ($1, $2, $3, $4) returning ${SESSION_COLUMNS}`,
    [s.registrationId, s.auId, s.launchMode, s.fetchKeyHash],
  );
  return rows[0];
}

export async function setReturnUrl(db: Queryable, sessionId: string, url: string): Promise<void> {
  await db.query('update cmi5_sessions set return_url = $2 where id = $1', [sessionId, url]);
}

export async function getSession(db: Queryable, id: string): Promise<Session | undefined> {
  const { rows } = await db.query<Session>(`select ${SESSION_COLUMNS} from cmi5_sessions s where s.id = $1`, [id]);
  return rows[0];
}

/** Hands out a session's token once: the first POST to its fetch URL sets it, any later one finds it taken. */
export async function claimFetch(db: Queryable, fetchKeyHash: string, tokenHash: string): Promise<'issued' | 'used' | 'unknown'> {
  const { rows } = await db.query<{ issued: boolean }>(
    `with claimed as (
       update cmi5_sessions set fetched_at = now(), token_hash = $2
        where fetch_key_hash = $1 and fetched_at is null and terminated_at is null and abandoned_at is null returning 1)
     select exists (select 1 from claimed) as issued, exists (select 1 from cmi5_sessions where fetch_key_hash = $1) as known`,
    [fetchKeyHash, tokenHash],
  );
  const r = rows[0] as unknown as { issued: boolean; known: boolean };
  return r.issued ? 'issued' : r.known ? 'used' : 'unknown';
}

export async function sessionIdForToken(db: Queryable, tokenHash: string): Promise<string | undefined> {
  const { rows } = await db.query<{ id: string }>('select id from cmi5_sessions where token_hash = $1', [tokenHash]);
  return rows[0]?.id;
}

export async function lockSession(client: PoolClient, id: string): Promise<Session | undefined> {
  const { rows } = await client.query<Session>(`select ${SESSION_COLUMNS} from cmi5_sessions s where s.id = $1 for update`, [id]);
  return rows[0];
}

export async function updateSession(client: PoolClient, s: Session): Promise<void> {
  await client.query(`update cmi5_sessions set verbs = $2, initialized_at = $3, last_statement_at = $4, terminated_at = $5, abandoned_at = $6 where id = $1`, [
    s.id,
    s.verbs,
    s.initializedAt,
    s.lastStatementAt,
    s.terminatedAt,
    s.abandonedAt,
  ]);
}

/** cmi5 defined verbs this AU has sent in the registration, in any session. */
export async function registrationVerbs(client: PoolClient, registrationId: string, auId: string): Promise<Set<string>> {
  const { rows } = await client.query<{ verb: string }>(`select distinct unnest(verbs) as verb from cmi5_sessions where registration_id = $1 and au_id = $2`, [
    registrationId,
    auId,
  ]);
  return new Set(rows.map((r) => r.verb));
}

export async function insertStatement(
  client: PoolClient,
  s: { id: string; registrationId: string; sessionId: string | null; verb: string; statement: unknown },
): Promise<void> {
  await client.query('insert into cmi5_statements (id, registration_id, session_id, verb, statement) values ($1, $2, $3, $4, $5)', [
    s.id,
    s.registrationId,
    s.sessionId,
    s.verb,
    JSON.stringify(s.statement),
  ]);
}

export async function statementById(db: Queryable, id: string): Promise<{ registrationId: string; statement: Record<string, unknown> } | undefined> {
  const { rows } = await db.query<{ registrationId: string; statement: Record<string, unknown> }>(
    'select registration_id as "registrationId", statement from cmi5_statements where id = $1',
    [id],
  );
  return rows[0];
}

export async function statementsOfRegistration(
  db: Queryable,
  registrationId: string,
  filter: { verb?: string; since?: string; limit: number },
): Promise<Record<string, unknown>[]> {
  const { rows } = await db.query<{ statement: Record<string, unknown> }>(
    `select statement from cmi5_statements where registration_id = $1 and ($2::text is null or verb = $2) and ($3::timestamptz is null or stored > $3)
      order by stored desc, id limit $4`,
    [registrationId, filter.verb ?? null, filter.since ?? null, filter.limit],
  );
  return rows.map((r) => r.statement);
}

export interface DocumentKey {
  owner: string;
  kind: 'state' | 'activity-profile' | 'agent-profile';
  activityId: string;
  registration: string;
  documentId: string;
}

export async function getDocument(db: Queryable, k: DocumentKey): Promise<{ content: Buffer; contentType: string; updatedAt: Date } | undefined> {
  const { rows } = await db.query<{ content: Buffer; contentType: string; updatedAt: Date }>(
    `select content, content_type as "contentType", updated_at as "updatedAt" from cmi5_documents
      where owner = $1 and kind = $2 and activity_id = $3 and registration = $4 and document_id = $5`,
    [k.owner, k.kind, k.activityId, k.registration, k.documentId],
  );
  return rows[0];
}

export async function listDocumentIds(db: Queryable, k: Omit<DocumentKey, 'documentId'>): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    'select document_id as id from cmi5_documents where owner = $1 and kind = $2 and activity_id = $3 and registration = $4 order by document_id',
    [k.owner, k.kind, k.activityId, k.registration],
  );
  return rows.map((r) => r.id);
}

export async function putDocument(db: Queryable, k: DocumentKey, content: Buffer, contentType: string): Promise<void> {
  await db.query(
    `insert into cmi5_documents (owner, kind, activity_id, registration, document_id, content, content_type) values ($1, $2, $3, $4, $5, $6, $7)
     on conflict (owner, kind, activity_id, registration, document_id) do update set content = excluded.content, content_type = excluded.content_type, updated_at = now()`,
    [k.owner, k.kind, k.activityId, k.registration, k.documentId, content, contentType],
  );
}

export async function deleteDocuments(db: Queryable, k: Omit<DocumentKey, 'documentId'> & { documentId?: string }): Promise<void> {
  await db.query(
    'delete from cmi5_documents where owner = $1 and kind = $2 and activity_id = $3 and registration = $4 and ($5::text is null or document_id = $5)',
    [k.owner, k.kind, k.activityId, k.registration, k.documentId ?? null],
  );
}

/** A learner's cmi5 registrations, newest first, for "My learning". */
export async function registrationsOfUser(db: Queryable, userId: string): Promise<(Registration & { courseSlug: string; courseTitle: string })[]> {
  const { rows } = await db.query<Registration & { courseSlug: string; courseTitle: string }>(
    `select ${REGISTRATION_COLUMNS}, c.slug as "courseSlug", c.title as "courseTitle" from cmi5_registrations r join course_catalogue c on c.id = r.course_id where r.user_id = $1 order by r.started_at desc`,
    [userId],
  );
  return rows;
}

/** What cmi5 content saved for a leaver (its state and their preferences) gone (data protection); their statements keep only the account id, never a name. */
export async function forgetCmi5Documents(client: PoolClient, staffId: string): Promise<void> {
  await client.query(
    `delete from cmi5_documents where kind <> 'activity-profile' and owner in (select user_id::text from cmi5_registrations where staff_id = $1)`,
    [staffId],
  );
}
