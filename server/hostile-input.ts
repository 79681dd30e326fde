import type { RequestHandler } from 'express';
import { HttpError } from './errors';

/**
 * Requests no person's browser sends, refused once here rather than in each
 * form: a NUL or other control character in any parameter (PostgreSQL cannot
 * store a NUL, so it failed deep in a query), a path whose percent-encoding
 * does not decode, and parameter names that reach an object's prototype.
 * Tab, line feed and carriage return stay allowed: text areas send them.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
export const HOSTILE_INPUT_MESSAGE =
  'The form or web address contains characters that cannot be used, such as a hidden control character. Go back, remove them and try again.';

function hostile(value: unknown, refused: RegExp, depth = 0): boolean {
  if (typeof value === 'string') return refused.test(value);
  if (depth > 20) return true;
  if (Array.isArray(value)) return value.some((v) => hostile(v, refused, depth + 1));
  if (value && typeof value === 'object') {
    for (const key of Object.keys(value)) {
      if (PROTOTYPE_KEYS.has(key) || refused.test(key)) return true;
      if (hostile((value as Record<string, unknown>)[key], refused, depth + 1)) return true;
    }
  }
  return false;
}

/**
 * JSON bodies come from scripts, not people: SCORM content may keep compressed
 * progress data with control characters in it, which PostgreSQL stores. Only
 * a NUL, which it cannot, is refused there.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: as above
const NUL = /\u0000/;

/** Before anything reads the path (static files, the router's own parameter decoding). */
export const refuseHostilePath: RequestHandler = (req, _res, next) => {
  const pathPart = (req.originalUrl ?? req.url).split('?')[0];
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathPart);
  } catch {
    return next(new HttpError(400, 'The web address is not valid. Check it is correct.'));
  }
  if (CONTROL.test(decoded)) return next(new HttpError(400, 'The web address is not valid. Check it is correct.'));
  next();
};

/** After the body parsers: every query and form parameter, whatever the route. */
export const refuseHostileParameters: RequestHandler = (req, _res, next) => {
  if (hostile(req.query, CONTROL) || hostile(req.body, req.is('application/json') ? NUL : CONTROL)) return next(new HttpError(400, HOSTILE_INPUT_MESSAGE));
  next();
};
