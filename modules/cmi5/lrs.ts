import { createHash, randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import { isDatabaseUnavailable } from '../../server/errors';
import type { ModuleContext } from '../../server/module';
import { hash, type LaunchContext, launchContext, launchData, recordStatements } from './service';
import { isLaunchActor, StatementRefused, UUID } from './statements';
import * as store from './store';

/**
 * The product's own LRS, as much of xAPI 1.0.3 as cmi5 needs: statements,
 * activity state, activity and agent profiles, about. It answers on the
 * content origin only (no session, no cookie), and each request is signed in
 * by the token one launch's fetch URL handed out, which covers that learner,
 * that registration and that session only.
 */

const XAPI_VERSION = '1.0.3';
const MAX_BODY = 1024 * 1024;

function cors(res: Response): void {
  // Any origin: an AU at an outside address calls from there. No cookie is ever read, so nothing rides along.
  res.setHeader('access-control-allow-origin', '*');
  res.setHeader('access-control-allow-headers', 'Authorization, Content-Type, X-Experience-API-Version, If-Match, If-None-Match');
  res.setHeader('access-control-allow-methods', 'GET, PUT, POST, DELETE, OPTIONS, HEAD');
  res.setHeader('access-control-expose-headers', 'ETag, Last-Modified, X-Experience-API-Version, X-Experience-API-Consistent-Through, Content-Type');
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('cache-control', 'no-store');
  res.setHeader('x-experience-api-version', XAPI_VERSION);
  res.setHeader('content-security-policy', "default-src 'none'; frame-ancestors 'none'");
  res.removeHeader('set-cookie');
}

function send(res: Response, status: number, body?: unknown): void {
  if (res.headersSent) return;
  if (body === undefined) {
    res.status(status).end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const problem = (res: Response, status: number, message: string) => send(res, status, { error: { status, message } });

function readBody(req: Request): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        resolve(undefined);
        req.resume();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', () => resolve(undefined));
  });
}

function parseJson(body: Buffer): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(body.toString('utf8')) };
  } catch {
    return { ok: false };
  }
}

/** The launch a request's token belongs to: Basic, with the token as cmi5 hands it out. */
async function authenticate(ctx: ModuleContext, req: Request): Promise<LaunchContext | undefined> {
  const header = req.headers.authorization ?? '';
  const m = /^Basic\s+(\S{10,200})$/i.exec(header);
  if (!m) return undefined;
  const sessionId = await store.sessionIdForToken(ctx.database.pool, hash(m[1]));
  if (!sessionId) return undefined;
  const launch = await launchContext(ctx, ctx.database.pool, sessionId);
  // The token lasts as long as its session (section 8.2.1): an abandoned one is over.
  if (!launch || launch.session.abandonedAt) return undefined;
  return launch;
}

function queryString(req: Request, name: string): string | undefined {
  const v = req.query[name];
  return typeof v === 'string' ? v : undefined;
}

/** The agent parameter, which must be this launch's learner. */
function agentMatches(req: Request, launch: LaunchContext): 'missing' | 'bad' | 'other' | 'ok' {
  const raw = queryString(req, 'agent');
  if (raw === undefined) return 'missing';
  let agent: unknown;
  try {
    agent = JSON.parse(raw);
  } catch {
    return 'bad';
  }
  return isLaunchActor(agent, launch.facts.actor) ? 'ok' : 'other';
}

const etagOf = (content: Buffer) => `"${createHash('sha1').update(content).digest('hex')}"`;

/** If-Match / If-None-Match on a document (xAPI concurrency): false when the request must not go ahead. */
function preconditionsHold(req: Request, existing: Buffer | undefined): boolean {
  const ifMatch = req.headers['if-match'];
  const ifNoneMatch = req.headers['if-none-match'];
  if (typeof ifMatch === 'string' && (!existing || (ifMatch.trim() !== '*' && ifMatch.trim() !== etagOf(existing)))) return false;
  if (typeof ifNoneMatch === 'string' && existing && (ifNoneMatch.trim() === '*' || ifNoneMatch.trim() === etagOf(existing))) return false;
  return true;
}

function sendDocument(res: Response, doc: { content: Buffer; contentType: string; updatedAt: Date }): void {
  res.setHeader('etag', etagOf(doc.content));
  res.setHeader('last-modified', doc.updatedAt.toUTCString());
  res.status(200).type(doc.contentType).send(doc.content);
}

/** A document resource (state, activity profile, agent profile): GET, PUT, POST (JSON merge), DELETE. */
async function documentResource(
  ctx: ModuleContext,
  req: Request,
  res: Response,
  key: Omit<store.DocumentKey, 'documentId'>,
  documentId: string | undefined,
  fallback?: () => Buffer,
): Promise<void> {
  const pool = ctx.database.pool;
  if (req.method === 'GET' || req.method === 'HEAD') {
    if (documentId === undefined) return send(res, 200, await store.listDocumentIds(pool, key));
    const doc = await store.getDocument(pool, { ...key, documentId });
    if (doc) return sendDocument(res, doc);
    if (fallback) return sendDocument(res, { content: fallback(), contentType: 'application/json', updatedAt: new Date() });
    return problem(res, 404, 'No such document.');
  }
  if (req.method === 'DELETE') {
    if (documentId !== undefined) {
      const existing = await store.getDocument(pool, { ...key, documentId });
      if (!preconditionsHold(req, existing?.content)) return problem(res, 412, 'The document has changed (If-Match or If-None-Match did not hold).');
    }
    await store.deleteDocuments(pool, { ...key, documentId });
    return send(res, 204);
  }
  if (req.method !== 'PUT' && req.method !== 'POST') return problem(res, 405, 'Use GET, PUT, POST or DELETE.');
  if (documentId === undefined) return problem(res, 400, 'Say which document (stateId or profileId).');
  const body = await readBody(req);
  if (body === undefined) return problem(res, 413, 'The document is larger than 1 MB.');
  const contentType = (req.headers['content-type'] ?? 'application/octet-stream').split(';')[0].trim().toLowerCase() || 'application/octet-stream';
  const existing = await store.getDocument(pool, { ...key, documentId });
  if (!preconditionsHold(req, existing?.content)) return problem(res, 412, 'The document has changed (If-Match or If-None-Match did not hold).');
  let content = body;
  if (req.method === 'POST') {
    // xAPI: POST merges JSON objects into a stored JSON object.
    const given = contentType === 'application/json' ? parseJson(body) : { ok: false as const };
    if (!given.ok || typeof given.value !== 'object' || given.value === null || Array.isArray(given.value))
      return problem(res, 400, 'POST merges JSON objects: send a JSON object, or PUT to replace the document.');
    if (existing) {
      const old = existing.contentType === 'application/json' ? parseJson(existing.content) : { ok: false as const };
      if (!old.ok || typeof old.value !== 'object' || old.value === null || Array.isArray(old.value))
        return problem(res, 400, 'The stored document is not a JSON object, so it cannot be merged; PUT replaces it.');
      content = Buffer.from(JSON.stringify({ ...(old.value as object), ...(given.value as object) }));
    }
  } else if (contentType === 'application/json' && !parseJson(body).ok) {
    return problem(res, 400, 'The document says it is JSON but is not valid JSON.');
  }
  await store.putDocument(pool, { ...key, documentId }, content, contentType);
  send(res, 204);
}

async function statementsResource(ctx: ModuleContext, req: Request, res: Response, launch: LaunchContext): Promise<void> {
  const pool = ctx.database.pool;
  if (req.method === 'GET' || req.method === 'HEAD') {
    const statementId = queryString(req, 'statementId');
    if (queryString(req, 'voidedStatementId') !== undefined) return problem(res, 404, 'No voided statement: AUs cannot void statements here.');
    if (statementId !== undefined) {
      if (!UUID.test(statementId)) return problem(res, 400, 'statementId must be a UUID.');
      const found = await store.statementById(pool, statementId);
      // Another learner's statement is as absent as one that does not exist.
      if (!found || found.registrationId !== launch.registration.id) return problem(res, 404, 'No such statement.');
      return send(res, 200, found.statement);
    }
    const agent = agentMatches(req, launch);
    if (agent === 'bad') return problem(res, 400, 'The agent parameter is not JSON.');
    if (agent === 'other') return problem(res, 403, 'This launch may only read its own learner’s statements.');
    const registration = queryString(req, 'registration');
    if (registration !== undefined && registration !== launch.registration.id)
      return problem(res, 403, 'This launch may only read its own registration’s statements.');
    const limitParam = Number(queryString(req, 'limit') ?? '0');
    const limit = Number.isInteger(limitParam) && limitParam > 0 ? Math.min(limitParam, 500) : 500;
    const since = queryString(req, 'since');
    if (since !== undefined && Number.isNaN(Date.parse(since))) return problem(res, 400, 'since must be a timestamp.');
    const statements = await store.statementsOfRegistration(pool, launch.registration.id, { verb: queryString(req, 'verb'), since, limit });
    res.setHeader('x-experience-api-consistent-through', new Date().toISOString());
    return send(res, 200, { statements, more: '' });
  }
  if (req.method !== 'PUT' && req.method !== 'POST') return problem(res, 405, 'Use GET, PUT or POST.');
  const body = await readBody(req);
  if (body === undefined) return problem(res, 413, 'The request is larger than 1 MB.');
  const parsed = parseJson(body);
  if (!parsed.ok) return problem(res, 400, 'The body is not valid JSON.');
  let forcedId: string | undefined;
  if (req.method === 'PUT') {
    forcedId = queryString(req, 'statementId');
    if (!forcedId || !UUID.test(forcedId)) return problem(res, 400, 'PUT needs statementId (a UUID) in the address.');
    if (typeof parsed.value !== 'object' || parsed.value === null || Array.isArray(parsed.value)) return problem(res, 400, 'PUT takes one statement.');
  }
  const list = Array.isArray(parsed.value) ? parsed.value : [parsed.value];
  if (!list.length) return problem(res, 400, 'There are no statements in the request.');
  const ids = await recordStatements(ctx, launch.session.id, list, forcedId);
  if (req.method === 'PUT') return send(res, 204);
  send(res, 200, ids);
}

/** Answers one request under /lrs/ on the content origin. */
export async function answerLrs(ctx: ModuleContext, req: Request, res: Response): Promise<void> {
  cors(res);
  try {
    if (req.method === 'OPTIONS') return send(res, 204);
    const resource = req.path.replace(/^\/lrs\/?/, '').replace(/\/$/, '');
    if (resource === 'about') return send(res, 200, { version: [XAPI_VERSION] });
    if (req.query.method !== undefined)
      return problem(res, 400, 'The alternate request syntax (method=) is not supported; send the request with its own method.');
    const known = ['statements', 'activities/state', 'activities/profile', 'agents/profile', 'activities', 'agents'];
    if (!known.includes(resource)) return problem(res, 404, 'No such xAPI resource.');
    const launch = await authenticate(ctx, req);
    if (!launch)
      return problem(res, 401, 'Sign in with the token from this launch’s fetch URL (Authorization: Basic <token>). A token lasts for its session only.');
    const version = req.headers['x-experience-api-version'];
    if (typeof version !== 'string' || !/^1\.0(\.\d+)?$/.test(version.trim())) return problem(res, 400, 'Send the X-Experience-API-Version header (1.0.x).');
    const userId = launch.registration.userId;
    if (resource === 'statements') return await statementsResource(ctx, req, res, launch);
    if (resource === 'activities') {
      const activityId = queryString(req, 'activityId');
      if (!activityId) return problem(res, 400, 'activityId is required.');
      return send(res, 200, { objectType: 'Activity', id: activityId });
    }
    const agent = agentMatches(req, launch);
    if (resource === 'agents') {
      if (agent === 'missing' || agent === 'bad') return problem(res, 400, 'agent (JSON) is required.');
      if (agent === 'other') return problem(res, 403, 'This launch may only ask about its own learner.');
      return send(res, 200, { objectType: 'Person', account: [launch.facts.actor.account] });
    }
    if (resource === 'activities/state') {
      const activityId = queryString(req, 'activityId');
      if (!activityId) return problem(res, 400, 'activityId is required.');
      if (agent === 'missing' || agent === 'bad') return problem(res, 400, 'agent (JSON) is required.');
      if (agent === 'other') return problem(res, 403, 'This launch may only read and write its own learner’s state.');
      const registration = queryString(req, 'registration');
      if (registration !== undefined && registration !== launch.registration.id)
        return problem(res, 403, 'This launch may only use its own registration’s state.');
      const stateId = queryString(req, 'stateId');
      if (stateId === 'LMS.LaunchData') {
        // Made by the LMS for this session; the AU must not change it (section 10).
        if (req.method !== 'GET' && req.method !== 'HEAD') return problem(res, 403, 'LMS.LaunchData belongs to the LMS; an AU may only read it.');
        if (activityId !== launch.facts.activityId || registration !== launch.registration.id) return problem(res, 404, 'No such document.');
        return sendDocument(res, {
          content: Buffer.from(JSON.stringify(launchData(launch))),
          contentType: 'application/json',
          updatedAt: launch.session.launchedAt,
        });
      }
      return await documentResource(ctx, req, res, { owner: userId, kind: 'state', activityId, registration: registration ?? '' }, stateId);
    }
    if (resource === 'agents/profile') {
      if (agent === 'missing' || agent === 'bad') return problem(res, 400, 'agent (JSON) is required.');
      if (agent === 'other') return problem(res, 403, 'This launch may only read and write its own learner’s profile.');
      const profileId = queryString(req, 'profileId');
      const preferences = () => Buffer.from(JSON.stringify({ languagePreference: 'en-GB', audioPreference: 'on' }));
      return await documentResource(
        ctx,
        req,
        res,
        { owner: userId, kind: 'agent-profile', activityId: '', registration: '' },
        profileId,
        profileId === 'cmi5LearnerPreferences' ? preferences : undefined,
      );
    }
    // activities/profile: shared by the learners of one package, never across packages.
    const activityId = queryString(req, 'activityId');
    if (!activityId) return problem(res, 400, 'activityId is required.');
    return await documentResource(
      ctx,
      req,
      res,
      { owner: launch.version.packageId, kind: 'activity-profile', activityId, registration: '' },
      queryString(req, 'profileId'),
    );
  } catch (err) {
    if (err instanceof StatementRefused) return problem(res, err.status, err.message);
    if (isDatabaseUnavailable(err)) return problem(res, 503, 'The service is unavailable for a moment. Try again shortly.');
    ctx.logger.error({ err }, 'cmi5 LRS request failed');
    // Never a 500 for what an AU sends: anything unforeseen is refused as a bad request.
    problem(res, 400, 'The request could not be processed.');
  }
}

/** The fetch URL (section 8.2): a POST gives the session's token once; any later call, error-code 1. */
export async function answerFetch(ctx: ModuleContext, req: Request, res: Response, key: string): Promise<void> {
  cors(res);
  if (req.method === 'OPTIONS') return send(res, 204);
  if (req.method !== 'POST') return problem(res, 405, 'The fetch URL takes a POST.');
  req.resume();
  try {
    const token = randomBytes(32).toString('base64url');
    const outcome = await store.claimFetch(ctx.database.pool, hash(key), hash(token));
    if (outcome === 'issued') return send(res, 200, { 'auth-token': token });
    if (outcome === 'used')
      return send(res, 200, { 'error-code': '1', 'error-text': 'The authorization token has already been returned, or the session has ended.' });
    return send(res, 200, { 'error-code': '2', 'error-text': 'This fetch URL is not valid.' });
  } catch (err) {
    if (isDatabaseUnavailable(err)) return send(res, 200, { 'error-code': '3', 'error-text': 'The service is unavailable for a moment.' });
    throw err;
  }
}
