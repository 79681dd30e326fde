import express, { type Request, type RequestHandler, type Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import { allow, caller, can, managedScope } from '../../server/access';
import { audit } from '../../server/auth/users';
import { keptBy, keptPerProduct } from '../../server/cache';
import { HttpError } from '../../server/errors';
import { defineModule, type ModuleContext } from '../../server/module';
import { formatCode, parseCode } from './codes';
import { seedDemoCertificates } from './demo';
import { issueCourseCertificate, issueFrameworkCertificateIfDue, issueMissingCertificates, reissueCertificate } from './issue';
import { partnershipLogo } from '../partnership/api';
// Loaded when a certificate is first printed or zipped, not at start: pdfkit, its fonts and
// the zip writer are a large share of the server's start-up work and memory.
const pdf = () => require('./pdf') as typeof import('./pdf');
const zip = () => require('archiver') as typeof import('archiver');
import { statusOf, todayInLondon, type Verification, verificationOf } from './rules';
import { type Certificate, findCurrentByCode, getOwn, getScoped, listForUser, listScoped, revokeCertificate, teamsInScope } from './store';

/** Lookups one address may make in the window: plenty for an employer checking a pile of certificates, far too few to guess a 50-bit code. */
export const VERIFY_LIMIT = 30;
export const VERIFY_WINDOW_MS = 10 * 60 * 1000;

// One counter per running product, shared by the page and the JSON endpoint.
const VERIFY_LIMITER = keptPerProduct(
  'certificate check limiter',
  (): RequestHandler =>
    rateLimit({
      windowMs: VERIFY_WINDOW_MS,
      limit: VERIFY_LIMIT,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      // Opening the empty form is not a guess.
      skip: (req) => req.path === '/verify' && !req.query.code,
      handler: (_req, _res, next) => next(new HttpError(429, 'You have checked too many codes in a short time. Wait 10 minutes and try again.')),
    }),
);
function verifyLimiter(ctx: ModuleContext): RequestHandler {
  return keptBy(ctx.database.pool, VERIFY_LIMITER);
}

async function verify(ctx: ModuleContext, input: unknown): Promise<Verification & { code?: string }> {
  const parsed = parseCode(input);
  if (parsed.kind !== 'code') return { outcome: parsed.kind };
  const certificate = await findCurrentByCode(ctx.database.pool, parsed.code);
  return { ...verificationOf(certificate, todayInLondon()), code: parsed.code };
}

const VERIFY_MESSAGES: Record<Verification['outcome'], string> = {
  valid: 'This certificate is valid.',
  expired: 'This certificate has expired.',
  revoked: 'This certificate has been revoked.',
  'not-found': 'No certificate has this code.',
  typo: 'This code has a typo: one or more characters are wrong. Check it against the certificate.',
  malformed: 'Enter the 11-character code printed on the certificate, for example 7K3Q-X9M2-PAB.',
};

function slug(text: string): string {
  return (
    text
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 60) || 'certificate'
  );
}

function fileName(c: Certificate, withName: boolean): string {
  return `${withName ? `${slug(c.personName)}-` : ''}${slug(c.achievement)}-${formatCode(c.code)}.pdf`;
}

async function sendPdf(ctx: ModuleContext, res: Response, c: Certificate, withName: boolean): Promise<void> {
  if (c.status === 'revoked') throw new HttpError(410, 'This certificate has been revoked and can no longer be downloaded.');
  const pdfBytes = await pdf().renderCertificatePdf({ ...c, logoPng: await partnershipLogo(ctx.database.pool) }, ctx.config.publicUrl, ctx.database.pool);
  res.type('application/pdf');
  res.setHeader('content-disposition', `attachment; filename="${fileName(c, withName)}"`);
  res.setHeader('cache-control', 'private, no-store');
  res.send(pdfBytes);
}

function withStatus(list: Certificate[]) {
  const today = todayInLondon();
  return list.map((c) => ({ ...c, status: statusOf(c, today), formattedCode: formatCode(c.code) }));
}

/** Team filter values carry the organisation too: two organisations can both have a "Frontline services". */
function parseTeam(value: unknown): { organisationId: string; team: string } | undefined {
  if (typeof value !== 'string') return undefined;
  const m = value.match(/^([0-9a-f-]{36}):(.+)$/i);
  return m ? { organisationId: m[1], team: m[2] } : undefined;
}

function certificatePage(ctx: ModuleContext) {
  return async (req: Request, res: Response, extra: Record<string, unknown> = {}, status = 200) => {
    const certificate = await getScoped(ctx.database.pool, managedScope(caller(req)), String(req.params.id));
    if (!certificate) throw new HttpError(404, 'We could not find that certificate.');
    res.status(status).render(ctx.view('certificate'), {
      title: `${certificate.achievement}: ${certificate.personName}`,
      certificate,
      status: statusOf(certificate, todayInLondon()),
      formattedCode: formatCode(certificate.code),
      ...extra,
    });
  };
}

function reasonProblem(reason: string, what: string): string | undefined {
  if (!reason) return `Enter why you are ${what} this certificate`;
  if (reason.length > 500) return 'The reason must be 500 characters or fewer';
  return undefined;
}

export default defineModule({
  name: 'certificates',
  dependsOn: ['staff', 'courses', 'evidence', 'framework', 'organisations', 'partnership', 'compliance', 'evaluation'],
  nav: [
    { label: 'My certificates', href: '/my-certificates', roles: ['learner'], order: 40 },
    {
      label: 'Certificates',
      href: '/certificates',
      roles: can.manageStaff,
      order: 45,
      hub: { topic: 'learning', description: 'Certificates issued to staff: find one, reissue it or download them all' },
    },
  ],

  events(ctx) {
    ctx.events.on('course.completed', async (e) => {
      await issueCourseCertificate(e.client, e);
    });
    // A course that requires evaluation holds its certificate back until the learner rates their confidence after it.
    ctx.events.on('evaluation.completed', async (e) => {
      await issueCourseCertificate(e.client, { staffId: e.staffId, courseId: e.courseId, achievedOn: e.completedOn });
    });
    ctx.events.on('evidence.recorded', async (e) => {
      await issueFrameworkCertificateIfDue(e.client, e.staffId, todayInLondon());
    });
  },

  async jobs(ctx, jobs) {
    jobs.define('certificates: issue missing', async () => {
      const issued = await issueMissingCertificates(ctx.database.pool, todayInLondon());
      if (issued.course || issued.framework) ctx.logger.info(issued, 'issued missing certificates');
    });
    await jobs.every('0 4 * * *', 'certificates: issue missing');
  },

  cli: {
    'certificates:sweep': {
      summary: 'Issue any certificate that should exist and does not (safe to run again)',
      usage: 'npm run cli -- certificates:sweep',
      async run(ctx) {
        const issued = await issueMissingCertificates(ctx.database.pool, todayInLondon());
        console.log(`Issued ${issued.course} course and ${issued.framework} framework certificates.`);
      },
    },
  },

  seedDemo: seedDemoCertificates,

  routes(ctx) {
    const router = express.Router();
    const pool = ctx.database.pool;
    const limiter = verifyLimiter(ctx);
    const showCertificate = certificatePage(ctx);

    router.get('/verify', limiter, async (req, res) => {
      const input = typeof req.query.code === 'string' ? req.query.code : undefined;
      if (input === undefined) return res.render(ctx.view('verify'), { title: 'Check a training certificate' });
      const result = await verify(ctx, input);
      const codeError = result.outcome === 'typo' || result.outcome === 'malformed' ? VERIFY_MESSAGES[result.outcome] : undefined;
      res.status(codeError ? 400 : 200).render(ctx.view('verify'), {
        title: codeError ? 'Check a training certificate' : `${VERIFY_MESSAGES[result.outcome]} Check a training certificate`,
        result,
        code: input,
        formatted: result.code ? formatCode(result.code) : '',
        codeError,
        errors: codeError ? [{ text: codeError, href: '#code' }] : undefined,
      });
    });

    router.get('/my-certificates', allow(), async (req, res) => {
      const me = caller(req);
      const certificates = await listForUser(pool, me.userId, me.staffIds);
      res.render(ctx.view('my-certificates'), { title: 'My certificates', certificates: withStatus(certificates), publicUrl: ctx.config.publicUrl });
    });

    router.get('/my-certificates/:id.pdf', allow(), async (req, res) => {
      const me = caller(req);
      const certificate = await getOwn(pool, me.userId, me.staffIds, String(req.params.id));
      if (!certificate) throw new HttpError(404, 'We could not find that certificate.');
      await sendPdf(ctx, res, certificate, false);
    });

    router.get('/certificates', allow(can.manageStaff), async (req, res) => {
      const scope = managedScope(caller(req));
      const team = parseTeam(req.query.team);
      const [certificates, teams] = await Promise.all([listScoped(pool, scope, team ?? {}), teamsInScope(pool, scope)]);
      const options = teams.map((t) => ({
        value: `${t.organisationId}:${t.team}`,
        label: scope.kind === 'all' || new Set(teams.map((x) => x.organisationId)).size > 1 ? `${t.team} (${t.organisationName})` : t.team,
      }));
      const selectedTeam = team ? `${team.organisationId}:${team.team}` : '';
      res.render(ctx.view('certificates'), {
        title: 'Certificates',
        certificates: withStatus(certificates),
        teams: options,
        selectedTeam,
        zipHref: `/certificates/download.zip${selectedTeam ? `?team=${encodeURIComponent(selectedTeam)}` : ''}`,
        teamLabel: options.find((o) => o.value === selectedTeam)?.label,
      });
    });

    router.get('/certificates/download.zip', allow(can.manageStaff), async (req, res) => {
      const scope = managedScope(caller(req));
      const team = parseTeam(req.query.team);
      const certificates = (await listScoped(pool, scope, team ?? {})).filter((c) => c.status !== 'revoked');
      if (!certificates.length) throw new HttpError(404, 'There are no certificates to download.');
      res.type('application/zip');
      res.setHeader('content-disposition', `attachment; filename="certificates${team ? `-${slug(team.team)}` : ''}.zip"`);
      res.setHeader('cache-control', 'private, no-store');
      const archive = new (zip().ZipArchive)({ zlib: { level: 6 } });
      archive.on('warning', (err: Error) => ctx.logger.warn({ err: err.message }, 'certificate zip'));
      archive.on('error', (err: Error) => {
        ctx.logger.error({ err: err.message }, 'certificate zip failed');
        res.destroy(err);
      });
      archive.pipe(res);
      const used = new Set<string>();
      const logoPng = await partnershipLogo(pool);
      // One PDF at a time, so a team of hundreds does not hold every PDF in memory at once.
      for (const c of certificates) {
        let name = fileName(c, true);
        if (used.has(name)) name = name.replace(/\.pdf$/, `-${c.id.slice(0, 8)}.pdf`);
        used.add(name);
        archive.append(await pdf().renderCertificatePdf({ ...c, logoPng }, ctx.config.publicUrl, ctx.database.pool), { name });
        await new Promise<void>((resolve) => archive.once('entry', () => resolve()));
      }
      await archive.finalize();
      await audit(pool, {
        actorUserId: caller(req).userId,
        action: 'certificates.downloaded',
        subjectType: 'certificate',
        detail: { count: certificates.length, team: team?.team ?? null },
      });
    });

    router.get('/certificates/:id.pdf', allow(can.manageStaff), async (req, res) => {
      const certificate = await getScoped(pool, managedScope(caller(req)), String(req.params.id));
      if (!certificate) throw new HttpError(404, 'We could not find that certificate.');
      await sendPdf(ctx, res, certificate, true);
    });

    router.get('/certificates/:id', allow(can.manageStaff), async (req, res) => {
      await showCertificate(req, res);
    });

    router.post('/certificates/:id/revoke', allow(can.manageStaff), async (req, res) => {
      const me = caller(req);
      const scope = managedScope(me);
      const reason = String(req.body?.reason ?? '').trim();
      const problem = reasonProblem(reason, 'revoking');
      if (problem) return showCertificate(req, res, { revokeError: problem, revokeReason: reason, errors: [{ text: problem, href: '#revokeReason' }] }, 400);
      const certificate = await getScoped(pool, scope, String(req.params.id));
      if (!certificate) throw new HttpError(404, 'We could not find that certificate.');
      await ctx.database.transaction(async (client) => {
        if (!(await revokeCertificate(client, scope, certificate.id, reason, me.userId)))
          throw new HttpError(409, 'This certificate has already been revoked or reissued.');
        await audit(client, {
          actorUserId: me.userId,
          action: 'certificate.revoked',
          organisationId: certificate.organisationId,
          subjectType: 'certificate',
          subjectId: certificate.id,
          detail: { reason },
        });
      });
      req.session.flash = `Certificate revoked: ${certificate.achievement} for ${certificate.personName}`;
      res.redirect(`/certificates/${certificate.id}`);
    });

    router.post('/certificates/:id/reissue', allow(can.manageStaff), async (req, res) => {
      const me = caller(req);
      const reason = String(req.body?.reason ?? '').trim();
      const problem = reasonProblem(reason, 'reissuing');
      if (problem) return showCertificate(req, res, { reissueError: problem, reissueReason: reason, errors: [{ text: problem, href: '#reissueReason' }] }, 400);
      const newId = await ctx.database.transaction((client) => reissueCertificate(client, managedScope(me), String(req.params.id), reason, me.userId));
      req.session.flash = 'Certificate reissued with a new code. The old code now shows this certificate.';
      res.redirect(`/certificates/${newId}`);
    });

    return router;
  },

  api(ctx) {
    const router = express.Router();
    router.get('/certificates/verify/:code', verifyLimiter(ctx), async (req, res) => {
      const result = await verify(ctx, req.params.code);
      const status = result.certificate ? 200 : result.outcome === 'not-found' ? 404 : 400;
      res.status(status).json({
        outcome: result.outcome,
        message: VERIFY_MESSAGES[result.outcome],
        ...(result.certificate ? { certificate: result.certificate } : {}),
      });
    });
    return router;
  },
});
