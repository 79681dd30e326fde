import { createHash, randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { PoolClient } from 'pg';
import type { Config } from '../../server/config';
import type { Database } from '../../server/db';
import type { EventBus } from '../../server/events';
import { recordCourseCompletion } from '../evidence/api';
import { londonToday } from '../../server/london';
import { extractPackage, normalise, PackageRefused, readPackageZip, unsafePathReason } from '../scorm/api';
import { type CourseStructure, parseCourseStructure, type StructureAu } from './course-structure';
import { allSatisfied, auSatisfied } from './move-on';
import {
  type Actor,
  type Accepted,
  CMI5_CATEGORY,
  checkStatement,
  EXT,
  type LaunchFacts,
  type LaunchMode,
  MOVE_ON_CATEGORY,
  StatementRefused,
  VERB,
} from './statements';
import * as store from './store';
import { UsageError } from '../../server/errors';
import { createDraftElearningCourse } from '../courses/api';

type Deps = { config: Pick<Config, 'scormDir' | 'scormMaxUploadBytes' | 'scormMaxFiles' | 'publicUrl'>; database: Database };

const MAX_XML_BYTES = 5 * 1024 * 1024;

/** Where a cmi5 package version's files live, beside SCORM's. */
export function versionDir(config: Pick<Config, 'scormDir'>, versionId: string): string {
  return path.join(config.scormDir, 'cmi5', versionId);
}

export const hash = (s: string) => createHash('sha256').update(s).digest('hex');

const ABSOLUTE = /^[a-z][a-z0-9+.-]*:/i;

/** The path part of a relative AU url, which must be a file in the zip. */
function fileOf(url: string): string {
  return url.split(/[?#]/)[0];
}

/** Refuses an AU url that cannot be played here: only http(s) outside, only files of the zip inside. */
function checkUrl(au: StructureAu, files: Set<string> | null): void {
  if (ABSOLUTE.test(au.url)) {
    let u: URL;
    try {
      u = new URL(au.url);
    } catch {
      throw new PackageRefused(`cmi5.xml: the AU "${au.title}" has the address "${au.url}", which is not a valid URL.`);
    }
    if (u.protocol !== 'https:' && u.protocol !== 'http:')
      throw new PackageRefused(`cmi5.xml: the AU "${au.title}" launches "${au.url}"; only http and https addresses can be played.`);
    if (u.username || u.password) throw new PackageRefused(`cmi5.xml: the AU "${au.title}" has a user name or password in its address; it was refused.`);
    return;
  }
  if (!files)
    throw new PackageRefused(
      `cmi5.xml: the AU "${au.title}" has the relative address "${au.url}"; a cmi5.xml uploaded without a zip must give every AU a full address (https://...).`,
    );
  let file: string;
  try {
    file = decodeURIComponent(fileOf(au.url));
  } catch {
    throw new PackageRefused(`cmi5.xml: the address of the AU "${au.title}" (${au.url}) cannot be decoded.`);
  }
  if (unsafePathReason(file) || !files.has(normalise(file)))
    throw new PackageRefused(`cmi5.xml: the launch file of the AU "${au.title}" (${au.url}) is not in the package.`);
}

export interface ImportResult {
  packageVersionId: string;
  version: number;
  courseId: string;
  courseSlug: string;
  structure: CourseStructure;
}

function isZip(file: string): boolean {
  const fd = fs.openSync(file, 'r');
  try {
    const head = Buffer.alloc(4);
    fs.readSync(fd, head, 0, 4, 0);
    return head.readUInt32LE(0) === 0x04034b50 || head.readUInt32LE(0) === 0x06054b50;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Imports a cmi5 course package: a zip with cmi5.xml at its top, or a
 * cmi5.xml alone whose AUs all live at outside addresses. Checked first,
 * then recorded and unpacked in one transaction; a refused package leaves
 * nothing behind. A course structure id a course already plays becomes that
 * course's new version; otherwise a new draft course.
 */
export async function importCmi5(deps: Deps, file: string, options: { courseSlug?: string; importedBy?: string | null } = {}): Promise<ImportResult> {
  const limits = { maxBytes: deps.config.scormMaxUploadBytes, maxFiles: deps.config.scormMaxFiles };
  let structure: CourseStructure;
  let files: Set<string> | null = null;
  let declaredBytes = 0;
  if (isZip(file)) {
    const read = await readPackageZip(file, limits, 'cmi5.xml', 'cmi5');
    structure = parseCourseStructure(read.manifestXml);
    files = read.files;
    declaredBytes = read.declaredBytes;
  } else {
    if (fs.statSync(file).size > MAX_XML_BYTES) throw new PackageRefused('The file is neither a zip nor a cmi5.xml of under 5 MB.');
    const text = fs.readFileSync(file, 'utf8');
    if (!/^\s*(\uFEFF)?\s*</.test(text)) throw new PackageRefused('The file is neither a zip nor a cmi5.xml. Choose the cmi5 package (.zip) or its cmi5.xml.');
    structure = parseCourseStructure(text);
  }
  for (const au of structure.aus) checkUrl(au, files);
  let extractedTo: string | undefined;
  try {
    return await deps.database.transaction(async (client) => {
      let course: { id: string; slug: string } | undefined;
      if (options.courseSlug) {
        const { rows } = await client.query<{ id: string; slug: string }>('select id, slug from course_catalogue where slug = $1', [options.courseSlug]);
        if (!rows[0]) throw new UsageError(`There is no course with the slug "${options.courseSlug}".`);
        course = rows[0];
      } else {
        const known = await store.coursesWithIdentifier(client, structure.id);
        if (known.length === 1) course = known[0];
        else if (known.length > 1) throw new UsageError(`More than one course plays the cmi5 course "${structure.id}": choose which.`);
      }
      course ??= await createDraftElearningCourse(client, structure.title, structure.description);
      const pkg = await store.lockPackage(client, structure.id, course.id);
      const versionId = await store.insertVersion(client, {
        packageId: pkg.id,
        version: pkg.nextVersion,
        structure,
        hasFiles: !!files,
        fileCount: files?.size ?? 0,
        totalBytes: declaredBytes,
        importedBy: options.importedBy ?? null,
      });
      if (files) {
        const dir = versionDir(deps.config, versionId);
        await extractPackage(file, dir, limits);
        extractedTo = dir;
      }
      return { packageVersionId: versionId, version: pkg.nextVersion, courseId: course.id, courseSlug: course.slug, structure };
    });
  } catch (err) {
    if (extractedTo) fs.rmSync(extractedTo, { recursive: true, force: true });
    throw err;
  }
}

/** The learner as cmi5 statements name them: an account on this service, never their email address. */
export function actorFor(config: Pick<Config, 'publicUrl'>, userId: string): Actor {
  return { objectType: 'Agent', account: { homePage: config.publicUrl, name: userId } };
}

/** The activityId the LMS gives an AU: its own IRI, never the publisher's, the same in every registration. */
export function auActivityId(config: Pick<Config, 'publicUrl'>, courseId: string, auId: string): string {
  return `${config.publicUrl}/cmi5/courses/${courseId}/au/${hash(auId).slice(0, 32)}`;
}

function courseActivityId(config: Pick<Config, 'publicUrl'>, courseId: string): string {
  return `${config.publicUrl}/cmi5/courses/${courseId}`;
}

function blockActivityId(config: Pick<Config, 'publicUrl'>, courseId: string, blockId: string): string {
  return `${config.publicUrl}/cmi5/courses/${courseId}/block/${hash(blockId).slice(0, 32)}`;
}

/** Everything a launched session's requests need, read once per request. */
export interface LaunchContext {
  session: store.Session;
  registration: store.Registration;
  version: store.Version;
  au: StructureAu;
  facts: LaunchFacts;
}

function factsFor(config: Pick<Config, 'publicUrl'>, registration: store.Registration, courseId: string, au: StructureAu, session: store.Session): LaunchFacts {
  return {
    actor: actorFor(config, registration.userId),
    registration: registration.id,
    activityId: auActivityId(config, courseId, au.id),
    publisherId: au.id,
    sessionId: session.id,
    launchMode: session.launchMode,
    masteryScore: au.masteryScore,
    moveOn: au.moveOn,
  };
}

export async function launchContext(deps: Deps, db: PoolClient | Database['pool'], sessionId: string): Promise<LaunchContext | undefined> {
  const session = await store.getSession(db, sessionId);
  if (!session) return undefined;
  const registration = await store.getRegistration(db, session.registrationId);
  if (!registration) return undefined;
  const version = await store.getVersion(db, registration.packageVersionId);
  const au = version?.structure.aus.find((a) => a.id === session.auId);
  if (!version || !au) return undefined;
  return { session, registration, version, au, facts: factsFor(deps.config, registration, registration.courseId, au, session) };
}

/** The LMS.LaunchData document (section 10) of a session. */
export function launchData(ctx: LaunchContext): Record<string, unknown> {
  return {
    contextTemplate: {
      contextActivities: { grouping: [{ id: ctx.au.id, objectType: 'Activity' }] },
      extensions: { [EXT.sessionId]: ctx.session.id },
    },
    launchMode: ctx.session.launchMode,
    moveOn: ctx.au.moveOn,
    ...(ctx.session.returnUrl ? { returnURL: ctx.session.returnUrl } : {}),
    ...(ctx.au.masteryScore !== null ? { masteryScore: ctx.au.masteryScore } : {}),
    ...(ctx.au.launchParameters ? { launchParameters: ctx.au.launchParameters } : {}),
    ...(ctx.au.entitlementKey ? { entitlementKey: { courseStructure: ctx.au.entitlementKey } } : {}),
  };
}

/** A statement the LMS itself records (launched, abandoned, satisfied). */
function lmsStatement(
  facts: LaunchFacts,
  verb: string,
  object: { id: string; type?: string },
  extra: { result?: Record<string, unknown>; extensions?: Record<string, unknown>; moveOn?: boolean } = {},
) {
  return {
    id: randomUUID(),
    actor: facts.actor,
    verb: { id: verb, display: { en: verb.split('/').pop() } },
    object: { objectType: 'Activity', id: object.id, ...(object.type ? { definition: { type: object.type } } : {}) },
    ...(extra.result ? { result: extra.result } : {}),
    context: {
      registration: facts.registration,
      contextActivities: {
        grouping: [{ id: facts.publisherId, objectType: 'Activity' }],
        category: [{ id: CMI5_CATEGORY, objectType: 'Activity' }, ...(extra.moveOn ? [{ id: MOVE_ON_CATEGORY, objectType: 'Activity' }] : [])],
      },
      extensions: { [EXT.sessionId]: facts.sessionId, ...extra.extensions },
    },
    timestamp: new Date().toISOString(),
    stored: new Date().toISOString(),
    authority: { objectType: 'Agent', name: 'Learning management system', account: { homePage: facts.actor.account.homePage, name: 'lms' } },
    version: '1.0.3',
  };
}

function isoDuration(ms: number): string {
  return `PT${Math.max(0, Math.round(ms / 10) / 100)}S`;
}

/** Sessions left open (no terminated) are abandoned by the LMS, with the time they ran. */
async function abandonOpenSessions(deps: Deps, client: PoolClient, registration: store.Registration, courseId: string, version: store.Version): Promise<void> {
  for (const open of await store.openSessions(client, registration.id)) {
    const au = version.structure.aus.find((a) => a.id === open.auId);
    if (!au) continue;
    const facts = factsFor(deps.config, registration, courseId, au, open);
    const started = open.initializedAt ?? open.launchedAt;
    const last = open.lastStatementAt ?? started;
    const statement = lmsStatement(facts, VERB.abandoned, { id: facts.activityId }, { result: { duration: isoDuration(last.getTime() - started.getTime()) } });
    await store.insertStatement(client, { id: statement.id, registrationId: registration.id, sessionId: open.id, verb: VERB.abandoned, statement });
    await store.updateSession(client, { ...open, abandonedAt: new Date() });
  }
}

export interface Launch {
  session: store.Session;
  registration: store.Registration;
  au: StructureAu;
  /** The secret part of the fetch URL; only its hash is stored. */
  fetchKey: string;
  activityId: string;
  actor: Actor;
}

/**
 * Launches an AU for a learner (section 8): abandons any session of the
 * registration left open, opens a new one (Normal, or Review once the course
 * is satisfied), records the "launched" statement, and returns what the
 * launch URL carries. The registration is the learner's latest for the
 * course, or a new one on the course's current package version.
 */
export async function launchAu(
  deps: Deps & { events: EventBus },
  learner: { userId: string; staffId: string | null },
  courseId: string,
  auIndex: number,
): Promise<Launch | undefined> {
  return deps.database.transaction(async (client) => {
    let registration = await store.latestRegistration(client, learner.userId, courseId);
    if (!registration) {
      const current = await store.currentVersionForCourse(client, courseId);
      if (!current) return undefined;
      registration = await store.createRegistration(client, { userId: learner.userId, staffId: learner.staffId, courseId, packageVersionId: current.id });
    }
    registration = (await store.lockRegistration(client, registration.id)) ?? registration;
    const version = await store.getVersion(client, registration.packageVersionId);
    const au = version?.structure.aus[auIndex];
    if (!version || !au) return undefined;
    await abandonOpenSessions(deps, client, registration, courseId, version);
    const fetchKey = randomBytes(24).toString('base64url');
    const launchMode: LaunchMode = registration.satisfiedAt ? 'Review' : 'Normal';
    const session = await store.createSession(client, { registrationId: registration.id, auId: au.id, launchMode, fetchKeyHash: hash(fetchKey) });
    const facts = factsFor(deps.config, registration, courseId, au, session);
    const launched = lmsStatement(
      facts,
      VERB.launched,
      { id: facts.activityId },
      {
        extensions: {
          [EXT.launchMode]: launchMode,
          [EXT.launchUrl]: au.url,
          [EXT.moveOn]: au.moveOn,
          ...(au.masteryScore !== null ? { [EXT.masteryScore]: au.masteryScore } : {}),
          ...(au.launchParameters ? { [EXT.launchParameters]: au.launchParameters } : {}),
        },
      },
    );
    await store.insertStatement(client, { id: launched.id, registrationId: registration.id, sessionId: session.id, verb: VERB.launched, statement: launched });
    // An AU whose moveOn is NotApplicable is satisfied already: a course of only such AUs is done at its first launch.
    if (!registration.satisfiedAt && launchMode === 'Normal') await settle(deps, client, registration, version, facts);
    return { session, registration, au, fetchKey, activityId: facts.activityId, actor: facts.actor };
  });
}

/**
 * After what a session recorded: which AUs, blocks and the course are now
 * satisfied (moveOn), the "satisfied" statements the LMS owes for blocks and
 * the course (once per registration), the registration's status, and, the
 * moment the course is satisfied, its completion as evidence, in the same
 * transaction, exactly as a finished SCORM attempt records it.
 */
async function settle(
  deps: Deps & { events: EventBus },
  client: PoolClient,
  registration: store.Registration,
  version: store.Version,
  facts: LaunchFacts,
): Promise<void> {
  const states = await store.auStates(client, registration.id);
  const recordOf = (auId: string) => {
    const s = states.find((st) => st.auId === auId);
    return { completed: !!s?.completedAt, passed: !!s?.passedAt };
  };
  const aus = version.structure.aus.map((a) => ({ au: a, moveOn: a.moveOn, record: recordOf(a.id) }));
  for (const a of aus) {
    const state = states.find((st) => st.auId === a.au.id);
    if (auSatisfied(a.moveOn, a.record) && !state?.satisfiedAt) await store.markAuSatisfied(client, registration.id, a.au.id);
  }
  const { rows: already } = await client.query<{ object: string }>(
    `select statement->'object'->>'id' as object from cmi5_statements where registration_id = $1 and verb = $2`,
    [registration.id, VERB.satisfied],
  );
  const issued = new Set(already.map((r) => r.object));
  const satisfy = async (objectId: string, type: string) => {
    if (issued.has(objectId)) return;
    const statement = lmsStatement(facts, VERB.satisfied, { id: objectId, type });
    await store.insertStatement(client, { id: statement.id, registrationId: registration.id, sessionId: facts.sessionId, verb: VERB.satisfied, statement });
  };
  for (const block of version.structure.blocks) {
    if (allSatisfied(aus.filter((a) => block.auIds.includes(a.au.id))))
      await satisfy(blockActivityId(deps.config, registration.courseId, block.id), 'https://w3id.org/xapi/cmi5/activitytype/block');
  }
  const courseDone = allSatisfied(aus);
  if (courseDone) await satisfy(courseActivityId(deps.config, registration.courseId), 'https://w3id.org/xapi/cmi5/activitytype/course');
  // The registration's status, in the words SCORM attempts use.
  const anyPassed = aus.some((a) => a.record.passed);
  const failedUnmet = aus.some((a) => {
    const s = states.find((st) => st.auId === a.au.id);
    return !!s?.failedAt && !auSatisfied(a.moveOn, a.record);
  });
  const started =
    states.length > 0 ||
    (await client.query('select 1 from cmi5_sessions where registration_id = $1 and initialized_at is not null limit 1', [registration.id])).rows.length > 0;
  const status: store.Registration['status'] = courseDone
    ? anyPassed
      ? 'passed'
      : 'completed'
    : failedUnmet
      ? 'failed'
      : started
        ? 'incomplete'
        : 'not attempted';
  const scores = states.map((s) => s.score).filter((s): s is number => s !== null);
  // As a percentage, as SCORM attempts keep theirs.
  const score = scores.length ? Math.round((scores.reduce((a, b) => a + b, 0) / scores.length) * 10000) / 100 : null;
  await store.updateRegistration(client, registration.id, { status, score, satisfied: courseDone });
  if (courseDone && !registration.evidenceRecordedAt && registration.staffId) {
    await recordCourseCompletion(client, deps.events, {
      staffId: registration.staffId,
      courseId: registration.courseId,
      achievedOn: londonToday(),
      source: 'elearning',
      sourceRef: registration.id,
      recordedBy: null,
    });
    await store.markEvidenceRecorded(client, registration.id);
  }
}

/** The full statement as stored: the LRS adds id, timestamp, stored, authority and version. */
function completed(statement: Record<string, unknown>, facts: LaunchFacts): Record<string, unknown> {
  const now = new Date().toISOString();
  return {
    ...statement,
    id: (statement.id as string | undefined) ?? randomUUID(),
    timestamp: statement.timestamp ?? now,
    stored: now,
    authority: { objectType: 'Agent', name: 'cmi5 launch', account: { homePage: facts.actor.account.homePage, name: `session:${facts.sessionId}` } },
    version: '1.0.3',
  };
}

/** JSON with every object's keys in order: the database gives a stored statement's keys back in its own order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Whether a statement sent again is the one recorded (xAPI compares them without what the LRS added). */
function sameStatement(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const strip = (s: Record<string, unknown>) => canonical({ ...s, stored: undefined, authority: undefined, version: undefined, timestamp: undefined });
  return strip(a) === strip(b);
}

/**
 * Records statements an AU sent in one request, all or none: each is
 * checked against cmi5's rules in order, as if the ones before it were
 * recorded. Returns their ids. A statement id already recorded with the same
 * content is accepted again and recorded once (xAPI); with other content, 409.
 */
export async function recordStatements(deps: Deps & { events: EventBus }, sessionId: string, statements: unknown[], forcedId?: string): Promise<string[]> {
  return deps.database.transaction(async (client) => {
    // The registration, then the session: the order a launch takes them in, so the two never wait on each other.
    const unlocked = await store.getSession(client, sessionId);
    const registration = unlocked ? await store.lockRegistration(client, unlocked.registrationId) : undefined;
    const session = registration ? await store.lockSession(client, sessionId) : undefined;
    const ctx = session ? await launchContext(deps, client, session.id) : undefined;
    if (!registration || !session || !ctx) throw new StatementRefused(403, 'This launch has no session.');
    const registrationVerbs = await store.registrationVerbs(client, registration.id, session.auId);
    const current = { ...session, verbs: [...session.verbs] };
    const ids: string[] = [];
    let changed = false;
    for (const raw of statements) {
      if (
        forcedId !== undefined &&
        typeof raw === 'object' &&
        raw !== null &&
        (raw as { id?: unknown }).id !== undefined &&
        (raw as { id?: unknown }).id !== forcedId
      ) {
        throw new StatementRefused(400, 'The statement id in the body differs from statementId in the address.');
      }
      const withId = forcedId !== undefined && typeof raw === 'object' && raw !== null ? { ...(raw as object), id: forcedId } : raw;
      const id = typeof withId === 'object' && withId !== null ? (withId as { id?: unknown }).id : undefined;
      if (typeof id === 'string') {
        const existing = await store.statementById(client, id);
        if (existing) {
          if (existing.registrationId === registration.id && sameStatement(existing.statement, completed(withId as Record<string, unknown>, ctx.facts))) {
            ids.push(id);
            continue;
          }
          throw new StatementRefused(409, `A different statement with the id ${id} is already recorded.`);
        }
      }
      const soFar = {
        sessionVerbs: new Set(current.verbs),
        initialized: !!current.initializedAt,
        ended: current.terminatedAt ? ('terminated' as const) : current.abandonedAt ? ('abandoned' as const) : null,
        registrationVerbs,
      };
      const accepted: Accepted = checkStatement(withId, ctx.facts, soFar);
      const full = completed(withId as Record<string, unknown>, ctx.facts);
      if (ids.includes(full.id as string)) throw new StatementRefused(400, 'Two statements in one request have the same id.');
      await store.insertStatement(client, {
        id: full.id as string,
        registrationId: registration.id,
        sessionId: session.id,
        verb: accepted.verb,
        statement: full,
      });
      ids.push(full.id as string);
      const now = new Date();
      current.lastStatementAt = now;
      if (accepted.cmi5Defined) {
        current.verbs.push(accepted.verb);
        registrationVerbs.add(accepted.verb);
        if (accepted.verb === VERB.initialized) current.initializedAt = now;
        if (accepted.verb === VERB.terminated) current.terminatedAt = now;
        const verb =
          accepted.verb === VERB.completed ? 'completed' : accepted.verb === VERB.passed ? 'passed' : accepted.verb === VERB.failed ? 'failed' : undefined;
        if (verb || accepted.progress !== null) {
          await store.recordAu(client, registration.id, session.auId, { verb, progress: accepted.progress, score: accepted.scaled });
          changed = true;
        }
      } else if (accepted.progress !== null) {
        await store.recordAu(client, registration.id, session.auId, { progress: accepted.progress });
      }
      if (accepted.verb === VERB.initialized) changed = true;
    }
    await store.updateSession(client, current);
    if (changed && session.launchMode === 'Normal') await settle(deps, client, registration, ctx.version, ctx.facts);
    return ids;
  });
}
