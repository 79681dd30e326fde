import express, { type RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import { allow, caller } from '../../server/access';
import { checkUploadToken } from '../../server/auth/csrf';
import { HttpError } from '../../server/errors';
import { defineModule, type ModuleContext } from '../../server/module';
import { readOneFileUpload } from '../../server/upload';
import { getOwn } from '../certificates/api';
import { partnershipName as nameOfPartnership } from '../partnership/api';
import { credentialKeys } from './store';
import type { UploadOutcome } from './verify';

// The signing and checking libraries (JSON-LD, canonicalisation, Ed25519) are large: they are
// loaded when a credential is first asked for, not by every start of the server or the CLI.
const service = () => require('./service') as typeof import('./service');
const verifier = () => require('./verify') as typeof import('./verify');

/** Larger than any credential this service issues (a few kilobytes) by far; anything bigger is not one of ours. */
export const MAX_CREDENTIAL_BYTES = 256 * 1024;
/** Checks one address may make in the window: each costs a signature check. */
export const CHECK_LIMIT = 30;
const CHECK_WINDOW_MS = 10 * 60 * 1000;

const MESSAGES: Record<Exclude<UploadOutcome, 'valid'>, string> = {
  'not-json': 'The file is not a digital certificate: it is not a JSON file. Choose the .json file the person gave you.',
  'not-credential': 'The file is JSON but not a digital certificate (an Open Badges credential with a signature).',
  'other-issuer': 'This credential was not issued by this partnership, so it cannot be checked here. Check it with the organisation that issued it.',
  'signature-invalid':
    'The signature does not match: the credential has been changed since the partnership issued it, or was not signed by the partnership. Do not rely on it.',
  expired: 'This credential has expired.',
  revoked: 'This credential has been revoked or replaced by a newer certificate. Do not rely on it.',
};

const PROBLEMS: UploadOutcome[] = ['not-json', 'not-credential', 'other-issuer', 'signature-invalid'];

function services(ctx: ModuleContext) {
  const pool = ctx.database.pool;
  const publicUrl = ctx.config.publicUrl;
  const partnershipName = async () => (await nameOfPartnership(pool)) ?? 'Domestic Abuse Partnership';
  const { ensureKeys, issuerProfile, statusListService, verificationMethod } = service();
  const statusList = statusListService(pool, publicUrl);
  const published = verifier().publishedDocuments({
    publicUrl,
    keys: () => ensureKeys(pool),
    issuer: async (keys) => issuerProfile(publicUrl, await partnershipName(), keys),
    key: (key) => verificationMethod(publicUrl, key),
    statusList,
  });
  return { published, statusList };
}

function sendJsonLd(res: express.Response, document: unknown, cache: string): void {
  res.type('application/ld+json');
  res.setHeader('cache-control', cache);
  // Wallets and verifiers running in a browser on another site read these too.
  res.setHeader('access-control-allow-origin', '*');
  res.setHeader('cross-origin-resource-policy', 'cross-origin');
  res.send(JSON.stringify(document, null, 2));
}

/**
 * Certificates as Open Badges 3.0 credentials: signed with the partnership's
 * Ed25519 key, checkable by any verifier from what is published under
 * /credentials, without trusting a PDF or asking us about the person.
 */
export default defineModule({
  name: 'credentials',
  dependsOn: ['certificates', 'partnership'],
  uploads: [/^\/verify$/],

  cli: {
    'credentials:rotate-key': {
      summary: 'Sign new Open Badges credentials with a new key (credentials signed before still verify)',
      usage: 'npm run cli -- credentials:rotate-key',
      async run(ctx) {
        const { ensureKeys, rotateKey } = service();
        await ensureKeys(ctx.database.pool);
        await rotateKey(ctx.database.pool);
        const keys = await credentialKeys(ctx.database.pool);
        console.log(`New signing key ${keys[0].id}; ${keys.length - 1} earlier key(s) stay published.`);
      },
    },
  },

  routes(ctx) {
    const router = express.Router();
    const pool = ctx.database.pool;
    let built: ReturnType<typeof services> | undefined;
    const published = () => {
      built ??= services(ctx);
      return built.published;
    };
    const limiter: RequestHandler = rateLimit({
      windowMs: CHECK_WINDOW_MS,
      limit: CHECK_LIMIT,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      handler: (_req, _res, next) => next(new HttpError(429, 'You have checked too many credentials in a short time. Wait 10 minutes and try again.')),
    });

    router.get('/credentials/issuer', async (_req, res) => {
      sendJsonLd(res, await published().issuer(), 'public, max-age=300');
    });

    router.get('/credentials/keys/:id', async (req, res) => {
      const id = String(req.params.id);
      const document = /^[0-9a-f-]{36}$/i.test(id) ? await published().key(id) : undefined;
      if (!document) throw new HttpError(404, 'There is no such key.');
      sendJsonLd(res, document, 'public, max-age=3600');
    });

    router.get('/credentials/status/:list', async (req, res) => {
      const list = String(req.params.list);
      const document = /^[1-9][0-9]{0,8}$/.test(list) ? await published().statusList(Number(list)) : undefined;
      if (!document) throw new HttpError(404, 'There is no such status list.');
      // A revocation must reach verifiers soon.
      sendJsonLd(res, document, 'public, max-age=60');
    });

    router.get('/my-certificates/:id/open-badge.json', allow(), async (req, res) => {
      const me = caller(req);
      const certificate = await getOwn(pool, me.userId, me.staffIds, String(req.params.id));
      if (!certificate) throw new HttpError(404, 'We could not find that certificate.');
      if (certificate.status === 'revoked') throw new HttpError(410, 'This certificate has been revoked and can no longer be downloaded.');
      if (certificate.replacedBy) throw new HttpError(410, 'This certificate has been reissued. Download the new one from My certificates.');
      const credential = await service().signedCredential(pool, ctx.config.publicUrl, certificate);
      res.type('application/ld+json');
      res.setHeader('content-disposition', `attachment; filename="open-badge-${certificate.code}.json"`);
      res.setHeader('cache-control', 'private, no-store');
      res.send(JSON.stringify(credential, null, 2));
    });

    router.post('/verify', limiter, async (req, res) => {
      const upload = await readOneFileUpload(req, { maxBytes: MAX_CREDENTIAL_BYTES });
      checkUploadToken(req, upload.fields);
      const render = (status: number, extra: Record<string, unknown>) =>
        res.status(status).render(ctx.view('verify-credential'), { title: 'Check a digital certificate', ...extra });
      const problem = (text: string) => render(400, { fileError: text, errors: [{ text, href: '#credential' }] });
      if (upload.tooLarge)
        return problem(`The file must be smaller than ${MAX_CREDENTIAL_BYTES / 1024} KB. A digital certificate from this partnership is much smaller.`);
      if (!upload.file)
        return problem(upload.unreadable ? 'The upload could not be read. Choose the file again.' : 'Choose the digital certificate file (.json) to check');
      const checked = await verifier().checkUploadedCredential(upload.file.bytes, published());
      if (PROBLEMS.includes(checked.outcome)) return problem(MESSAGES[checked.outcome as keyof typeof MESSAGES]);
      render(200, {
        result: checked,
        valid: checked.outcome === 'valid',
        message: checked.outcome === 'valid' ? 'This credential is valid.' : MESSAGES[checked.outcome as keyof typeof MESSAGES],
      });
    });

    return router;
  },
});
