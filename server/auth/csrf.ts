import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { HttpError } from '../errors';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Synchroniser-token CSRF protection: one random token per session, put in
 * every form as `_csrf` (and available to scripts as `x-csrf-token`).
 * Requests authenticated by a bearer token carry no cookie and need none.
 */
export function csrfProtection(exempt: RegExp[]): RequestHandler {
  return (req, res, next) => {
    if (req.session && !req.session.csrfToken) req.session.csrfToken = randomBytes(24).toString('base64url');
    res.locals.csrfToken = req.session?.csrfToken;
    if (SAFE_METHODS.has(req.method)) return next();
    if (req.caller?.via === 'token') return next();
    if (exempt.some((re) => re.test(req.path))) return next();
    const sent = (req.body && typeof req.body === 'object' && (req.body as Record<string, unknown>)._csrf) || req.get('x-csrf-token') || (req.query._csrf as string | undefined);
    const expected = req.session?.csrfToken;
    if (typeof sent === 'string' && expected && sent.length === expected.length && timingSafeEqual(Buffer.from(sent), Buffer.from(expected))) {
      return next();
    }
    next(new HttpError(403, 'This form has expired or was not sent from this service. Go back, refresh the page and try again.'));
  };
}
