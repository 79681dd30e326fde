import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../../server/config';
import type { Database } from '../../server/db';
import type { EventBus } from '../../server/events';
import { recordCourseCompletion } from '../evidence/record';
import { type Cmi, outcomeOf, secondsOf, validateCommit } from './cmi';
import { extractPackage, inspectPackage } from './importer';
import type { ParsedManifest } from './manifest';
import * as store from './store';

export interface ImportResult {
  packageVersionId: string;
  packageId: string;
  version: number;
  courseId: string;
  courseSlug: string;
  manifest: ParsedManifest;
}

function slugify(title: string): string {
  return (
    title
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 60)
      .replace(/-+$/, '') || 'elearning'
  );
}

/** Where a package version's files live. */
export function versionDir(config: Pick<Config, 'scormDir'>, versionId: string): string {
  return path.join(config.scormDir, 'content', versionId);
}

/**
 * Imports a SCORM zip: checks everything first, then, in one transaction,
 * records the new version and unpacks it into place. A refused package
 * leaves no row and no file behind.
 */
export async function importPackage(
  deps: { config: Pick<Config, 'scormDir' | 'scormMaxUploadBytes' | 'scormMaxFiles'>; database: Database },
  file: string,
  options: { courseSlug?: string; importedBy?: string | null } = {},
): Promise<ImportResult> {
  const limits = { maxBytes: deps.config.scormMaxUploadBytes, maxFiles: deps.config.scormMaxFiles };
  const checked = await inspectPackage(file, limits);
  const { manifest } = checked;
  let extractedTo: string | undefined;
  try {
    return await deps.database.transaction(async (client) => {
      const pkg = await store.lockPackage(client, manifest.identifier);
      let course: { id: string; slug: string } | undefined;
      if (options.courseSlug) {
        const { rows } = await client.query<{ id: string; slug: string }>('select id, slug from courses where slug = $1', [options.courseSlug]);
        if (!rows[0]) throw Object.assign(new Error(`There is no course with the slug "${options.courseSlug}".`), { name: 'UsageError' });
        course = rows[0];
      } else if (pkg.courseId) {
        const { rows } = await client.query<{ id: string; slug: string }>('select id, slug from courses where id = $1', [pkg.courseId]);
        course = rows[0];
      }
      if (!course) {
        // A new module becomes a draft course; an administrator completes its details before publishing.
        let slug = slugify(manifest.title);
        const { rows: taken } = await client.query('select 1 from courses where slug = $1', [slug]);
        if (taken.length) slug = `${slug}-${pkg.nextVersion}-${Date.now().toString(36)}`;
        const { rows } = await client.query<{ id: string; slug: string }>(
          `insert into courses (slug, title, delivery, status) values ($1, $2, 'elearning', 'draft') returning id, slug`,
          [slug, manifest.title.slice(0, 300)],
        );
        course = rows[0];
      }
      if (pkg.courseId !== course.id) await store.linkPackageToCourse(client, pkg.id, course.id);
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
  sequence: number;
  sessionId: string;
  cmi: unknown;
}

export type CommitResult = { accepted: true; attempt: store.Attempt; evidenceIds: string[] } | { accepted: false; reason: 'stale' };

/** 'YYYY-MM-DD' of now in Europe/London: the day the learner finished. */
export function londonToday(now = new Date()): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
}

/**
 * Stores one commit of run-time data durably, works out what it means for
 * the attempt, and records course completion as evidence in the same
 * transaction the moment the attempt is finished.
 */
export async function commitAttempt(
  deps: { database: Database; events: EventBus },
  userId: string,
  attemptId: string,
  input: CommitInput,
  notFound: () => Error,
): Promise<CommitResult> {
  return deps.database.transaction(async (client) => {
    const attempt = await store.attemptForCommit(client, attemptId, userId);
    if (!attempt) throw notFound();
    const version = await store.versionContent(client, attempt.packageVersionId);
    if (!version) throw notFound();
    const sco = version.manifest.scos.find((s) => s.identifier === input.sco);
    if (!sco) throw notFound();
    const cmi: Cmi = validateCommit(version.scormVersion, input.cmi);
    const sessionSeconds = secondsOf(cmi['cmi.core.session_time'] ?? cmi['cmi.session_time']);
    const states = await store.saveScoState(client, attempt.id, sco.identifier, input.sequence, cmi, input.sessionId, sessionSeconds);
    if (!states) return { accepted: false, reason: 'stale' } as const;

    const passMark = attempt.passMark;
    const launchable = version.manifest.scos.filter((s) => s.kind === 'sco');
    const outcomes = (launchable.length ? launchable : version.manifest.scos).map((s) => {
      const state = states.find((st) => st.scoIdentifier === s.identifier);
      return outcomeOf(version.scormVersion, state?.cmi ?? {}, passMark, s.masteryScore);
    });
    const finished = outcomes.every((o) => o.finished);
    const scores = outcomes.map((o) => o.score).filter((s): s is number => s !== null);
    const status =
      outcomes.length === 1 ? outcomes[0].status : finished ? (outcomes.some((o) => o.status === 'passed') ? 'passed' : 'completed') : outcomes.some((o) => o.status === 'failed') ? 'failed' : outcomes.some((o) => o.status !== 'not attempted') ? 'incomplete' : 'not attempted';
    const timeSeconds = states.reduce((n, st) => n + Object.values(st.sessionSeconds).reduce((a, b) => a + Number(b), 0), 0);
    const updated = await store.updateAttemptOutcome(client, attempt.id, {
      status,
      score: scores.length ? Math.round((scores.reduce((a, b) => a + b, 0) / scores.length) * 100) / 100 : null,
      timeSeconds,
      finished,
    });
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
    return { accepted: true, attempt: updated, evidenceIds } as const;
  });
}
