import fs from 'node:fs';
import path from 'node:path';
import { cachePerProduct, keptBy, keptPerProduct } from '../../server/cache';
import type { Config } from '../../server/config';
import type { Database } from '../../server/db';
import { UsageError } from '../../server/errors';
import type { EventBus } from '../../server/events';
import { londonToday } from '../../server/london';
import { recordCourseCompletion } from '../evidence/api';
import { type Cmi, checkCommit, outcomeOf, secondsOf, settleAtFinish } from './cmi';
import { contentsRows, type ItemStatus } from './contents';
import { extractPackage, inspectPackage } from './importer';
import type { ParsedManifest, ScormVersion } from './manifest';
import { activityTree, courseResult } from './rollup';
import * as store from './store';
import { CommitBatcher } from './commit-batch';
import { createDraftElearningCourse, slugify } from '../courses/api';

export interface ImportResult {
  packageVersionId: string;
  packageId: string;
  version: number;
  courseId: string;
  courseSlug: string;
  manifest: ParsedManifest;
}

export { slugify };

/** Where a package version's files live. */
export function versionDir(config: Pick<Config, 'scormDir'>, versionId: string): string {
  return path.join(config.scormDir, 'content', versionId);
}

/**
 * A package whose manifest identifier is already a course's: which course it
 * is for is the administrator's to say, so nothing is imported until they do.
 */
export class SharedIdentifier extends Error {
  constructor(
    readonly identifier: string,
    readonly title: string,
    readonly courses: { id: string; slug: string; title: string }[],
  ) {
    super(
      `A package with the identifier "${identifier}" is already the content of ${courses.map((c) => `"${c.title}"`).join(', ')}. Say whether this is a new version of it or a new course.`,
    );
    this.name = 'SharedIdentifier';
  }
}

/**
 * Imports a SCORM zip: checks everything first, then, in one transaction,
 * records the new version and unpacks it into place. A refused package
 * leaves no row and no file behind. With `courseSlug` it is a version of
 * that course; with `newCourse` it becomes a new draft course. With neither,
 * a package whose identifier no course has yet becomes a new course, and one
 * whose identifier a course has is, when `sharedIdentifier` is 'ask' (the
 * upload page), refused with SharedIdentifier for the administrator to say
 * which, or otherwise (the CLI, as documented) a new version of that course.
 */
export async function importPackage(
  deps: { config: Pick<Config, 'scormDir' | 'scormMaxUploadBytes' | 'scormMaxFiles'>; database: Database },
  file: string,
  options: { courseSlug?: string; newCourse?: boolean; sharedIdentifier?: 'ask' | 'add-version'; importedBy?: string | null } = {},
): Promise<ImportResult> {
  const limits = { maxBytes: deps.config.scormMaxUploadBytes, maxFiles: deps.config.scormMaxFiles };
  const checked = await inspectPackage(file, limits);
  const { manifest } = checked;
  let extractedTo: string | undefined;
  try {
    return await deps.database.transaction(async (client) => {
      let course: { id: string; slug: string } | undefined;
      if (options.courseSlug) {
        const { rows } = await client.query<{ id: string; slug: string }>('select id, slug from course_catalogue where slug = $1', [options.courseSlug]);
        if (!rows[0]) throw new UsageError(`There is no course with the slug "${options.courseSlug}".`);
        course = rows[0];
      } else if (!options.newCourse) {
        const known = await store.coursesWithIdentifier(client, manifest.identifier);
        if (known.length && options.sharedIdentifier === 'ask') throw new SharedIdentifier(manifest.identifier, manifest.title, known);
        if (known.length === 1) course = known[0];
        else if (known.length > 1) {
          throw new UsageError(
            `More than one course plays a package with the identifier "${manifest.identifier}" (${known.map((k) => k.slug).join(', ')}): say which with --course SLUG.`,
          );
        }
      }
      course ??= await createDraftElearningCourse(client, manifest.title);
      const pkg = await store.lockPackage(client, manifest.identifier, course.id);
      const versionId = await store.insertVersion(client, {
        packageId: pkg.id,
        version: pkg.nextVersion,
        manifest,
        fileCount: checked.fileCount,
        totalBytes: checked.declaredBytes,
        importedBy: options.importedBy ?? null,
      });
      const dir = versionDir(deps.config, versionId);
      await extractPackage(file, dir, limits);
      extractedTo = dir;
      return { packageVersionId: versionId, packageId: pkg.id, version: pkg.nextVersion, courseId: course.id, courseSlug: course.slug, manifest };
    });
  } catch (err) {
    if (extractedTo) fs.rmSync(extractedTo, { recursive: true, force: true });
    throw err;
  }
}

export interface CommitInput {
  sco: string;
  /** Counts up with every commit of one player page (its sessionId). */
  sequence: number;
  sessionId: string;
  cmi: unknown;
  /** The SCO's revision the page last saw (from the page or its last stored commit); absent from callers that do not say. */
  base?: number | null;
  /**
   * False while the SCO is still running (an autocommit or LMSCommit); true
   * or absent when its session ends (LMSFinish/Terminate, leaving the SCO or
   * the page). The attempt is only finished, and evidence recorded, at the
   * end of a SCO's session, so a quiz that sets "completed" before its
   * result ("failed") is never taken for finished on the way.
   */
  final?: boolean;
  /** True on the commit LMSFinish/Terminate itself sends (see settleAtFinish). */
  terminated?: boolean;
}

/** What a stored commit means for the attempt, as the player is told. */
export interface CommitOutcome {
  status: store.Attempt['status'];
  score: number | null;
  finished: boolean;
}

/**
 * A finished attempt is a record: its result is kept as it was when it
 * finished, and reviewing it changes nothing. Taking the course again is a
 * new attempt.
 */
export class AttemptFinished extends Error {
  constructor() {
    super('This attempt is finished, so its result can no longer change. To take the course again, start a new attempt from the course page.');
    this.name = 'AttemptFinished';
  }
}

export type CommitResult =
  | {
      accepted: true;
      outcome: CommitOutcome;
      evidenceIds: string[];
      revision: number;
      /** Elements left out as the data model does not allow them (the rest was stored). */
      problems: string[];
      /** For a package of several SCOs: each SCO's status, for the contents list's marks, and those its prerequisites still keep closed. */
      items?: Record<string, ItemStatus>;
      locked?: string[];
    }
  | { accepted: false; reason: 'stale' | 'behind'; revision: number };

// The day the learner finished is a London day.
export { londonToday };

/** The elements of a SCO's data its outcome (outcomeOf) depends on. */
function outcomeElements(version: ScormVersion): string[] {
  return version === '1.2'
    ? ['cmi.core.lesson_status', 'cmi.core.score.raw', 'cmi.core.score.max', 'cmi.core.score.min']
    : ['cmi.completion_status', 'cmi.success_status', 'cmi.score.scaled'];
}

function pick(cmi: Cmi, names: string[]): Cmi {
  const out: Cmi = {};
  for (const name of names) if (Object.hasOwn(cmi, name)) out[name] = cmi[name];
  return out;
}

/** The SCOs whose SCORM 1.2 prerequisites are not met yet. */
export function lockedScos(manifest: ParsedManifest, statusOf: (identifier: string) => ItemStatus): string[] {
  return contentsRows(manifest, statusOf)
    .filter((r) => r.sco && !r.available)
    .map((r) => r.sco as string);
}

/** One SCO's status for the contents list: its outcome, or "browsed" as the SCO said. */
export function scoStatus(version: ScormVersion, cmi: Cmi, passMark: number | null, mastery: number | null): ItemStatus {
  if (version === '1.2' && cmi['cmi.core.lesson_status'] === 'browsed') return 'browsed';
  return outcomeOf(version, cmi, passMark, mastery).status;
}

/** What the SCOs' data means for the attempt: its status, score and whether it is finished. */
function attemptOutcome(
  version: store.VersionContent,
  cmiOf: (scoIdentifier: string) => Cmi,
  passMark: number | null,
): { status: store.Attempt['status']; score: number | null; finished: boolean } {
  if (version.scormVersion !== '1.2' && version.manifest.scos.length > 1) {
    // SCORM 2004: the course's result is its root activity's, rolled up as the manifest's sequencing says.
    const result = courseResult(activityTree(version.manifest, cmiOf));
    const outcome = outcomeOf(version.scormVersion, result.cmi, passMark, null);
    const started = outcome.status === 'not attempted' || outcome.status === 'incomplete';
    return started ? { ...outcome, status: result.attempted ? 'incomplete' : 'not attempted' } : outcome;
  }
  // Items the manifest hides cannot be opened from the contents list: they do not hold the attempt back.
  const launchable = version.manifest.scos.filter((s) => s.kind === 'sco' && s.visible !== false && s.rollup !== false);
  const outcomes = (launchable.length ? launchable : version.manifest.scos).map((s) =>
    outcomeOf(version.scormVersion, cmiOf(s.identifier), passMark, s.masteryScore),
  );
  const finished = outcomes.every((o) => o.finished);
  const scores = outcomes.map((o) => o.score).filter((s): s is number => s !== null);
  const status =
    outcomes.length === 1
      ? outcomes[0].status
      : finished
        ? outcomes.some((o) => o.status === 'passed')
          ? 'passed'
          : 'completed'
        : outcomes.some((o) => o.status === 'failed')
          ? 'failed'
          : outcomes.some((o) => o.status !== 'not attempted')
            ? 'incomplete'
            : 'not attempted';
  return { status, score: scores.length ? Math.round((scores.reduce((a, b) => a + b, 0) / scores.length) * 100) / 100 : null, finished };
}

/**
 * What this process knows of an attempt from its last commit here: facts that
 * never change for an attempt (whose it is, its package version) or that the
 * one-statement commit checks again (the course's pass mark, whether it is
 * finished, the stored elements its outcome depends on). A wrong or stale
 * entry can only send a commit the transactional way, never store a wrong one.
 */
interface KnownAttempt {
  userId: string;
  packageVersionId: string;
  passMark: number | null;
  finished: boolean;
  /** For a package of one SCO: the outcome elements of its stored data. */
  outcomeCmi?: Cmi;
}

const KNOWN_ATTEMPTS = cachePerProduct<string, KnownAttempt>('attempts seen', { max: 20_000 });

function remember(database: Database, attemptId: string, known: KnownAttempt): void {
  keptBy(database.pool, KNOWN_ATTEMPTS).set(attemptId, known);
}

/**
 * The player page has just read the attempt and what is stored for it: keep
 * that, so the learner's first commit is already the one-statement commit
 * rather than the transaction. When many learners open a module at once (the
 * start of a training day), those first commits were the slow ones; the
 * statement still checks everything assumed here against what is stored.
 */
export function rememberOpenedAttempt(
  database: Database,
  attempt: { id: string; userId: string; packageVersionId: string; completedAt: Date | null },
  passMark: number | null,
  version: { scormVersion: ScormVersion; manifest: { scos: { identifier: string }[] } },
  states: { scoIdentifier: string; cmi: Cmi }[],
): void {
  remember(
    database,
    attempt.id,
    asKnown(attempt, passMark, version, (sco) => states.find((st) => st.scoIdentifier === sco)?.cmi ?? {}),
  );
}

/** What a process keeps of an attempt: for a one-SCO package, the outcome elements of the stored data. */
function asKnown(
  attempt: { userId: string; packageVersionId: string; completedAt: Date | null },
  passMark: number | null,
  version: { scormVersion: ScormVersion; manifest: { scos: { identifier: string }[] } },
  cmiOf: (sco: string) => Cmi,
): KnownAttempt {
  const only = version.manifest.scos.length === 1 ? version.manifest.scos[0].identifier : undefined;
  return {
    userId: attempt.userId,
    packageVersionId: attempt.packageVersionId,
    passMark,
    finished: !!attempt.completedAt,
    outcomeCmi: only ? pick(cmiOf(only), outcomeElements(version.scormVersion)) : undefined,
  };
}

/** For tests: what this product has cached of an attempt. */
export function knownAttempt(database: Database, attemptId: string): Readonly<KnownAttempt> | undefined {
  return keptBy(database.pool, KNOWN_ATTEMPTS).get(attemptId);
}

/**
 * Everyday commits waiting for those being written go together (commit-batch.ts).
 * A few statements at once leave the pool's other connections to pages and jobs.
 */
const COMMIT_GROUP = keptPerProduct('SCORM commit group', () => ({}) as { batcher?: CommitBatcher<store.OneStatementCommit> });
function batcherFor(database: Database): CommitBatcher<store.OneStatementCommit> {
  const group = keptBy(database.pool, COMMIT_GROUP);
  group.batcher ??= new CommitBatcher(
    (rows) => store.commitManyInOneStatement(database.pool, rows, { prepared: database.kind === 'postgres' }),
    (row) => row.attemptId,
    { inFlight: 4, largest: 100 },
  );
  return group.batcher;
}

/**
 * The common commit, one that does not finish the attempt of a one-SCO
 * package, in one database statement (store.commitInOneStatement). Undefined
 * whenever it does not apply or the statement refuses: the caller then takes
 * the transactional path, which answers as it always has.
 */
async function commitInOneStatement(database: Database, userId: string, attemptId: string, input: CommitInput): Promise<CommitResult | undefined> {
  const known = keptBy(database.pool, KNOWN_ATTEMPTS).get(attemptId);
  if (!known || known.userId !== userId || known.finished || !known.outcomeCmi) return undefined;
  const version = await store.versionContent(database.pool, known.packageVersionId, database.pool);
  if (version?.manifest.scos.length !== 1 || version.manifest.scos[0].identifier !== input.sco) return undefined;
  let checked: { cmi: Cmi; problems: string[] };
  try {
    checked = checkCommit(version.scormVersion, input.cmi);
  } catch {
    return undefined; // the transactional path refuses it, after checking the attempt as it always has
  }
  const { problems } = checked;
  const cmi = input.terminated ? settleAtFinish(version.scormVersion, checked.cmi, 'normal', version.manifest.scos[0]) : checked.cmi;
  const elements = outcomeElements(version.scormVersion);
  const stored = known.outcomeCmi;
  const merged = { ...stored, ...pick(cmi, elements) };
  const outcome = attemptOutcome(version, () => merged, known.passMark);
  if (outcome.finished && input.final !== false) return undefined; // evidence is recorded in the transaction
  const expected: Cmi = {};
  const absent: string[] = [];
  for (const name of elements) {
    if (Object.hasOwn(cmi, name)) continue;
    if (Object.hasOwn(stored, name)) expected[name] = stored[name];
    else absent.push(name);
  }
  const written = await batcherFor(database).submit({
    attemptId,
    userId,
    packageVersionId: known.packageVersionId,
    passMark: known.passMark,
    sco: input.sco,
    sequence: input.sequence,
    base: input.base ?? null,
    cmi,
    sessionId: input.sessionId,
    sessionSeconds: secondsOf(cmi['cmi.core.session_time'] ?? cmi['cmi.session_time']),
    expected,
    absent,
    status: outcome.status,
    score: outcome.score,
  });
  if (written === undefined) return undefined;
  known.outcomeCmi = merged;
  return { accepted: true, outcome: { status: outcome.status, score: outcome.score, finished: false }, evidenceIds: [], revision: written, problems };
}

/**
 * Stores one commit of run-time data durably, works out what it means for
 * the attempt, and records course completion as evidence in the same
 * transaction the moment the attempt is finished. The common commit (a
 * one-SCO package, not finishing the attempt, on an attempt this process has
 * seen before) is one statement instead; anything else takes the transaction.
 */
export async function commitAttempt(
  deps: { database: Database; events: EventBus },
  userId: string,
  attemptId: string,
  input: CommitInput,
  notFound: () => Error,
): Promise<CommitResult> {
  const fast = await commitInOneStatement(deps.database, userId, attemptId, input);
  if (fast) return fast;
  let seen: KnownAttempt | undefined;
  const result = await deps.database.transaction(async (client) => {
    const attempt = await store.attemptForCommit(client, attemptId, userId);
    if (!attempt) throw notFound();
    // Read under the row lock, so a commit that raced the finishing one is refused too.
    if (attempt.completedAt) throw new AttemptFinished();
    const version = await store.versionContent(client, attempt.packageVersionId, deps.database.pool);
    if (!version) throw notFound();
    const sco = version.manifest.scos.find((s) => s.identifier === input.sco);
    if (!sco) throw notFound();
    const checked = checkCommit(version.scormVersion, input.cmi);
    const { problems } = checked;
    const cmi = input.terminated ? settleAtFinish(version.scormVersion, checked.cmi, 'normal', sco) : checked.cmi;
    const sessionSeconds = secondsOf(cmi['cmi.core.session_time'] ?? cmi['cmi.session_time']);
    const saved = await store.saveScoState(client, attempt.id, sco.identifier, input.sequence, cmi, input.sessionId, sessionSeconds, input.base ?? null);
    if (!saved.saved) return { accepted: false, reason: saved.reason, revision: saved.revision } as const;
    const states = saved.states;

    const passMark = attempt.passMark;
    const cmiOf = (identifier: string) => states.find((st) => st.scoIdentifier === identifier)?.cmi ?? {};
    const outcome = attemptOutcome(version, cmiOf, passMark);
    const { status, score } = outcome;
    // Only the end of a SCO's session finishes the attempt (a finished one was refused above).
    const finished = outcome.finished && input.final !== false;
    const timeSeconds = states.reduce((n, st) => n + Object.values(st.sessionSeconds).reduce((a, b) => a + Number(b), 0), 0);
    const updated = await store.updateAttemptOutcome(client, attempt.id, { status, score, timeSeconds, finished });
    let evidenceIds: string[] = [];
    if (finished && !attempt.evidenceRecordedAt && attempt.staffId) {
      evidenceIds = await recordCourseCompletion(client, deps.events, {
        staffId: attempt.staffId,
        courseId: attempt.courseId,
        achievedOn: londonToday(),
        source: 'elearning',
        sourceRef: attempt.id,
        recordedBy: null,
      });
      await store.markEvidenceRecorded(client, attempt.id);
    }
    seen = asKnown({ ...attempt, completedAt: updated.completedAt }, passMark, version, cmiOf);
    const items =
      version.manifest.scos.length > 1
        ? Object.fromEntries(version.manifest.scos.map((s) => [s.identifier, scoStatus(version.scormVersion, cmiOf(s.identifier), passMark, s.masteryScore)]))
        : undefined;
    return {
      accepted: true,
      outcome: { status: updated.status, score: updated.score, finished: !!updated.completedAt },
      evidenceIds,
      revision: saved.revision,
      problems,
      ...(items ? { items, locked: lockedScos(version.manifest, (id) => items[id] ?? 'not attempted') } : {}),
    } as const;
  });
  // Only once the transaction has committed: what is remembered was stored.
  if (seen) remember(deps.database, attemptId, seen);
  return result;
}
