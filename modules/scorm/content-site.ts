import { createHmac, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Request, Response } from 'express';
import type { Config } from '../../server/config';
import { isDatabaseUnavailable } from '../../server/errors';
import { packageDir } from '../../server/paths';
import type { Database } from '../../server/db';
import { lengthLimits } from './cmi';
import { versionDir } from './service';
import * as store from './store';

/**
 * E-learning packages are other people's HTML and scripts. They are served
 * from a content origin of their own, never the product's: there they hold
 * no session, cannot read the product's pages or cookies, and cannot act as
 * the person viewing them. Nothing of the product answers on that origin
 * but what is here: the package files behind a capability URL, the page
 * that frames a SCO and gives it the SCORM API, and that page's scripts.
 *
 * A capability is signed by this service for one attempt and the package
 * version it plays, and for the product page that may frame it; it expires.
 * It asks for no cookie and sets none.
 */

const SCORM_AGAIN_DIST = packageDir('scorm-again', 'dist');
const BRIDGE_FILES: Record<string, { file: string; type: string }> = {
  'cross-frame-api.min.js': { file: path.join(SCORM_AGAIN_DIST, 'cross-frame-api.min.js'), type: 'application/javascript; charset=utf-8' },
  'content-bridge.js': { file: path.join(__dirname, 'public', 'content-bridge.js'), type: 'application/javascript; charset=utf-8' },
  'content-frame.css': { file: path.join(__dirname, 'public', 'content-frame.css'), type: 'text/css; charset=utf-8' },
};

/** Long enough for a working day in one sitting; opening the course again issues a fresh one. */
export const CAPABILITY_LIFETIME_MS = 10 * 60 * 60 * 1000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface Capability {
  versionId: string;
  attemptId: string;
  /** The product page's origin, the only one that may frame the content and talk to it. */
  playerOrigin: string;
  expiresMs: number;
}

export interface CapabilitySigner {
  issue(c: Omit<Capability, 'expiresMs'>, now?: number): string;
  verify(token: string, now?: number): Capability | undefined;
}

export function capabilities(secret: string, lifetimeMs = CAPABILITY_LIFETIME_MS): CapabilitySigner {
  // A key of its own, so a capability can never pass for a commit token, a session or an unsubscribe link.
  const key = createHmac('sha256', secret).update('scorm content capability v1').digest();
  const mac = (claims: string) => createHmac('sha256', key).update(claims).digest('base64url');
  return {
    issue({ versionId, attemptId, playerOrigin }, now = Date.now()) {
      const claims = `${versionId}.${attemptId}.${Buffer.from(playerOrigin).toString('base64url')}.${Math.floor((now + lifetimeMs) / 1000)}`;
      return `${claims}.${mac(claims)}`;
    },
    verify(token, now = Date.now()) {
      if (token.length > 400) return undefined;
      const parts = token.split('.');
      if (parts.length !== 5) return undefined;
      const [versionId, attemptId, origin, expires, given] = parts;
      if (!UUID.test(versionId) || !UUID.test(attemptId) || !/^[\w-]{1,300}$/.test(origin) || !/^\d{1,12}$/.test(expires)) return undefined;
      const expected = Buffer.from(mac(parts.slice(0, 4).join('.')));
      const sent = Buffer.from(given);
      if (sent.length !== expected.length || !timingSafeEqual(sent, expected)) return undefined;
      const expiresMs = Number(expires) * 1000;
      if (expiresMs <= now) return undefined;
      return { versionId, attemptId, playerOrigin: Buffer.from(origin, 'base64url').toString(), expiresMs };
    },
  };
}

/** Host name with no port, lower case; IPv6 in brackets. */
function hostnameOf(host: string): string {
  const m = /^(\[[^\]]+\]|[^:]+)(?::\d+)?$/.exec(host.trim().toLowerCase());
  return m ? m[1] : '';
}

function portOf(host: string): string {
  return /:(\d+)$/.exec(host)?.[1] ?? '';
}

/**
 * Without CONTENT_URL, a loopback name of its own: browsers resolve every
 * name under .localhost to this machine (RFC 6761), and treat it as a site
 * apart from localhost and 127.0.0.1, so it shares no cookie with the
 * product and needs no configuration. A public deployment sets CONTENT_URL.
 */
export const DEFAULT_CONTENT_HOSTNAME = 'content.localhost';

/** The content origin's host name. */
export function contentHostname(config: Pick<Config, 'contentUrl'>): string {
  return config.contentUrl ? new URL(config.contentUrl).hostname : DEFAULT_CONTENT_HOSTNAME;
}

/** The content origin for a player page answered at `productHost` (the request's Host). */
export function contentOriginFor(config: Pick<Config, 'contentUrl'>, protocol: string, productHost: string): string {
  if (config.contentUrl) return new URL(config.contentUrl).origin;
  const port = portOf(productHost);
  return `${protocol}://${contentHostname(config)}${port ? `:${port}` : ''}`;
}

export function isContentRequest(config: Pick<Config, 'contentUrl'>, req: Request): boolean {
  // req.hostname: the Host header, or X-Forwarded-Host behind a proxy this server is told to trust.
  return (req.hostname ?? '').toLowerCase() === contentHostname(config) || hostnameOf(req.headers.host ?? '') === contentHostname(config);
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** Headers every answer of the content origin carries: no cookie, no referrer, no sniffing. */
function baseHeaders(res: Response): void {
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('referrer-policy', 'no-referrer');
  res.setHeader('cross-origin-opener-policy', 'same-origin');
  res.removeHeader('set-cookie');
}

function plain(res: Response, status: number, text: string, playerOrigin?: string): void {
  if (res.headersSent) return;
  baseHeaders(res);
  // Under a valid capability the answer shows inside the player's frames, so the player page may frame it too.
  const ancestors = playerOrigin ? `'self' ${playerOrigin}` : "'self'";
  res.setHeader('content-security-policy', `default-src 'none'; frame-ancestors ${ancestors}; base-uri 'none'; form-action 'none'`);
  res.setHeader('cache-control', 'no-store');
  res.status(status).type('text/plain; charset=utf-8').send(text);
}

/**
 * The player page's policy: the product's own, with frames only from the
 * content origin (package content never plays on this origin).
 */
export function playerCsp(policy: string, contentOrigin: string): string {
  return policy
    .split(';')
    .map((d) => (d.trim().startsWith('frame-src ') ? `frame-src ${contentOrigin}` : d.trim()))
    .filter(Boolean)
    .join('; ');
}

/**
 * What package content may do: run its own inline scripts and styles, load
 * its own files, and nothing else. It reaches no other site (so nothing it
 * reads can be sent away), is framed only by this origin and the player page,
 * and cannot navigate the top window or open new ones.
 */
export function packageCsp(playerOrigin: string): string {
  return [
    "default-src 'self'",
    "script-src 'self' 'unsafe-inline' 'unsafe-eval'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "frame-src 'self'",
    `frame-ancestors 'self' ${playerOrigin}`,
    "form-action 'self'",
    "base-uri 'self'",
    "object-src 'none'",
    'sandbox allow-scripts allow-same-origin allow-forms allow-modals',
  ].join('; ');
}

/** Path segments after a prefix, decoded; undefined for anything that could leave the folder. */
export function segments(rest: string): string[] | undefined {
  const parts = rest.split('/');
  const out: string[] = [];
  for (const p of parts) {
    let d: string;
    try {
      d = decodeURIComponent(p);
    } catch {
      return undefined;
    }
    if (!d || d === '.' || d === '..' || d.includes('\\') || d.includes('\0') || d.includes('/')) return undefined;
    out.push(d);
  }
  return out;
}

/**
 * Stores the SCO's last words for the capability's attempt; resolves to the
 * HTTP status to answer. Supplied by the module, which owns commits.
 */
export type LastWords = (cap: Capability, body: unknown) => Promise<number>;

function readBody(req: Request, limit: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        resolve(undefined);
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(undefined));
  });
}

/**
 * Answers every request to the content origin. Nothing here reads or sets
 * a cookie, and nothing is passed on to the product's routes.
 */
export async function serveContent(
  deps: { config: Config; database: Database },
  signer: CapabilitySigner,
  lastWords: LastWords,
  req: Request,
  res: Response,
): Promise<void> {
  try {
    // What a SCO says as its page is closed (unload handlers run after the player page has
    // gone, so the bridge cannot carry them): a beacon to this origin, for this capability's
    // attempt only, stored as the player's own commits are. It carries nothing a SCO could not
    // already say through the bridge, and a finished attempt refuses it.
    const last = req.method === 'POST' ? /^\/scorm\/last-words\/([^/]+)$/.exec(req.path) : null;
    if (last) {
      const cap = signer.verify(last[1]);
      if (!cap) return plain(res, 404, 'Not found.');
      const text = await readBody(req, 1024 * 1024);
      let body: unknown;
      try {
        body = text === undefined ? undefined : JSON.parse(text);
      } catch {
        body = undefined;
      }
      if (body === undefined) return plain(res, 400, 'The body is not a commit.');
      return plain(res, await lastWords(cap, body), '');
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return plain(res, 405, 'Only package files are served here.');
    const url = req.path;
    const bridge = /^\/scorm\/bridge\/([\w.-]+)$/.exec(url);
    if (bridge) {
      const found = BRIDGE_FILES[bridge[1]];
      if (!found) return plain(res, 404, 'Not found.');
      baseHeaders(res);
      res.setHeader('content-security-policy', "default-src 'none'");
      res.setHeader('cache-control', 'no-cache');
      res.type(found.type);
      return void res.sendFile(found.file, (err) => {
        if (err) plain(res, 404, 'Not found.');
      });
    }
    const run = /^\/scorm\/run\/([^/]+)$/.exec(url);
    if (run) {
      const cap = signer.verify(run[1]);
      if (!cap) return plain(res, 404, 'This link to the e-learning has expired or is not valid. Open the course again from the course page.');
      const launch = typeof req.query.launch === 'string' ? req.query.launch : '';
      const version = typeof req.query.v === 'string' && (req.query.v === '1.2' || req.query.v === '2004') ? req.query.v : '';
      const base = `/scorm/c/${run[1]}/`;
      let target: URL;
      try {
        target = new URL(launch, `http://content${base}`);
      } catch {
        return plain(res, 404, 'Not found.');
      }
      if (!launch || !version || target.host !== 'content' || !target.pathname.startsWith(base)) return plain(res, 404, 'Not found.');
      const title = typeof req.query.title === 'string' ? req.query.title.slice(0, 300) : 'E-learning content';
      const sco = typeof req.query.sco === 'string' ? req.query.sco.slice(0, 255) : '';
      const sessionId = typeof req.query.sid === 'string' && /^[\w-]{1,64}$/.test(req.query.sid) ? req.query.sid : '';
      baseHeaders(res);
      res.setHeader(
        'content-security-policy',
        `default-src 'none'; script-src 'self'; style-src 'self'; frame-src 'self'; connect-src 'self'; frame-ancestors ${cap.playerOrigin}; base-uri 'none'; form-action 'none'; sandbox allow-scripts allow-same-origin allow-forms allow-modals`,
      );
      res.setHeader('cache-control', 'no-store');
      res.type('text/html; charset=utf-8').send(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><link rel="stylesheet" href="/scorm/bridge/content-frame.css"></head>
<body data-player-origin="${escapeHtml(cap.playerOrigin)}" data-version="${version}" data-launch="${escapeHtml(target.pathname + target.search)}"
 data-sco="${escapeHtml(sco)}" data-session="${sessionId}" data-last-words="/scorm/last-words/${run[1]}"
 data-limits="${escapeHtml(JSON.stringify(lengthLimits(version === '1.2' ? '1.2' : '2004-4')))}">
<iframe id="sco" title="${escapeHtml(title)}"></iframe>
<script src="/scorm/bridge/cross-frame-api.min.js"></script>
<script src="/scorm/bridge/content-bridge.js"></script>
</body></html>`);
      return;
    }
    const file = /^\/scorm\/c\/([^/]+)\/(.+)$/.exec(url);
    if (!file) return plain(res, 404, 'Not found.');
    const cap = signer.verify(file[1]);
    const parts = cap ? segments(file[2]) : undefined;
    if (!cap || !parts) return plain(res, 404, 'Not found.');
    const version = await store.getVersion(deps.database.pool, cap.versionId);
    if (!version) return plain(res, 404, 'Not found.');
    const root = versionDir(deps.config, version.id);
    const full = path.join(root, ...parts);
    const missing = 'Not found: this file is not in the e-learning package.';
    if (!full.startsWith(root + path.sep) || !fs.existsSync(full) || !fs.statSync(full).isFile()) return plain(res, 404, missing, cap.playerOrigin);
    baseHeaders(res);
    res.setHeader('content-security-policy', packageCsp(cap.playerOrigin));
    res.setHeader('cache-control', 'private, max-age=300');
    res.sendFile(parts.join('/'), { root, dotfiles: 'deny', index: false }, (err) => {
      if (err) plain(res, 404, missing, cap.playerOrigin);
    });
  } catch (err) {
    if (isDatabaseUnavailable(err)) return plain(res, 503, 'The service is unavailable for a moment. Try again shortly.');
    plain(res, 404, 'Not found.');
  }
}
