import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { HttpError } from '../errors';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
export const CSRF_COOKIE = 'dal.csrf';

function sameToken(a: unknown, b: string | undefined): boolean {
  return typeof a === 'string' && !!b && a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * Synchroniser-token CSRF protection: one random token per session, put in
 * every form as `_csrf` (and available to scripts as `x-csrf-token`).
 * Requests authenticated by a bearer token carry no cookie and need none.
 *
 * A visitor who has not signed in has no session row: keeping one for every
 * page a crawler opens would grow the sessions table without end. Their
 * forms (sign in, reset a password, register) carry a token that is also in
 * a cookie of its own, signed with the session secret so only this service
 * can have made it; the session, once there is one, takes over.
 *
 * A token is never read from the address bar: there it would be kept in the
 * browser's history, in logs and in the Referer header. An upload form
 * (multipart) carries it as its first field; only the route reading that body
 * can see it, so on the paths modules declare as uploads the check is handed
 * to the route (`checkUploadToken`), and a multipart POST anywhere else is
 * refused for want of a token.
 */
export function csrfProtection(exempt: RegExp[], uploads: RegExp[], options: { secret: string; secureCookies: boolean }): RequestHandler {
  const sign = (nonce: string) => createHmac('sha256', options.secret).update(`csrf:${nonce}`).digest('base64url');
  const signedCookieToken = (value: string | undefined): string | undefined => {
    const [nonce, mac] = (value ?? '').split('.');
    return nonce && mac && sameToken(mac, sign(nonce)) ? `${nonce}.${mac}` : undefined;
  };
  const issueCookieToken = (res: Response): string => {
    const nonce = randomBytes(24).toString('base64url');
    const token = `${nonce}.${sign(nonce)}`;
    res.cookie(CSRF_COOKIE, token, { httpOnly: true, sameSite: 'lax', secure: options.secureCookies, path: '/' });
    return token;
  };

  return (req, res, next) => {
    const signedIn = !!(req.user as { id?: string } | undefined)?.id;
    if (req.session && !req.session.csrfToken && signedIn) req.session.csrfToken = randomBytes(24).toString('base64url');
    const cookieToken = signedCookieToken(cookieValue(req.headers.cookie, CSRF_COOKIE));
    const sessionToken = req.session?.csrfToken;
    if (sessionToken) res.locals.csrfToken = sessionToken;
    else if (req.caller?.via !== 'token') res.locals.csrfToken = cookieToken ?? issueCookieToken(res);

    if (SAFE_METHODS.has(req.method)) return next();
    if (req.caller?.via === 'token') return next();
    if (exempt.some((re) => re.test(req.path))) return next();
    // With a session the session's token is the only one; without, the signed cookie's.
    const matches = (sent: unknown) => (sessionToken ? sameToken(sent, sessionToken) : sameToken(sent, cookieToken));
    const sent = (req.body && typeof req.body === 'object' && (req.body as Record<string, unknown>)._csrf) || req.get('x-csrf-token');
    if (matches(sent)) return next();
    if (req.is('multipart/form-data') && uploads.some((re) => re.test(req.path))) {
      req.uploadTokenMatches = matches;
      return next();
    }
    next(new HttpError(403, EXPIRED));
  };
}

const EXPIRED = 'This form has expired or was not sent from this service. Go back, refresh the page and try again.';

/**
 * For an upload route: refuses the request unless the form's `_csrf` field
 * (read from the multipart body) is this visitor's token. Call it before
 * acting on anything the form sent.
 */
export function checkUploadToken(req: Request, fields: Record<string, string>): void {
  if (req.uploadTokenMatches && !req.uploadTokenMatches(fields._csrf)) throw new HttpError(403, EXPIRED);
}
