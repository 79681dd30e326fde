/**
 * Secrets that travel in addresses, kept out of log lines: the token of a
 * password-reset, invitation or email-confirmation link, a CSRF token, a SAML
 * response or relay state sent in a query string, and any path segment long
 * and random enough to be a token. Ids (UUIDs) and readable slugs stay, so a
 * request can still be traced.
 */
const SECRET_QUERY_KEYS = /^(_csrf|token|code|samlresponse|samlrequest|relaystate|signature|sigalg|password|access_token|id_token)$/i;
const TOKEN_SEGMENT = /^[A-Za-z0-9_~.%-]{24,}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Routes whose last segment is a secret whatever it looks like. */
const SECRET_ROUTES = /^\/(password-reset|invitations|public-learning\/confirm|training-sessions\/offers|sign-in\/link)\/(?!new$|accept$)[^/]+/;

export const REDACTED = '[redacted]';

export function redactUrl(url: string | undefined): string {
  if (!url) return '';
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  const query = q === -1 ? '' : url.slice(q + 1);
  let safePath = path.replace(SECRET_ROUTES, (_m, route: string) => `/${route}/${REDACTED}`);
  safePath = safePath
    .split('/')
    .map((segment) => (TOKEN_SEGMENT.test(segment) && !UUID.test(segment) && /\d/.test(segment) && /[A-Za-z]/.test(segment) ? REDACTED : segment))
    .join('/');
  if (!query) return safePath;
  const safeQuery = query
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const key = eq === -1 ? pair : pair.slice(0, eq);
      let name = key;
      try {
        name = decodeURIComponent(key.replace(/\+/g, ' '));
      } catch {}
      return SECRET_QUERY_KEYS.test(name) ? `${key}=${REDACTED}` : pair;
    })
    .join('&');
  return `${safePath}?${safeQuery}`;
}

/**
 * An email's text with every link that carries a secret (a password-reset,
 * invitation or confirmation token) withheld: the outbox is for checking what
 * was sent, and another person's live link would let its reader become them.
 */
export function withoutSecretLinks(text: string): string {
  return text.replace(/https?:\/\/[^\s<>"]+/g, (link) => {
    const path = link.replace(/^https?:\/\/[^/]+/, '') || '/';
    return redactUrl(path) === path ? link : '[link withheld: only the person it was sent to can use it]';
  });
}
