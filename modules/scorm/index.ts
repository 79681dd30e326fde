import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import express, { type Request, type RequestHandler, type Response } from 'express';
import rateLimit from 'express-rate-limit';
import { allow, asksForJson, type Caller, caller, can, may, trainingScope } from '../../server/access';
import { checkUploadToken } from '../../server/auth/csrf';
import { completeRegistration, REGISTRATION_LINK_HOURS, registrationForToken, startRegistration } from '../../server/auth/email-proof';
import { passwordProblem } from '../../server/auth/passwords';
import { audit, hashPassword, normaliseEmail } from '../../server/auth/users';
import { readFlags } from '../../server/cli-args';
import { HttpError, NotFoundError, UsageError } from '../../server/errors';
import { defineModule, type ModuleContext } from '../../server/module';
import { packageDir } from '../../server/paths';
import { type Course, courseBySlug, isPublicMember } from '../courses/api';
import { CmiProblem, formatDuration, lengthLimits, startingCmi } from './cmi';
import { type CommitTokens, commitTokenLifetimeMs, commitTokens } from './commit-token';
import { capabilities, contentOriginFor, isContentRequest, type LastWords, playerCsp, serveContent } from './content-site';
import { contentsRows, type ItemStatus, STATUS_LABELS } from './contents';
import { checkElearningLicence } from './licence';
import { PackageRefused } from './manifest';
import { AttemptFinished, commitAttempt, importPackage, rememberOpenedAttempt, SharedIdentifier, scoStatus } from './service';
import * as store from './store';
import { receiveUpload } from './upload';

const SCORM_AGAIN = packageDir('scorm-again', 'dist/scorm-again.min.js');

function formatSeconds(seconds: number): string {
  return formatDuration(seconds);
}

function statusLabel(status: store.Attempt['status']): string {
  return STATUS_LABELS[status];
}

/** GOV.UK tag colour of an attempt's status: a result of "not passed" is a warning, never the green of a finish. */
function statusTag(a: Pick<store.Attempt, 'status' | 'completedAt'>): string {
  if (a.status === 'failed') return 'govuk-tag--orange';
  return a.completedAt ? 'govuk-tag--green' : 'govuk-tag--blue';
}

function attemptView(a: store.Attempt) {
  return { ...a, statusLabel: statusLabel(a.status), statusTag: statusTag(a), time: formatSeconds(a.timeSeconds), finished: !!a.completedAt };
}

/** Where the player commits: the attempt id is the one part that varies. */
const COMMIT_PATH = /^\/scorm\/attempts\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/commit$/i;

function tokensFor(ctx: ModuleContext): CommitTokens {
  return commitTokens(ctx.config.sessionSecret, commitTokenLifetimeMs(ctx.config.sessionIdleMinutes));
}

/**
 * A commit's answer, written straight out: Express's res.json also hashes the
 * body for an ETag, which a POST answered every few seconds never uses.
 */
function sendJson(res: Response, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

type CommitOutcome = 'stored' | 'stale' | 'behind' | 'finished' | 'refused' | 'malformed';

/** Commits by outcome on /metrics: a rise in "behind" or "refused" is learners losing progress or content misbehaving. */
function countCommit(ctx: ModuleContext, outcome: CommitOutcome): void {
  ctx.metrics
    .counter({
      name: 'lms_scorm_commits_total',
      help: 'SCORM commits from the player, by outcome: stored; stale (an older commit arriving late); behind (another tab saved newer progress); finished (the attempt had ended); refused (data breaking the SCORM rules); malformed',
      labelNames: ['outcome'] as const,
    })
    .inc({ outcome });
}

/** Thrown inside a token-signed commit that found nothing to write to, so the session route answers instead. */
class PassToSession extends Error {}

/**
 * Reads a commit from the player (JSON, or the page-close beacon's form with
 * a `payload` field), stores it for `userId` and answers as scorm-again
 * expects. A session-signed commit is answered with a fresh commit token.
 * False when a token-signed commit found nothing to write to.
 */
async function answerCommit(
  ctx: ModuleContext,
  req: Request,
  res: Response,
  attemptId: string,
  userId: string,
  notFound: () => Error,
  freshToken?: string,
): Promise<boolean> {
  let body: unknown = req.body;
  if (body && typeof (body as { payload?: unknown }).payload === 'string') {
    try {
      body = JSON.parse((body as { payload: string }).payload);
    } catch {
      throw new HttpError(400, 'The payload is not valid JSON.');
    }
  }
  const b = (body ?? {}) as { sco?: unknown; sequence?: unknown; sessionId?: unknown; cmi?: unknown; base?: unknown; final?: unknown; terminated?: unknown };
  if (typeof b.sco !== 'string' || typeof b.sequence !== 'number' || !Number.isSafeInteger(b.sequence) || b.sequence < 0) {
    countCommit(ctx, 'malformed');
    throw new HttpError(400, 'A commit needs sco (string), sequence (a whole number that increases with every commit) and cmi.');
  }
  const sessionId = typeof b.sessionId === 'string' && /^[\w-]{1,64}$/.test(b.sessionId) ? b.sessionId : 'default';
  const renewal = freshToken ? { commitToken: freshToken } : {};
  const base = typeof b.base === 'number' && Number.isSafeInteger(b.base) && b.base >= 0 ? b.base : null;
  const final = typeof b.final === 'boolean' ? b.final : undefined;
  try {
    const result = await commitAttempt(
      ctx,
      userId,
      attemptId,
      { sco: b.sco, sequence: b.sequence, sessionId, cmi: b.cmi, base, final, terminated: b.terminated === true },
      notFound,
    );
    countCommit(ctx, result.accepted ? 'stored' : result.reason === 'behind' ? 'behind' : 'stale');
    if (!result.accepted && result.reason === 'behind') {
      // Another page of this attempt stored progress this page has not seen: say so rather than overwrite it or drop this quietly.
      const message =
        'This course is open in another tab or window, which has saved progress this page has not seen. Reload this page to carry on from the latest progress.';
      sendJson(res, 409, {
        result: 'false',
        errorCode: 101,
        stored: false,
        reason: 'behind',
        revision: result.revision,
        error: { status: 409, message },
        ...renewal,
      });
    } else if (!result.accepted) sendJson(res, 200, { result: 'true', errorCode: 0, stored: false, reason: 'stale', revision: result.revision, ...renewal });
    else {
      const { outcome, revision, problems, items, locked } = result;
      sendJson(res, 200, {
        result: 'true',
        errorCode: 0,
        stored: true,
        ...outcome,
        revision,
        ...(problems.length ? { problems } : {}),
        ...(items ? { items, locked } : {}),
        ...renewal,
      });
    }
    return true;
  } catch (err) {
    if (err instanceof PassToSession) return false;
    if (err instanceof AttemptFinished) {
      countCommit(ctx, 'finished');
      // No fresh commit token either: nothing more is stored for this attempt.
      sendJson(res, 409, { result: 'false', errorCode: 101, stored: false, reason: 'finished', error: { status: 409, message: err.message } });
      return true;
    }
    if (err instanceof CmiProblem) {
      countCommit(ctx, 'refused');
      sendJson(res, 422, { result: 'false', errorCode: 351, error: { status: 422, message: err.message, details: { problems: err.problems } } });
      return true;
    }
    throw err;
  }
}

/** Registrations from one network address in an hour (a library or college shares one). */
export const REGISTRATIONS_PER_IP_PER_HOUR = 20;

export default defineModule({
  name: 'scorm',
  dependsOn: ['courses', 'staff', 'evidence', 'organisations'],
  nav: [
    { label: 'My learning', href: '/my-learning', roles: ['learner'], order: 11 },
    {
      label: 'E-learning packages',
      href: '/scorm/packages',
      roles: can.manageCourses,
      order: 60,
      hub: { topic: 'learning', description: 'Upload SCORM e-learning and new versions of it, and see its reports' },
    },
  ],
  uploads: [/^\/scorm\/packages$/],
  cli: {
    'scorm:import': {
      summary: 'Import a SCORM 1.2 or 2004 zip (a new version if the package is known)',
      usage: 'npm run cli -- scorm:import FILE [--course SLUG]',
      async run(ctx, args) {
        const usage = 'npm run cli -- scorm:import FILE [--course SLUG]';
        const { values, positionals } = readFlags(args, { course: { type: 'string' } }, usage, { positionals: 1 });
        const [file] = positionals;
        const courseSlug = values.course;
        if (!file) throw new UsageError(`Give the zip file to import.\nUsage: ${usage}`);
        if (courseSlug === '') throw new UsageError(`--course needs a course slug.\nUsage: ${usage}`);
        if (!fs.existsSync(file)) throw new UsageError(`No file at ${file}.`);
        try {
          const result = await importPackage(ctx, path.resolve(file), { courseSlug });
          console.log(
            `Imported "${result.manifest.title}" (SCORM ${result.manifest.scormVersion}, ${result.manifest.scos.length} SCO${result.manifest.scos.length === 1 ? '' : 's'}) as version ${result.version} of ${result.manifest.identifier}, course "${result.courseSlug}".`,
          );
        } catch (err) {
          if (err instanceof PackageRefused) throw new UsageError(`Refused: ${err.message}`);
          throw err;
        }
      },
    },
  },
  // Loaded only when the demo is seeded: it builds its package with the zip writer, which nothing else at start needs.
  seedDemo: (ctx) => (require('./demo') as typeof import('./demo')).seedDemoScorm(ctx),
  routesBeforeSession(ctx: ModuleContext): RequestHandler {
    const tokens = tokensFor(ctx);
    const signer = capabilities(ctx.config.sessionSecret);
    const lastWords: LastWords = async (cap, body) => {
      const b = (body ?? {}) as { sco?: unknown; sequence?: unknown; sessionId?: unknown; cmi?: unknown; base?: unknown; terminated?: unknown };
      if (typeof b.sco !== 'string' || typeof b.sequence !== 'number' || !Number.isSafeInteger(b.sequence) || b.sequence < 0) {
        countCommit(ctx, 'malformed');
        return 400;
      }
      // Based on the revision the player page last saw (0 when it never said): last words land
      // over what that page stored, never over progress another tab stored since.
      const base = typeof b.base === 'number' && Number.isSafeInteger(b.base) && b.base >= 0 ? b.base : 0;
      const owner = await store.attemptOwner(ctx.database.pool, cap.attemptId, cap.versionId);
      if (!owner) return 404;
      const sessionId = typeof b.sessionId === 'string' && /^[\w-]{1,64}$/.test(b.sessionId) ? b.sessionId : 'default';
      try {
        const result = await commitAttempt(
          ctx,
          owner,
          cap.attemptId,
          { sco: b.sco, sequence: b.sequence, sessionId, cmi: b.cmi, base, final: true, terminated: b.terminated === true },
          () => new NotFoundError('attempt'),
        );
        countCommit(ctx, result.accepted ? 'stored' : result.reason === 'behind' ? 'behind' : 'stale');
        return result.accepted ? 204 : 409;
      } catch (err) {
        if (err instanceof AttemptFinished) {
          countCommit(ctx, 'finished');
          return 409;
        }
        if (err instanceof CmiProblem) {
          countCommit(ctx, 'refused');
          return 422;
        }
        if (err instanceof NotFoundError) return 404;
        throw err;
      }
    };
    const readJson = express.json({ limit: '1mb' });
    // A plain function rather than a router: it sees every request, and most leave at the first test.
    return (req, res, next) => {
      // The content origin answers here and only here: no session, no cookie, none of the product's routes.
      if (isContentRequest(ctx.config, req)) return void serveContent(ctx, signer, lastWords, req, res);
      const token = req.headers['x-commit-token'];
      if (req.method !== 'POST' || typeof token !== 'string') return next();
      const attemptId = COMMIT_PATH.exec(req.path)?.[1];
      const holder = attemptId ? tokens.verify(token, attemptId) : undefined;
      // A token that is forged, expired or for another attempt: the session decides.
      if (!attemptId || !holder) return next();
      // Not an Express route, so /metrics is told which one this is (never the address, which holds the attempt id).
      res.locals.metricsRoute = '/scorm/attempts/:id/commit';
      readJson(req, res, async (parseError?: unknown) => {
        try {
          if (parseError) throw parseError;
          // This comes before the security headers (server/module.ts): what a JSON answer needs.
          res.setHeader('x-content-type-options', 'nosniff');
          res.setHeader('cache-control', 'no-store');
          // Not found under a genuine token (a disabled account, an attempt since removed): the session says why.
          const handled = await answerCommit(ctx, req, res, attemptId, holder.userId, () => new PassToSession());
          if (!handled) next();
        } catch (err) {
          next(err);
        }
      });
    };
  },
  routes(ctx: ModuleContext) {
    const router = express.Router();
    const pool = ctx.database.pool;
    const tokens = tokensFor(ctx);
    const signer = capabilities(ctx.config.sessionSecret);

    router.get('/scorm/vendor/scorm-again.min.js', allow(), (_req, res) => {
      res.type('application/javascript').sendFile(SCORM_AGAIN);
    });

    async function loadCourse(slug: string): Promise<Course> {
      const course = await courseBySlug(pool, slug);
      if (!course || course.status === 'retired') throw new NotFoundError('course');
      return course;
    }

    /** Whether this person may take this course now; a reason page when not. */
    async function launchRefusal(c: Caller, course: Course): Promise<{ heading: string; message: string } | null> {
      if (course.status !== 'published' && !may(c, can.manageCourses))
        return { heading: 'This course is not available yet', message: 'It has not been published.' };
      if (course.audience !== 'public' && isPublicMember(c)) {
        return {
          heading: 'This course is for professionals',
          message: 'It is open to staff of the partnership’s member organisations. Choose one of the courses open to the public instead.',
        };
      }
      const licence = await checkElearningLicence(pool, c.staffOrganisationIds);
      if (!licence.allowed) {
        return {
          heading: 'Your organisation’s e-learning licence has lapsed',
          message:
            licence.reason ?? 'Your organisation’s licence to use this e-learning has ended. Ask your organisational lead to renew it with the partnership.',
        };
      }
      const unmet = await store.unmetPrerequisites(pool, course.id, c.userId);
      if (unmet.length) {
        return { heading: 'Finish the earlier course first', message: `Before this course, complete: ${unmet.map((u) => u.title).join(', ')}.` };
      }
      return null;
    }

    async function staffIdFor(c: Caller): Promise<string | null> {
      return c.staffIds[0] ?? null;
    }

    router.get('/courses/:slug/play', allow(), async (req, res, next) => {
      const c = caller(req);
      const course = await loadCourse(String(req.params.slug));
      const refusal = await launchRefusal(c, course);
      if (refusal) return res.status(403).render(ctx.view('launch-refused'), { title: refusal.heading, ...refusal, course });
      let attempt = await store.latestAttempt(pool, c.userId, course.id);
      if (!attempt) {
        const version = await store.currentVersionForCourse(pool, course.id);
        // No SCORM package: another module's player (cmi5) may have the course, or the product says it has no content yet.
        if (!version) return next();
        attempt = await store.createAttempt(pool, { userId: c.userId, staffId: await staffIdFor(c), courseId: course.id, packageVersionId: version.id });
      }
      const version = await store.getVersion(pool, attempt.packageVersionId);
      if (!version) throw new NotFoundError('course');
      const states = await store.scoStates(pool, attempt.id);
      const review = !!attempt.completedAt;
      if (!review) rememberOpenedAttempt(ctx.database, attempt, course.passMark, version, states);
      // The content plays on its own origin, through a capability for this attempt's package version
      // that only this page's origin may frame (modules/scorm/content-site.ts).
      // With CONTENT_URL (a real deployment) the product is where PUBLIC_URL says, whatever Host a proxy passes on.
      const playerOrigin = ctx.config.contentUrl ? new URL(ctx.config.publicUrl).origin : `${req.protocol}://${req.get('host')}`;
      const contentOrigin = contentOriginFor(ctx.config, req.protocol, req.get('host') ?? '');
      const capability = signer.issue({ versionId: version.id, attemptId: attempt.id, playerOrigin });
      const sessionId = randomBytes(8).toString('hex');
      const contentUrl = (sco: string, launch: string, title: string) =>
        `${contentOrigin}/scorm/run/${capability}?${new URLSearchParams({ v: version.scormVersion === '1.2' ? '1.2' : '2004', launch, title, sco, sid: sessionId }).toString()}`;
      res.setHeader('content-security-policy', playerCsp(String(res.getHeader('content-security-policy') ?? ''), contentOrigin));
      const scos = version.manifest.scos.map((s) => {
        const state = states.find((st) => st.scoIdentifier === s.identifier);
        const total = state ? Object.values(state.sessionSeconds).reduce((a, b) => a + Number(b), 0) : 0;
        const cmi = startingCmi(version.scormVersion, state?.cmi ?? {}, { id: c.userId, name: c.name }, total, s.masteryScore);
        if (review) {
          if (version.scormVersion === '1.2') Object.assign(cmi, { 'cmi.core.lesson_mode': 'review', 'cmi.core.credit': 'no-credit' });
          else Object.assign(cmi, { 'cmi.mode': 'review', 'cmi.credit': 'no-credit' });
        }
        return {
          identifier: s.identifier,
          title: s.title,
          depth: s.depth,
          url: contentUrl(s.identifier, s.launch, `${course.title}: ${s.title}`),
          cmi,
          revision: state?.revision ?? 0,
          hidden: s.visible === false,
        };
      });
      const statusOf = (identifier: string): ItemStatus => {
        const sco = version.manifest.scos.find((s) => s.identifier === identifier);
        const cmi = states.find((st) => st.scoIdentifier === identifier)?.cmi ?? {};
        return sco ? scoStatus(version.scormVersion, cmi, course.passMark, sco.masteryScore) : 'not attempted';
      };
      const contents = contentsRows(version.manifest, statusOf).map((r) => ({ ...r, statusLabel: r.status ? STATUS_LABELS[r.status] : null }));
      const player = {
        attemptId: attempt.id,
        version: version.scormVersion,
        contentOrigin,
        commitUrl: `/scorm/attempts/${attempt.id}/commit`,
        courseUrl: `/courses/${course.slug}`,
        csrfToken: res.locals.csrfToken,
        commitToken: review ? undefined : tokens.issue(attempt.id, c.userId),
        sessionId,
        review,
        scos,
        // Which SCOs the contents list lets the learner open now (1.2 prerequisites), and the data model's length limits.
        locked: contents.filter((r) => r.sco && !r.available).map((r) => r.sco),
        limits: lengthLimits(version.scormVersion),
        labels: STATUS_LABELS,
      };
      const failed = !review && attempt.status === 'failed';
      res.render(ctx.view('player'), {
        title: course.title,
        course,
        attempt: attemptView(attempt),
        player,
        contents,
        multi: scos.length > 1,
        review,
        // A result of "not passed" can be taken again from the start, whichever way the course treats finished attempts.
        canRetake: (review && course.finishedAttempt === 'review-or-retake') || failed,
        failed,
        hasStaffRecord: c.staffIds.length > 0,
        stylesheets: ['/modules/scorm/player.css'],
      });
    });

    router.post('/courses/:slug/attempts', allow(), async (req, res) => {
      const c = caller(req);
      const course = await loadCourse(String(req.params.slug));
      const refusal = await launchRefusal(c, course);
      if (refusal) return res.status(403).render(ctx.view('launch-refused'), { title: refusal.heading, ...refusal, course });
      const latest = await store.latestAttempt(pool, c.userId, course.id);
      // An attempt in progress carries on; one that ended "not passed" may be taken again.
      if (latest && !latest.completedAt && latest.status !== 'failed') return res.redirect(`/courses/${course.slug}/play`);
      if (latest?.completedAt && course.finishedAttempt === 'review-only') throw new HttpError(403, 'This course can be reviewed but not taken again.');
      const version = await store.currentVersionForCourse(pool, course.id);
      if (!version) throw new HttpError(404, 'This course has no e-learning package yet.');
      await store.createAttempt(pool, { userId: c.userId, staffId: await staffIdFor(c), courseId: course.id, packageVersionId: version.id });
      res.redirect(`/courses/${course.slug}/play`);
    });

    // Autocommit (JSON with x-csrf-token) and the page-close beacon (form body with _csrf and
    // payload). A commit with a valid x-commit-token was answered before the session was read.
    router.post('/scorm/attempts/:id/commit', allow(), async (req, res) => {
      const c = caller(req);
      const attemptId = String(req.params.id);
      await answerCommit(ctx, req, res, attemptId, c.userId, () => new NotFoundError('attempt'), tokens.issue(attemptId, c.userId));
    });

    router.get('/my-learning', allow(), async (req, res) => {
      const c = caller(req);
      const attempts = (await store.attemptsOfUser(pool, c.userId)).map(attemptView);
      res.render(ctx.view('my-learning'), { title: 'My learning', attempts });
    });

    router.get('/courses/:slug/report', allow(can.viewCourseReports), async (req, res) => {
      const c = caller(req);
      const course = await loadCourse(String(req.params.slug));
      const rows = (await store.courseReport(pool, course.id, trainingScope(c))).map((r) => ({
        ...r,
        statusLabel: statusLabel(r.status),
        time: formatSeconds(r.timeSeconds),
      }));
      res.render(ctx.view('report'), {
        title: `Report: ${course.title}`,
        course,
        rows,
        totals: { people: rows.length, completed: rows.filter((r) => r.completedAt).length, passed: rows.filter((r) => r.status === 'passed').length },
      });
    });

    // An upload whose manifest identifier a course already has waits here for the administrator's choice.
    const pendingDir = path.join(ctx.config.scormDir, 'pending');
    type Pending = { token: string; identifier: string; title: string; courses: { slug: string; title: string }[] };
    const pendingOf = (req: Request): Pending | undefined => {
      const p = req.session.scormPending as Pending | undefined;
      return p && /^[0-9a-f]{32}$/.test(p.token) ? p : undefined;
    };
    const forgetPending = (req: Request) => {
      const p = pendingOf(req);
      if (p) fs.rmSync(path.join(pendingDir, `${p.token}.zip`), { force: true });
      delete req.session.scormPending;
    };
    const imported = async (req: Request, c: Caller, result: Awaited<ReturnType<typeof importPackage>>) => {
      await audit(pool, {
        actorUserId: c.userId,
        action: 'scorm.imported',
        subjectType: 'scorm_package_version',
        subjectId: result.packageVersionId,
        detail: { identifier: result.manifest.identifier, version: result.version },
      }).catch(() => {});
      req.session.flash = `Imported “${result.manifest.title}” (SCORM ${result.manifest.scormVersion}) as version ${result.version} of “${result.courseSlug}”.`;
    };

    router.get('/scorm/packages', allow(can.manageCourses), async (_req, res) => {
      res.render(ctx.view('packages'), {
        title: 'E-learning packages',
        versions: await store.listVersions(pool),
        maxMb: Math.round(ctx.config.scormMaxUploadBytes / 1024 / 1024),
      });
    });

    // Streamed upload: busboy writes the zip to a temporary file, never holding it in memory.
    router.post('/scorm/packages', allow(can.manageCourses), async (req, res) => {
      const c = caller(req);
      const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'scorm-upload-'));
      const tempFile = path.join(tempDir, 'package.zip');
      const fail = async (status: number, message: string) => {
        if (asksForJson(req)) return res.status(status).json({ error: { status, message } });
        res.status(status).render(ctx.view('packages'), {
          title: 'E-learning packages',
          versions: await store.listVersions(pool),
          maxMb: Math.round(ctx.config.scormMaxUploadBytes / 1024 / 1024),
          errors: [{ text: message, href: '#package' }],
          uploadError: message,
        });
      };
      try {
        const { fields, gotFile, tooLarge } = await receiveUpload(req, tempFile, ctx.config.scormMaxUploadBytes, 'Choose a SCORM zip file to upload.');
        checkUploadToken(req, fields);
        if (!gotFile || !fs.existsSync(tempFile) || fs.statSync(tempFile).size === 0) return await fail(400, 'Choose a SCORM zip file to upload.');
        if (tooLarge)
          return await fail(413, `The file is larger than ${Math.round(ctx.config.scormMaxUploadBytes / 1024 / 1024)} MB, the most this service accepts.`);
        const courseSlug = fields.course?.trim() || undefined;
        const result = await importPackage(ctx, tempFile, { courseSlug, sharedIdentifier: 'ask', importedBy: c.userId });
        await imported(req, c, result);
        const redirect = `/courses/${result.courseSlug}`;
        if (asksForJson(req)) return res.json({ redirect });
        res.redirect(redirect);
      } catch (err) {
        if (err instanceof SharedIdentifier) {
          // Kept until the administrator says which course it is for (or uploads another).
          forgetPending(req);
          const token = randomBytes(16).toString('hex');
          fs.mkdirSync(pendingDir, { recursive: true });
          fs.copyFileSync(tempFile, path.join(pendingDir, `${token}.zip`));
          req.session.scormPending = {
            token,
            identifier: err.identifier,
            title: err.title,
            courses: err.courses.map((k) => ({ slug: k.slug, title: k.title })),
          };
          const redirect = '/scorm/packages/confirm';
          if (asksForJson(req)) return res.json({ redirect });
          return res.redirect(redirect);
        }
        if (err instanceof PackageRefused) return await fail(422, err.message);
        if (err instanceof UsageError) return await fail(400, err.message);
        if (err instanceof HttpError) return await fail(err.status, err.message);
        throw err;
      } finally {
        fs.rmSync(tempDir, { recursive: true, force: true });
      }
    });

    router.get('/scorm/packages/confirm', allow(can.manageCourses), (req, res) => {
      const pending = pendingOf(req);
      if (!pending) return res.redirect('/scorm/packages');
      res.render(ctx.view('confirm-package'), { title: `Which course is “${pending.title}” for?`, pending });
    });

    router.post('/scorm/packages/confirm', allow(can.manageCourses), async (req, res) => {
      const c = caller(req);
      const pending = pendingOf(req);
      if (!pending) return res.redirect('/scorm/packages');
      const choice = String(req.body?.choice ?? '');
      const courseSlug = choice.startsWith('course:') ? choice.slice('course:'.length) : undefined;
      if (choice !== 'new' && !pending.courses.some((k) => k.slug === courseSlug)) {
        const choiceError = 'Select the course this package is for, or a new course';
        return res.status(400).render(ctx.view('confirm-package'), {
          title: `Error: Which course is “${pending.title}” for?`,
          pending,
          choiceError,
          errors: [{ text: choiceError, href: '#choice' }],
        });
      }
      const file = path.join(pendingDir, `${pending.token}.zip`);
      try {
        const result = await importPackage(ctx, file, choice === 'new' ? { newCourse: true, importedBy: c.userId } : { courseSlug, importedBy: c.userId });
        forgetPending(req);
        await imported(req, c, result);
        res.redirect(`/courses/${result.courseSlug}`);
      } catch (err) {
        forgetPending(req);
        if (err instanceof PackageRefused || err instanceof UsageError || (err as NodeJS.ErrnoException).code === 'ENOENT') {
          req.session.flash = `The package was not imported: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'upload it again.' : (err as Error).message}`;
          return res.redirect('/scorm/packages');
        }
        throw err;
      }
    });

    router.get('/public-learning/register', (req, res) => {
      if (req.caller) return res.redirect('/courses');
      res.render(ctx.view('register'), { title: 'Register for public e-learning' });
    });

    // Per network address; per email address the store counts (REGISTRATIONS_PER_ADDRESS_PER_HOUR).
    const registrationLimiter = rateLimit({
      windowMs: 60 * 60 * 1000,
      limit: REGISTRATIONS_PER_IP_PER_HOUR,
      standardHeaders: 'draft-7',
      legacyHeaders: false,
      handler: (_req, res) =>
        res.status(429).render(ctx.view('register'), {
          title: 'Register for public e-learning',
          errors: [{ text: 'Too many registrations from your network. Wait an hour and try again.', href: '#name' }],
        }),
    });

    /**
     * The answer is the same whether or not the address has an account, and
     * nothing is created until the link emailed to the address is opened: a
     * stranger can neither learn who is registered nor hold an account ready
     * for someone else's address.
     */
    router.post('/public-learning/register', registrationLimiter, async (req, res) => {
      const name = String(req.body?.name ?? '').trim();
      const email = String(req.body?.email ?? '').trim();
      const password = String(req.body?.password ?? '');
      const errors: { text: string; href: string }[] = [];
      if (!name) errors.push({ text: 'Enter your name', href: '#name' });
      else if (name.length > 200) errors.push({ text: 'Name must be 200 characters or fewer', href: '#name' });
      if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email) || email.length > 320)
        errors.push({ text: 'Enter an email address in the correct format, like name@example.com', href: '#email' });
      const problem = passwordProblem(password, email);
      if (problem) errors.push({ text: problem, href: '#password' });
      if (errors.length) return res.status(400).render(ctx.view('register'), { title: 'Register for public e-learning', errors, name, email });
      // Hashed whatever happens next, so a known address takes as long to answer as a new one.
      const passwordHash = await hashPassword(password);
      const started = await startRegistration(pool, { email, name, passwordHash, ip: req.ip });
      const site = ctx.config.publicUrl;
      if (started.kind === 'new') {
        await ctx.mailer.queue({
          to: normaliseEmail(email),
          subject: 'Finish registering for public e-learning',
          category: 'account',
          text: `Someone, probably you, asked to register ${normaliseEmail(email)} for the partnership's public e-learning.\n\nTo finish registering, open this link within ${REGISTRATION_LINK_HOURS} hours:\n${site}/public-learning/confirm/${started.token}\n\nIf this was not you, ignore this email: no account has been made.`,
        });
      } else if (started.kind === 'existing') {
        await ctx.mailer.queue({
          to: normaliseEmail(email),
          subject: 'Someone tried to register with your email address',
          category: 'account',
          text: `Someone asked to register ${normaliseEmail(email)} for the partnership's public e-learning, but you already have an account.\n\nTo sign in, go to ${site}/sign-in. If you have forgotten your password, reset it at ${site}/password-reset.\n\nIf this was not you, you can ignore this email: nothing has changed.`,
        });
      }
      res.render(ctx.view('register-sent'), { title: 'Check your email', email });
    });

    // The link's token moves into the session and out of the address bar, as reset links do.
    const expiredRegistration = (res: Response) =>
      res.status(410).render(ctx.view('register-sent'), { title: 'This link has expired or was already used', expired: true });

    router.get('/public-learning/confirm', async (req, res) => {
      const token = req.session?.registrationToken as string | undefined;
      const found = token ? await registrationForToken(pool, token) : undefined;
      if (!found) return expiredRegistration(res);
      res.render(ctx.view('register-confirm'), { title: 'Finish registering', email: found.email, name: found.name });
    });

    router.get('/public-learning/confirm/:token', async (req, res) => {
      const token = String(req.params.token);
      if (!(await registrationForToken(pool, token))) return expiredRegistration(res);
      req.session.registrationToken = token;
      res.redirect('/public-learning/confirm');
    });

    router.post('/public-learning/confirm', async (req, res, next) => {
      const token = req.session?.registrationToken as string | undefined;
      if (!token) return expiredRegistration(res);
      const result = await ctx.database.transaction((client) => completeRegistration(client, token));
      delete req.session.registrationToken;
      if ('problem' in result) {
        if (result.problem === 'exists') {
          req.session.flash = 'You already have an account. Sign in, or reset your password.';
          return res.redirect('/sign-in');
        }
        return expiredRegistration(res);
      }
      await audit(pool, { actorUserId: result.userId, action: 'registration.confirmed', subjectType: 'user', subjectId: result.userId, ip: req.ip });
      req.login({ id: result.userId }, (err) => {
        if (err) return next(err);
        req.session.flash = 'Your account is ready. Choose a course open to the public.';
        res.redirect('/courses');
      });
    });

    return router;
  },
});

export { formatSeconds, statusLabel };
