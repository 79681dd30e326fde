import type { Pool, PoolClient } from 'pg';
import { type OrganisationScope, scopeCondition } from '../../server/access';
import { cachePerProduct, keptBy } from '../../server/cache';
import type { Cmi } from './cmi';
import type { ParsedManifest, ScormVersion } from './manifest';

type Queryable = Pick<Pool, 'query'> | PoolClient;

export interface PackageVersion {
  id: string;
  packageId: string;
  identifier: string;
  version: number;
  scormVersion: ScormVersion;
  title: string;
  manifest: ParsedManifest;
  fileCount: number;
  totalBytes: number;
  importedAt: Date;
  courseId: string | null;
}

export interface Attempt {
  id: string;
  userId: string;
  staffId: string | null;
  courseId: string;
  packageVersionId: string;
  status: 'not attempted' | 'incomplete' | 'completed' | 'passed' | 'failed';
  score: number | null;
  timeSeconds: number;
  startedAt: Date;
  updatedAt: Date;
  completedAt: Date | null;
  evidenceRecordedAt: Date | null;
}

const VERSION_COLUMNS = `v.id, v.package_id as "packageId", p.identifier, v.version, v.scorm_version as "scormVersion", v.title, v.manifest,
  v.file_count as "fileCount", v.total_bytes::int as "totalBytes", v.imported_at as "importedAt", p.course_id as "courseId"`;
const ATTEMPT_COLUMNS = `a.id, a.user_id as "userId", a.staff_id as "staffId", a.course_id as "courseId", a.package_version_id as "packageVersionId",
  a.status, a.score, a.time_seconds as "timeSeconds", a.started_at as "startedAt", a.updated_at as "updatedAt",
  a.completed_at as "completedAt", a.evidence_recorded_at as "evidenceRecordedAt"`;

/** The courses packages with this manifest identifier already belong to. */
export async function coursesWithIdentifier(db: Queryable, identifier: string): Promise<{ id: string; slug: string; title: string }[]> {
  const { rows } = await db.query<{ id: string; slug: string; title: string }>(
    `select distinct c.id, c.slug, c.title from scorm_packages p join course_catalogue c on c.id = p.course_id where p.identifier = $1 order by c.title`,
    [identifier],
  );
  return rows;
}

/**
 * The package of this identifier for a course (or, with no course, the one
 * not yet linked to any), created when there is none, locked for adding a
 * version; with the number the next version takes.
 */
export async function lockPackage(
  client: PoolClient,
  identifier: string,
  courseId: string | null,
): Promise<{ id: string; courseId: string | null; nextVersion: number }> {
  // Two imports of one identifier wait for each other here, so neither creates a second package.
  await client.query('select pg_advisory_xact_lock(hashtext($1))', [`scorm-package:${identifier}`]);
  let { rows } = await client.query<{ id: string; courseId: string | null }>(
    'select id, course_id as "courseId" from scorm_packages where identifier = $1 and course_id is not distinct from $2 order by created_at limit 1 for update',
    [identifier, courseId],
  );
  if (!rows[0]) {
    ({ rows } = await client.query<{ id: string; courseId: string | null }>(
      'insert into scorm_packages (identifier, course_id) values ($1, $2) returning id, course_id as "courseId"',
      [identifier, courseId],
    ));
  }
  const { rows: v } = await client.query<{ n: number }>('select coalesce(max(version), 0) + 1 as n from scorm_package_versions where package_id = $1', [
    rows[0].id,
  ]);
  return { ...rows[0], nextVersion: v[0].n };
}

export async function insertVersion(
  client: PoolClient,
  input: { packageId: string; version: number; manifest: ParsedManifest; fileCount: number; totalBytes: number; importedBy: string | null },
): Promise<string> {
  const { rows } = await client.query<{ id: string }>(
    `insert into scorm_package_versions (package_id, version, scorm_version, title, manifest, file_count, total_bytes, imported_by)
     values ($1, $2, $3, $4, $5, $6, $7, $8) returning id`,
    [
      input.packageId,
      input.version,
      input.manifest.scormVersion,
      input.manifest.title,
      JSON.stringify(input.manifest),
      input.fileCount,
      input.totalBytes,
      input.importedBy,
    ],
  );
  return rows[0].id;
}

export async function linkPackageToCourse(db: Queryable, packageId: string, courseId: string): Promise<void> {
  await db.query('update scorm_packages set course_id = $2 where id = $1', [packageId, courseId]);
}

export async function getVersion(db: Queryable, id: string): Promise<PackageVersion | undefined> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
  const { rows } = await db.query<PackageVersion>(
    `select ${VERSION_COLUMNS} from scorm_package_versions v join scorm_packages p on p.id = v.package_id where v.id = $1`,
    [id],
  );
  return rows[0];
}

/** What a version plays: its SCORM version and parsed manifest. */
export type VersionContent = Pick<PackageVersion, 'scormVersion' | 'manifest'>;

// A version never changes once imported (a new import is a new version), so each
// product reads and parses its manifest once rather than on every commit.
const VERSION_CONTENT = cachePerProduct<string, VersionContent>('package version content', { max: 500 });

/** A version's SCORM version and manifest, read once per product (`pool`, also when `db` is one of its connections in a transaction). */
export async function versionContent(db: Queryable, id: string, pool: Pool): Promise<VersionContent | undefined> {
  const versionContentCache = keptBy(pool, VERSION_CONTENT);
  const cached = versionContentCache.get(id);
  if (cached) return cached;
  if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
  const { rows } = await db.query<VersionContent>('select scorm_version as "scormVersion", manifest from scorm_package_versions where id = $1', [id]);
  if (!rows[0]) return undefined;
  versionContentCache.set(id, rows[0]);
  return rows[0];
}

/** The newest version of the package a course plays; new attempts start on it. */
export async function currentVersionForCourse(db: Queryable, courseId: string): Promise<PackageVersion | undefined> {
  const { rows } = await db.query<PackageVersion>(
    `select ${VERSION_COLUMNS} from scorm_package_versions v join scorm_packages p on p.id = v.package_id
      where p.course_id = $1 order by v.imported_at desc, v.version desc limit 1`,
    [courseId],
  );
  return rows[0];
}

export async function listVersions(db: Queryable): Promise<(PackageVersion & { courseTitle: string | null; courseSlug: string | null })[]> {
  const { rows } = await db.query(
    `select ${VERSION_COLUMNS}, c.title as "courseTitle", c.slug as "courseSlug"
       from scorm_package_versions v join scorm_packages p on p.id = v.package_id left join course_catalogue c on c.id = p.course_id
      order by v.imported_at desc`,
  );
  return rows as (PackageVersion & { courseTitle: string | null; courseSlug: string | null })[];
}

export async function createAttempt(
  db: Queryable,
  input: { userId: string; staffId: string | null; courseId: string; packageVersionId: string },
): Promise<Attempt> {
  const { rows } = await db.query<Attempt>(
    `insert into scorm_attempts as a (user_id, staff_id, course_id, package_version_id) values ($1, $2, $3, $4) returning ${ATTEMPT_COLUMNS}`,
    [input.userId, input.staffId, input.courseId, input.packageVersionId],
  );
  return rows[0];
}

export async function latestAttempt(db: Queryable, userId: string, courseId: string): Promise<Attempt | undefined> {
  const { rows } = await db.query<Attempt>(
    `select ${ATTEMPT_COLUMNS} from scorm_attempts a where a.user_id = $1 and a.course_id = $2 order by a.started_at desc limit 1`,
    [userId, courseId],
  );
  return rows[0];
}

/** Whose attempt this is, when it plays this package version and the account is not disabled. */
export async function attemptOwner(db: Queryable, attemptId: string, packageVersionId: string): Promise<string | undefined> {
  const { rows } = await db.query<{ userId: string }>(
    `select a.user_id as "userId" from scorm_attempts a join users u on u.id = a.user_id and not u.disabled where a.id = $1 and a.package_version_id = $2`,
    [attemptId, packageVersionId],
  );
  return rows[0]?.userId;
}

/**
 * The learner's attempt, locked for a commit, with its course's pass mark, in one round trip.
 * Anyone else's attempt, or one whose account is disabled, is as if it did not exist.
 */
export async function attemptForCommit(client: PoolClient, attemptId: string, userId: string): Promise<(Attempt & { passMark: number | null }) | undefined> {
  if (!/^[0-9a-f-]{36}$/i.test(attemptId)) return undefined;
  const { rows } = await client.query<Attempt & { passMark: number | null }>(
    `select ${ATTEMPT_COLUMNS}, c.pass_mark as "passMark" from scorm_attempts a join course_catalogue c on c.id = a.course_id
       join users u on u.id = a.user_id and not u.disabled
      where a.id = $1 and a.user_id = $2 for update of a`,
    [attemptId, userId],
  );
  return rows[0];
}

export interface ScoState {
  scoIdentifier: string;
  cmi: Cmi;
  lastSequence: number;
  /** Counted up by the server with every commit it stores; a page bases its next commit on the one it last saw. */
  revision: number;
  sessionSeconds: Record<string, number>;
}

export async function scoStates(db: Queryable, attemptId: string): Promise<ScoState[]> {
  const { rows } = await db.query<ScoState>(
    `select sco_identifier as "scoIdentifier", cmi, last_sequence as "lastSequence", revision::int, session_seconds as "sessionSeconds" from scorm_sco_states where attempt_id = $1`,
    [attemptId],
  );
  return rows;
}

/**
 * Which commits to a SCO's state are stored, in SQL over the stored row `s`
 * and the commit's page ($session), page-local sequence ($seq) and the
 * revision the page last saw ($base, null when the caller does not say):
 * only a later commit than any stored from that page (a late arrival is
 * superseded, not lost), and, unless that page wrote last, only one based on
 * the revision stored now, so no page overwrites progress another page has
 * had acknowledged since it last looked.
 */
const STORE_WHEN = (session: string, seq: string, base: string) =>
  `coalesce((s.session_sequences->>${session})::bigint, -1) < ${seq} and (s.last_session = ${session} or ${base} is null or s.revision <= ${base})`;
const STORED_SET = `revision = s.revision + 1, last_session = excluded.last_session,
             session_sequences = s.session_sequences || jsonb_build_object(excluded.last_session, excluded.last_sequence)`;

/** What became of a commit: stored (with every SCO's state now), a late arrival of the same page, or from a page behind another. */
export type SaveResult = { saved: true; states: ScoState[]; revision: number } | { saved: false; reason: 'stale' | 'behind'; revision: number };

/**
 * Stores a commit when STORE_WHEN allows, and returns every SCO's state of
 * the attempt as it now stands, in one round trip.
 */
export async function saveScoState(
  client: PoolClient,
  attemptId: string,
  sco: string,
  sequence: number,
  cmi: Cmi,
  sessionId: string,
  sessionSeconds: number,
  base: number | null = null,
): Promise<SaveResult> {
  const { rows } = await client.query<ScoState & { saved: boolean; pageSequence: number | null }>(
    `with saved as (
       insert into scorm_sco_states as s (attempt_id, sco_identifier, cmi, last_sequence, session_seconds, revision, last_session, session_sequences)
       values ($1, $2, $3, $4, jsonb_build_object($5::text, $6::int), 1, $5, jsonb_build_object($5::text, $4::bigint))
       on conflict (attempt_id, sco_identifier) do update
         set cmi = s.cmi || excluded.cmi, last_sequence = excluded.last_sequence,
             session_seconds = s.session_seconds || excluded.session_seconds, updated_at = now(),
             ${STORED_SET}
         where ${STORE_WHEN('excluded.last_session', 'excluded.last_sequence', '$7::bigint')}
       returning sco_identifier, cmi, last_sequence, revision, session_seconds, (session_sequences->>$5)::bigint as page_sequence)
     select true as saved, sco_identifier as "scoIdentifier", cmi, last_sequence as "lastSequence", revision::int, session_seconds as "sessionSeconds", page_sequence::float8 as "pageSequence" from saved
     union all
     select false, sco_identifier, cmi, last_sequence, revision::int, session_seconds, (session_sequences->>$5)::float8 from scorm_sco_states
      where attempt_id = $1 and (sco_identifier <> $2 or not exists (select 1 from saved))`,
    [attemptId, sco, JSON.stringify(cmi), sequence, sessionId, sessionSeconds, base],
  );
  const mine = rows.find((r) => r.scoIdentifier === sco);
  const strip = ({ saved: _saved, pageSequence: _p, ...state }: ScoState & { saved: boolean; pageSequence: number | null }) => state;
  if (!mine?.saved)
    return { saved: false, reason: mine?.pageSequence != null && mine.pageSequence >= sequence ? 'stale' : 'behind', revision: mine?.revision ?? 0 };
  return { saved: true, states: rows.map(strip), revision: mine.revision };
}

export async function updateAttemptOutcome(
  client: PoolClient,
  attemptId: string,
  outcome: { status: Attempt['status']; score: number | null; timeSeconds: number; finished: boolean },
): Promise<Attempt> {
  const { rows } = await client.query<Attempt>(
    `update scorm_attempts a set status = $2, score = $3, time_seconds = $4, updated_at = now(),
            completed_at = case when $5 then coalesce(a.completed_at, now()) else a.completed_at end
      where a.id = $1 returning ${ATTEMPT_COLUMNS}`,
    [attemptId, outcome.status, outcome.score, outcome.timeSeconds, outcome.finished],
  );
  return rows[0];
}

/** One everyday commit, as commitInOneStatement writes it. */
export interface OneStatementCommit {
  attemptId: string;
  userId: string;
  packageVersionId: string;
  passMark: number | null;
  sco: string;
  sequence: number;
  /** The revision the page last saw; null when the caller does not say. */
  base?: number | null;
  cmi: Cmi;
  sessionId: string;
  sessionSeconds: number;
  expected: Cmi;
  absent: string[];
  status: Attempt['status'];
  score: number | null;
}

/**
 * The common commit to an attempt on a package of one SCO, in one statement,
 * no transaction round trips: locks the attempt (it must be this user's, on
 * an account not disabled, on this package version, not finished, with the
 * course's pass mark still `passMark`), upserts the SCO's state with the
 * sequence guard, and sets the attempt's status, score and time (the sum of
 * the SCO's session seconds: with one SCO there is no other to add). The
 * caller worked the outcome out beforehand assuming the stored elements
 * `expected` (present) and `absent` (not stored) that it depends on and this
 * commit does not set; the state is only written when they still hold. The
 * new revision when written; nothing is written and undefined returned when any check fails
 * (unknown, someone else's or a finished attempt, a stale sequence, a changed
 * pass mark or stored outcome): the caller then takes the transactional path,
 * which says which.
 */
export async function commitInOneStatement(db: Queryable, input: OneStatementCommit, options: { prepared?: boolean } = {}): Promise<number | undefined> {
  return (await commitManyInOneStatement(db, [input], options)).get(input.attemptId);
}

/**
 * Several commits, each to a different attempt, in one statement (the group
 * commit of commit-batch.ts): each row is written or not on exactly the terms
 * a commit on its own would be. Returns the revision of each row written, by
 * attempt id.
 */
export async function commitManyInOneStatement(
  db: Queryable,
  inputs: OneStatementCommit[],
  options: { prepared?: boolean } = {},
): Promise<Map<string, number>> {
  const rows = inputs.filter((i) => /^[0-9a-f-]{36}$/i.test(i.attemptId));
  if (!rows.length) return new Map();
  const column = <V>(f: (i: OneStatementCommit) => V) => rows.map(f);
  const { rows: written } = await db.query<{ attemptId: string; revision: string }>({
    // Prepared once per connection on PostgreSQL, so each commit skips planning this statement
    // (about as costly as running it). Not on PGlite, whose connections share one session.
    ...(options.prepared ? { name: 'scorm-commit-in-one-statement' } : {}),
    text: `with input as (
       select * from unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::numeric[], $5::text[], $6::jsonb[], $7::bigint[], $8::text[], $9::int[],
                            $10::jsonb[], $11::jsonb[], $12::text[], $13::numeric[], $14::bigint[])
         as i(attempt_id, user_id, package_version_id, pass_mark, sco, cmi, sequence, session_id, session_seconds, expected, absent, status, score, base)),
     att as (
       select i.* from input i join scorm_attempts a on a.id = i.attempt_id
         join course_catalogue c on c.id = a.course_id join users u on u.id = a.user_id and not u.disabled
        where a.user_id = i.user_id and a.package_version_id = i.package_version_id and a.completed_at is null
          and c.pass_mark is not distinct from i.pass_mark
        -- The same order in every statement, so two statements never wait for each other's attempts.
        order by a.id
        for update of a),
     saved as (
       insert into scorm_sco_states as s (attempt_id, sco_identifier, cmi, last_sequence, session_seconds, revision, last_session, session_sequences)
       select att.attempt_id, att.sco, att.cmi, att.sequence, jsonb_build_object(att.session_id, att.session_seconds), 1, att.session_id,
              jsonb_build_object(att.session_id, att.sequence)
         from att
        -- A state it expects stored elements in must be there already.
        where att.expected = '{}'::jsonb or exists (select 1 from scorm_sco_states x where x.attempt_id = att.attempt_id and x.sco_identifier = att.sco)
       on conflict (attempt_id, sco_identifier) do update
         set cmi = s.cmi || excluded.cmi, last_sequence = excluded.last_sequence,
             session_seconds = s.session_seconds || excluded.session_seconds, updated_at = now(),
             ${STORED_SET}
         where ${STORE_WHEN('excluded.last_session', 'excluded.last_sequence', '(select b.base from att b where b.attempt_id = excluded.attempt_id)')}
           and s.cmi @> (select b.expected from att b where b.attempt_id = excluded.attempt_id)
           and not (s.cmi ?| array(select jsonb_array_elements_text(b.absent) from att b where b.attempt_id = excluded.attempt_id))
       returning attempt_id, session_seconds, revision)
     update scorm_attempts a set status = att.status, score = att.score, updated_at = now(),
            time_seconds = (select coalesce(sum(e.value::numeric), 0) from jsonb_each_text(saved.session_seconds) e)
       from saved join att on att.attempt_id = saved.attempt_id
      where a.id = saved.attempt_id
     returning saved.attempt_id as "attemptId", saved.revision`,
    values: [
      column((i) => i.attemptId),
      column((i) => i.userId),
      column((i) => i.packageVersionId),
      column((i) => i.passMark),
      column((i) => i.sco),
      column((i) => JSON.stringify(i.cmi)),
      column((i) => i.sequence),
      column((i) => i.sessionId),
      column((i) => i.sessionSeconds),
      column((i) => JSON.stringify(i.expected)),
      column((i) => JSON.stringify(i.absent)),
      column((i) => i.status),
      column((i) => i.score),
      column((i) => i.base ?? null),
    ],
  });
  return new Map(written.map((r) => [r.attemptId, Number(r.revision)]));
}

export async function markEvidenceRecorded(client: PoolClient, attemptId: string): Promise<void> {
  await client.query('update scorm_attempts set evidence_recorded_at = now() where id = $1', [attemptId]);
}

export async function attemptsOfUser(db: Queryable, userId: string): Promise<(Attempt & { courseTitle: string; courseSlug: string })[]> {
  const { rows } = await db.query(
    `select ${ATTEMPT_COLUMNS}, c.title as "courseTitle", c.slug as "courseSlug" from scorm_attempts a join course_catalogue c on c.id = a.course_id
      where a.user_id = $1 order by a.started_at desc`,
    [userId],
  );
  return rows as (Attempt & { courseTitle: string; courseSlug: string })[];
}

export interface ReportRow {
  staffName: string;
  organisationName: string;
  attempts: number;
  status: Attempt['status'];
  score: number | null;
  bestScore: number | null;
  timeSeconds: number;
  completedAt: Date | null;
  lastActive: Date;
}

/** Per-course report of the staff in scope: one row per person with their latest attempt. */
export async function courseReport(db: Queryable, courseId: string, scope: OrganisationScope): Promise<ReportRow[]> {
  const cond = scopeCondition(scope, 's.organisation_id', 2);
  const { rows } = await db.query<ReportRow>(
    `select s.name as "staffName", o.name as "organisationName", count(*)::int as attempts,
            (array_agg(a.status order by a.started_at desc))[1] as status,
            (array_agg(a.score order by a.started_at desc))[1] as score,
            max(a.score) as "bestScore", sum(a.time_seconds)::int as "timeSeconds",
            min(a.completed_at) as "completedAt", max(a.updated_at) as "lastActive"
       from scorm_attempts a join staff_members s on s.id = a.staff_id join member_organisations o on o.id = s.organisation_id
      where a.course_id = $1 and ${cond.sql}
      group by s.id, s.name, o.name order by o.name, s.name`,
    [courseId, ...cond.params],
  );
  return rows;
}

/** Prerequisite courses this user has not finished: no finished attempt and no evidence from that course. */
export async function unmetPrerequisites(db: Queryable, courseId: string, userId: string): Promise<{ slug: string; title: string }[]> {
  const { rows } = await db.query<{ slug: string; title: string }>(
    `select p.slug, p.title from course_catalogue_prerequisites cp join course_catalogue p on p.id = cp.prerequisite_course_id
      where cp.course_id = $1
        and not exists (select 1 from scorm_attempts a where a.user_id = $2 and a.course_id = p.id and a.completed_at is not null)
        and not exists (select 1 from evidence_entries e join staff_members s on s.id = e.staff_id where s.user_id = $2 and e.course_id = p.id and not e.withdrawn)
      order by p.title`,
    [courseId, userId],
  );
  return rows;
}

/** What e-learning saved in each of one person's attempts (answers, progress, their name as the package saw it), for a subject access request. */
export async function scormStateOf(db: Queryable, staffId: string): Promise<Record<string, unknown>[]> {
  const { rows } = await db.query('select * from scorm_sco_states where attempt_id in (select id from scorm_attempts where staff_id = $1)', [staffId]);
  return rows;
}

/** What e-learning saved for a leaver (answers, progress, their name as the package saw it) gone (data protection); their attempts and scores stay. */
export async function forgetScormState(client: PoolClient, staffId: string): Promise<void> {
  await client.query(`update scorm_sco_states set cmi = '{}' where attempt_id in (select id from scorm_attempts where staff_id = $1)`, [staffId]);
}
