import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { allow, asksForJson, type Caller, caller, can, may } from '../../server/access';
import { checkUploadToken } from '../../server/auth/csrf';
import { audit } from '../../server/auth/users';
import { readFlags } from '../../server/cli-args';
import { HttpError, isDatabaseUnavailable, UsageError } from '../../server/errors';
import { defineModule, type ModuleContext } from '../../server/module';
import { type Course, courseBySlug, isPublicMember } from '../courses/api';
import {
  capabilities,
  type CapabilitySigner,
  contentOriginFor,
  isContentRequest,
  PackageRefused,
  packageCsp,
  packageFileSegments,
  playerCsp,
  receiveUpload,
} from '../scorm/api';
import { answerFetch, answerLrs } from './lrs';
import { auSatisfied } from './move-on';
import { importCmi5, launchAu, versionDir } from './service';
import * as store from './store';

/** A key of its own for cmi5 content links, so no SCORM capability opens cmi5 content or the other way round. */
function signerFor(ctx: ModuleContext): CapabilitySigner {
  return capabilities(createHmac('sha256', ctx.config.sessionSecret).update('cmi5 content capability v1').digest('hex'));
}

const STATUS_LABELS: Record<store.Registration['status'], string> = {
  'not attempted': 'Not started',
  incomplete: 'In progress',
  completed: 'Completed',
  passed: 'Passed',
  failed: 'Not passed',
};

function statusTag(status: store.Registration['status'], satisfied: boolean): string {
  if (status === 'failed') return 'govuk-tag--orange';
  return satisfied ? 'govuk-tag--green' : 'govuk-tag--blue';
}

function plain(res: Response, status: number, text: string): void {
  if (res.headersSent) return;
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('referrer-policy', 'no-referrer');
  res.setHeader('content-security-policy', "default-src 'none'; base-uri 'none'; form-action 'none'");
  res.setHeader('cache-control', 'no-store');
  res.status(status).type('text/plain; charset=utf-8').send(text);
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

/**
 * What the content origin answers for cmi5: the package's files behind a
 * capability for one session, the fetch URL, the page an AU returns to, and
 * the LRS. Anything else there is left to the SCORM module's content site.
 */
async function answerContent(ctx: ModuleContext, signer: CapabilitySigner, req: Request, res: Response, next: NextFunction): Promise<void> {
  const url = req.path;
  if (url === '/lrs' || url.startsWith('/lrs/')) return answerLrs(ctx, req, res);
  const fetchKey = /^\/cmi5\/fetch\/([\w-]{16,64})$/.exec(url);
  if (fetchKey) return answerFetch(ctx, req, res, fetchKey[1]);
  if (url === '/cmi5/bridge/returned.js') {
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('content-security-policy', "default-src 'none'");
    res.type('application/javascript; charset=utf-8');
    return void res.sendFile(path.join(__dirname, 'public', 'returned.js'));
  }
  const returned = /^\/cmi5\/returned\/([^/]+)$/.exec(url);
  if (returned) {
    const cap = signer.verify(returned[1]);
    if (!cap) return plain(res, 404, 'This link has expired. Go back to the training site.');
    const session = await store.getSession(ctx.database.pool, cap.attemptId);
    const version = session ? await store.getVersion(ctx.database.pool, cap.versionId) : undefined;
    if (!session || !version?.courseSlug) return plain(res, 404, 'Not found.');
    const resultUrl = `${cap.playerOrigin}/courses/${version.courseSlug}/result`;
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('referrer-policy', 'no-referrer');
    res.setHeader('cache-control', 'no-store');
    res.setHeader('content-security-policy', `default-src 'none'; script-src 'self'; frame-ancestors ${cap.playerOrigin}; base-uri 'none'; form-action 'none'`);
    res.type('text/html; charset=utf-8').send(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>You have left the course</title></head>
<body data-player-origin="${escapeHtml(cap.playerOrigin)}" data-result="${escapeHtml(resultUrl)}">
<p>You have left the course. <a href="${escapeHtml(resultUrl)}" target="_top">See your result</a>.</p>
<script src="/cmi5/bridge/returned.js"></script>
</body></html>`);
    return;
  }
  const file = /^\/cmi5\/c\/([^/]+)\/(.+)$/.exec(url);
  if (!file) return next();
  if (req.method !== 'GET' && req.method !== 'HEAD') return plain(res, 405, 'Only package files are served here.');
  const cap = signer.verify(file[1]);
  const parts = cap ? packageFileSegments(file[2]) : undefined;
  if (!cap || !parts) return plain(res, 404, 'Not found.');
  const version = await store.getVersion(ctx.database.pool, cap.versionId);
  if (!version?.hasFiles) return plain(res, 404, 'Not found.');
  const root = versionDir(ctx.config, version.id);
  const full = path.join(root, ...parts);
  if (!full.startsWith(root + path.sep) || !fs.existsSync(full) || !fs.lstatSync(full).isFile())
    return plain(res, 404, 'Not found: this file is not in the course package.');
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('referrer-policy', 'no-referrer');
  res.setHeader('cross-origin-opener-policy', 'same-origin');
  res.setHeader('content-security-policy', packageCsp(cap.playerOrigin));
  res.setHeader('cache-control', 'private, max-age=300');
  res.removeHeader('set-cookie');
  res.sendFile(parts.join('/'), { root, dotfiles: 'deny', index: false }, (err) => {
    if (err) plain(res, 404, 'Not found: this file is not in the course package.');
  });
}

export default defineModule({
  name: 'cmi5',
  dependsOn: ['courses', 'staff', 'evidence', 'scorm'],
  nav: [
    {
      label: 'cmi5 courses',
      href: '/cmi5/packages',
      roles: can.manageCourses,
      order: 61,
      hub: { topic: 'learning', description: 'Upload cmi5 courses (a zip, or a cmi5.xml whose parts live elsewhere) and new versions of them' },
    },
  ],
  uploads: [/^\/cmi5\/packages$/],
  cli: {
    'cmi5:import': {
      summary: 'Import a cmi5 course (a zip, or a cmi5.xml whose AUs live elsewhere)',
      usage: 'npm run cli -- cmi5:import FILE [--course SLUG]',
      async run(ctx, args) {
        const usage = 'npm run cli -- cmi5:import FILE [--course SLUG]';
        const { values, positionals } = readFlags(args, { course: { type: 'string' } }, usage, { positionals: 1 });
        const [file] = positionals;
        const courseSlug = values.course;
        if (!file) throw new UsageError(`Give the cmi5 zip or cmi5.xml to import.\nUsage: ${usage}`);
        if (courseSlug === '') throw new UsageError(`--course needs a course slug.\nUsage: ${usage}`);
        if (!fs.existsSync(file)) throw new UsageError(`No file at ${file}.`);
        try {
          const result = await importCmi5(ctx, path.resolve(file), { courseSlug });
          console.log(
            `Imported "${result.structure.title}" (cmi5, ${result.structure.aus.length} AU${result.structure.aus.length === 1 ? '' : 's'}) as version ${result.version} of course "${result.courseSlug}".`,
          );
        } catch (err) {
          if (err instanceof PackageRefused) throw new UsageError(`Refused: ${err.message}`);
          throw err;
        }
      },
    },
  },
  routesOnContentOrigin(ctx: ModuleContext): RequestHandler {
    const signer = signerFor(ctx);
    return (req, res, next) => {
      if (!isContentRequest(ctx.config, req)) return next();
      if (!req.path.startsWith('/cmi5/') && req.path !== '/lrs' && !req.path.startsWith('/lrs/')) return next();
      res.locals.metricsRoute = req.path.startsWith('/lrs') ? '/lrs/*' : '/cmi5/content/*';
      answerContent(ctx, signer, req, res, next).catch((err) => {
        if (isDatabaseUnavailable(err)) return plain(res, 503, 'The service is unavailable for a moment. Try again shortly.');
        ctx.logger.error({ err }, 'cmi5 content request failed');
        plain(res, 404, 'Not found.');
      });
    };
  },
  routes(ctx: ModuleContext) {
    const router = express.Router();
    const pool = ctx.database.pool;
    const signer = signerFor(ctx);

    /** The course and its current cmi5 package, or nothing when the course is not a cmi5 one (SCORM's routes answer then). */
    async function cmi5Course(slug: string): Promise<{ course: Course; version: store.Version } | undefined> {
      const course = await courseBySlug(pool, slug);
      if (!course || course.status === 'retired') return undefined;
      const version = await store.currentVersionForCourse(pool, course.id);
      return version ? { course, version } : undefined;
    }

    function refusal(c: Caller, course: Course): { heading: string; message: string } | null {
      if (course.status !== 'published' && !may(c, can.manageCourses))
        return { heading: 'This course is not available yet', message: 'It has not been published.' };
      if (course.audience !== 'public' && isPublicMember(c)) {
        return {
          heading: 'This course is for professionals',
          message: 'It is open to staff of the partnership’s member organisations. Choose one of the courses open to the public instead.',
        };
      }
      return null;
    }

    /** The course page's view of a registration: each AU with what it has recorded. */
    async function courseView(c: Caller, course: Course, version: store.Version) {
      const registration = await store.latestRegistration(pool, c.userId, course.id);
      const states = registration ? await store.auStates(pool, registration.id) : [];
      const structure = registration ? ((await store.getVersion(pool, registration.packageVersionId))?.structure ?? version.structure) : version.structure;
      const aus = structure.aus.map((au, index) => {
        const s = states.find((st) => st.auId === au.id);
        const record = { completed: !!s?.completedAt, passed: !!s?.passedAt };
        const satisfied = !!registration && auSatisfied(au.moveOn, record);
        const label = s?.passedAt
          ? 'Passed'
          : s?.failedAt && !satisfied
            ? 'Not passed'
            : s?.completedAt
              ? 'Completed'
              : s
                ? `In progress${s.progress !== null ? ` (${s.progress}%)` : ''}`
                : 'Not started';
        return {
          index,
          title: au.title,
          label,
          satisfied,
          tag: s?.failedAt && !satisfied ? 'govuk-tag--orange' : satisfied && s ? 'govuk-tag--green' : 'govuk-tag--blue',
        };
      });
      const status = registration?.status ?? 'not attempted';
      return {
        registration,
        aus,
        multi: aus.length > 1,
        satisfied: !!registration?.satisfiedAt,
        failed: status === 'failed',
        statusLabel: STATUS_LABELS[status],
        statusTag: statusTag(status, !!registration?.satisfiedAt),
        passed: status === 'passed',
        score: registration?.score ?? null,
      };
    }

    async function render(
      req: Request,
      res: Response,
      c: Caller,
      found: { course: Course; version: store.Version },
      launch?: { url: string; title: string; ownWindow: boolean; frameOrigin: string },
    ) {
      const view = await courseView(c, found.course, found.version);
      if (launch) res.setHeader('content-security-policy', playerCsp(String(res.getHeader('content-security-policy') ?? ''), launch.frameOrigin));
      res.render(ctx.view('player'), {
        title: found.course.title,
        course: found.course,
        ...view,
        launch,
        hasStaffRecord: c.staffIds.length > 0,
        stylesheets: ['/modules/scorm/player.css'],
        contentOrigin: contentOriginFor(ctx.config, req.protocol, req.get('host') ?? ''),
      });
    }

    router.get('/courses/:slug/play', allow(), async (req, res, next) => {
      const found = await cmi5Course(String(req.params.slug));
      if (!found) return next();
      const c = caller(req);
      const refused = refusal(c, found.course);
      if (refused) return res.status(403).render(ctx.view('launch-refused'), { title: refused.heading, ...refused, course: found.course });
      const view = await courseView(c, found.course, found.version);
      const asked = req.query.au === undefined ? undefined : Number(req.query.au);
      // One AU: straight into it, as a SCORM course opens. Several: the list, unless one was chosen.
      const auIndex = asked !== undefined ? asked : view.aus.length === 1 ? 0 : undefined;
      if (auIndex === undefined) return render(req, res, c, found);
      if (!Number.isInteger(auIndex) || auIndex < 0 || auIndex >= view.aus.length) throw new HttpError(404, 'This course has no such part.');
      const launched = await launchAu(ctx, { userId: c.userId, staffId: c.staffIds[0] ?? null }, found.course.id, auIndex);
      if (!launched) throw new HttpError(404, 'This course has no cmi5 package yet.');
      const contentOrigin = contentOriginFor(ctx.config, req.protocol, req.get('host') ?? '');
      const playerOrigin = ctx.config.contentUrl ? new URL(ctx.config.publicUrl).origin : `${req.protocol}://${req.get('host')}`;
      const version = (await store.getVersion(pool, launched.registration.packageVersionId)) as store.Version;
      const au = launched.au;
      const cap = signer.issue({ versionId: version.id, attemptId: launched.session.id, playerOrigin });
      await store.setReturnUrl(pool, launched.session.id, `${contentOrigin}/cmi5/returned/${cap}`);
      const outside = /^[a-z][a-z0-9+.-]*:/i.test(au.url);
      const base = outside ? new URL(au.url) : new URL(au.url, `${contentOrigin}/cmi5/c/${cap}/`);
      // The launch parameters (section 8.1), merged with any query string the AU's url has.
      base.searchParams.set('endpoint', `${contentOrigin}/lrs/`);
      base.searchParams.set('fetch', `${contentOrigin}/cmi5/fetch/${launched.fetchKey}`);
      base.searchParams.set('actor', JSON.stringify(launched.actor));
      base.searchParams.set('registration', launched.registration.id);
      base.searchParams.set('activityId', launched.activityId);
      await render(req, res, c, found, { url: base.toString(), title: au.title, ownWindow: au.launchMethod === 'OwnWindow', frameOrigin: base.origin });
    });

    router.get('/courses/:slug/result', allow(), async (req, res, next) => {
      const found = await cmi5Course(String(req.params.slug));
      if (!found) return next();
      const c = caller(req);
      const refused = refusal(c, found.course);
      if (refused) return res.status(403).render(ctx.view('launch-refused'), { title: refused.heading, ...refused, course: found.course });
      await render(req, res, c, found);
    });

    const maxMb = () => Math.round(ctx.config.scormMaxUploadBytes / 1024 / 1024);
    router.get('/cmi5/packages', allow(can.manageCourses), async (_req, res) => {
      res.render(ctx.view('packages'), { title: 'cmi5 courses', versions: await store.listVersions(pool), maxMb: maxMb() });
    });

    router.post('/cmi5/packages', allow(can.manageCourses), async (req, res) => {
      const c = caller(req);
      const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cmi5-upload-'));
      const tempFile = path.join(tempDir, 'package');
      const fail = async (status: number, message: string) => {
        if (asksForJson(req)) return res.status(status).json({ error: { status, message } });
        res.status(status).render(ctx.view('packages'), {
          title: 'Error: cmi5 courses',
          versions: await store.listVersions(pool),
          maxMb: maxMb(),
          errors: [{ text: message, href: '#package' }],
          uploadError: message,
        });
      };
      try {
        const missing = 'Choose a cmi5 zip file or cmi5.xml to upload.';
        const { fields, gotFile, tooLarge } = await receiveUpload(req, tempFile, ctx.config.scormMaxUploadBytes, missing);
        checkUploadToken(req, fields);
        if (!gotFile || !fs.existsSync(tempFile) || fs.statSync(tempFile).size === 0) return await fail(400, missing);
        if (tooLarge) return await fail(413, `The file is larger than ${maxMb()} MB, the most this service accepts.`);
        const result = await importCmi5(ctx, tempFile, { courseSlug: fields.course?.trim() || undefined, importedBy: c.userId });
        await audit(pool, {
          actorUserId: c.userId,
          action: 'cmi5.imported',
          subjectType: 'cmi5_package_version',
          subjectId: result.packageVersionId,
          detail: { identifier: result.structure.id, version: result.version },
        }).catch(() => {});
        req.session.flash = `Imported “${result.structure.title}” (cmi5, ${result.structure.aus.length} part${result.structure.aus.length === 1 ? '' : 's'}) as version ${result.version} of “${result.courseSlug}”.`;
        const redirect = `/courses/${result.courseSlug}`;
        if (asksForJson(req)) return res.json({ redirect });
        res.redirect(redirect);
      } catch (err) {
        if (err instanceof PackageRefused) return await fail(422, err.message);
        if (err instanceof UsageError) return await fail(400, err.message);
        if (err instanceof HttpError) return await fail(err.status, err.message);
        throw err;
      } finally {
        fs.rmSync(tempDir, { recursive: true, force: true });
      }
    });

    return router;
  },
});
