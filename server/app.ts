import { randomUUID } from 'node:crypto';
import path from 'node:path';
import express, { type ErrorRequestHandler, type Express, type Request } from 'express';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import { installAuthentication, installSessions, signInRoutes } from './auth';
import { csrfProtection } from './auth/csrf';
import { installGovukAssets } from './govuk-assets';
import type { Config } from './config';
import type { Database } from './db';
import { HttpError, isDatabaseUnavailable } from './errors';
import { redactUrl } from './redact';
import { refuseHostileParameters, refuseHostilePath } from './hostile-input';
import type { Logger } from './logger';
import { metricsEndpoint, type ProductMetrics } from './metrics';
import type { LoadedModule, ModuleContext } from './module';
import { createNavigation, HUB_PATH } from './nav';
import { createPartnershipCache } from './partnership';
import { APP_DIR, packageDir } from './paths';
import { installViews } from './views';

export const ROOT_DIR = APP_DIR;

export interface AppParts {
  config: Config;
  database: Database;
  logger: Logger;
  modules: LoadedModule[];
  contextFor(mod: LoadedModule): ModuleContext;
  metrics: ProductMetrics;
  ready(): Promise<{ database: boolean; migrations: boolean }>;
}

/** Answered before anything else, and never written to the request log (probes and scrapers call them every few seconds). */
const QUIET_PATHS = new Set(['/health', '/health/live', '/health/ready', '/metrics']);

function wantsJson(req: Request): boolean {
  return req.originalUrl.startsWith('/api/') || (req.accepts(['html', 'json']) === 'json' && !req.accepts('html'));
}

function isClientError(err: unknown): boolean {
  const status = (err as { status?: unknown; expose?: unknown })?.status;
  return typeof status === 'number' && status >= 400 && status < 500;
}

/** PostgreSQL's "data exception" class: the value sent cannot be the column's type. */
function isBadValueForDatabase(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && /^22[0-9A-Z]{3}$/.test(code) && (err as { severity?: unknown }).severity !== undefined;
}

export function createApp({ config, database, logger, modules, contextFor, metrics, ready }: AppParts): Express {
  const app = express();
  app.disable('x-powered-by');
  if (config.trustProxy) app.set('trust proxy', 1);
  installViews(
    app,
    ROOT_DIR,
    modules.map((m) => m.viewsDir),
  );
  const partnership = createPartnershipCache(async () =>
    Object.assign({}, ...(await Promise.all(modules.map((m) => m.definition.siteSettings?.(contextFor(m)) ?? {})))),
  );
  app.locals.partnershipCache = partnership;

  // Timed from the first byte the app sees, SCORM commits on their commit token included.
  app.use(metrics.httpTimer);

  // First, before request logging, security headers and sessions: see FeatureModule.routesBeforeSession.
  for (const mod of modules) if (mod.definition.routesOnContentOrigin) app.use(mod.definition.routesOnContentOrigin(contextFor(mod)));
  for (const mod of modules) if (mod.definition.routesBeforeSession) app.use(mod.definition.routesBeforeSession(contextFor(mod)));

  app.use(
    pinoHttp({
      logger,
      genReqId: (req, res) => {
        const given = req.headers['x-request-id'];
        const id = typeof given === 'string' && /^[\w-]{1,64}$/.test(given) ? given : randomUUID();
        res.setHeader('x-request-id', id);
        return id;
      },
      // Method, path, status and id are enough to trace a request; headers hold cookies and tokens, and addresses can hold link tokens.
      serializers: {
        req: (req: { id: unknown; method: string; url: string }) => ({ id: req.id, method: req.method, url: redactUrl(req.url) }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      autoLogging: { ignore: (req) => QUIET_PATHS.has(req.url ?? '') || (req.url ?? '').startsWith('/assets/') || (req.url ?? '').startsWith('/public/') },
    }),
  );

  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          'default-src': ["'self'"],
          'script-src': ["'self'"],
          'style-src': ["'self'"],
          'img-src': ["'self'", 'data:'],
          'font-src': ["'self'"],
          'connect-src': ["'self'"],
          // SCORM content plays in a frame from this same site.
          'frame-src': ["'self'"],
          'frame-ancestors': ["'self'"],
          'form-action': ["'self'"],
          'base-uri': ["'self'"],
          'object-src': ["'none'"],
          ...(config.secureCookies ? { 'upgrade-insecure-requests': [] } : {}),
        },
      },
      // The quick-exit button must take someone away without the next site learning where from.
      referrerPolicy: { policy: 'no-referrer' },
      strictTransportSecurity: config.secureCookies,
      crossOriginEmbedderPolicy: false,
    }),
  );

  app.use(refuseHostilePath);

  const staticOptions = { maxAge: config.env === 'production' ? '1d' : 0, index: false };
  installGovukAssets(app, packageDir('govuk-frontend', 'dist/govuk'), staticOptions);
  app.use('/public', express.static(path.join(ROOT_DIR, 'public'), staticOptions));
  for (const mod of modules) app.use(`/modules/${mod.definition.name}`, express.static(mod.publicDir, staticOptions));

  // Off: passed on to the ordinary "page not found". On: a bearer token, or 401.
  app.get('/metrics', metricsEndpoint(metrics, config.metricsToken));

  // Liveness: the process is up and serving; nothing else is asked, so a database
  // outage never makes an orchestrator restart a server that would recover by itself.
  app.get('/health/live', (_req, res) => {
    res.set('cache-control', 'no-store').json({ status: 'ok' });
  });
  // Readiness: send this instance traffic only when its database answers and holds every migration.
  app.get('/health/ready', async (_req, res) => {
    const state = await ready();
    const ok = state.database && state.migrations;
    res
      .status(ok ? 200 : 503)
      .set('cache-control', 'no-store')
      .json({
        status: ok ? 'ok' : 'unavailable',
        db: state.database ? 'ok' : 'unavailable',
        migrations: state.migrations ? 'ok' : state.database ? 'pending' : 'unknown',
      });
  });

  // Before sessions: the health check must answer even when the database does not.
  // The original check, kept as it is for monitors that already use it: 200 when the database answers.
  app.get('/health', async (_req, res) => {
    const ok = await database.ping();
    res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'unavailable', db: ok ? 'ok' : 'unavailable' });
  });

  app.use(express.json({ limit: '1mb' }));
  app.use(express.urlencoded({ extended: false, limit: '1mb' }));
  app.use(refuseHostileParameters);
  installSessions(app, config, database, logger);
  // express-session writes the session as the response ends, but a browser
  // follows a redirect as soon as it has the headers: a flash message set just
  // before redirecting could be missing on the next page. Save first.
  app.use((req, res, next) => {
    const redirect = res.redirect.bind(res) as (...args: unknown[]) => void;
    res.redirect = ((...args: unknown[]) => {
      if (!req.session) return redirect(...args);
      req.session.save((err) => {
        if (err) return next(err);
        savedForGood(req.session);
        redirect(...args);
      });
    }) as typeof res.redirect;
    next();
  });
  const authenticator = installAuthentication(app, database, logger, config);
  app.use(
    csrfProtection(
      modules.flatMap((m) => m.definition.csrfExempt ?? []),
      modules.flatMap((m) => m.definition.uploads ?? []),
      { secret: config.sessionSecret, secureCookies: config.secureCookies },
    ),
  );

  const navigation = createNavigation(modules.flatMap((m) => m.definition.nav ?? []));
  app.use(async (req, res, next) => {
    try {
      res.locals.caller = req.caller;
      res.locals.partnership = await partnership.get();
      res.locals.nav = navigation.rowFor(req);
      res.locals.accountLinks = navigation.accountFor(req);
      if (req.session?.flash) {
        res.locals.flash = req.session.flash;
        delete req.session.flash;
      }
      next();
    } catch (err) {
      next(err);
    }
  });

  // A module that cannot answer (its tables not there) offers no other way in, as none would work.
  const signInChoices = async () => (await Promise.all(modules.map((m) => m.definition.signInChoices?.(contextFor(m)).catch(() => []) ?? []))).flat();
  app.use(signInRoutes(database, config, authenticator, signInChoices));
  app.get(HUB_PATH, ...navigation.hubPage());
  app.get('/accessibility', (_req, res) => res.render('pages/accessibility', { title: 'Accessibility statement' }));
  app.get('/privacy', (_req, res) => res.render('pages/privacy', { title: 'Privacy' }));
  app.get('/support', async (_req, res) =>
    res.render('pages/support', { title: 'Get help with domestic abuse', supportLinks: (await partnership.get()).supportLinks }),
  );

  for (const mod of modules) if (mod.definition.routesBeforeOthers) app.use(mod.definition.routesBeforeOthers(contextFor(mod)));
  const api = express.Router();
  for (const mod of modules) {
    const ctx = contextFor(mod);
    if (mod.definition.routes) app.use(mod.definition.routes(ctx));
    if (mod.definition.api) api.use(mod.definition.api(ctx));
  }
  app.use('/api/v1', api);
  // After the modules: a module may answer the home page for some people (a learner's own training) and pass the rest on.
  app.get('/', (_req, res) => res.render('pages/home', { title: 'Home' }));

  app.use((req, _res, next) => next(new HttpError(404, req.originalUrl.startsWith('/api/') ? 'No such API endpoint.' : 'Page not found')));

  const errorHandler: ErrorRequestHandler = (err, req, res, _next) => {
    let status = 500;
    let message = 'Sorry, there is a problem with the service. Try again later.';
    let heading = 'Sorry, there is a problem with the service';
    const unavailable = isDatabaseUnavailable(err);
    if (err instanceof HttpError) {
      status = err.status;
      message = err.message;
      heading = status === 404 ? 'Page not found' : status === 403 ? 'You cannot see this page' : status === 401 ? 'You need to sign in' : 'There is a problem';
      if (status === 404 && !req.originalUrl.startsWith('/api/'))
        message = 'If you typed the web address, check it is correct. If you pasted the web address, check you copied the entire address.';
    } else if (unavailable) {
      status = 503;
      heading = 'Sorry, the service is unavailable';
      message = 'The service cannot reach its database at the moment.';
    } else if ((err as { type?: string }).type === 'entity.parse.failed') {
      status = 400;
      message = 'The request body is not valid JSON.';
    } else if ((err as { type?: string }).type === 'entity.too.large') {
      status = 413;
      message = 'The request is too large.';
    } else if (isBadValueForDatabase(err)) {
      // A value a handler passed on unchecked (not a UUID, a number out of range): the statement failed and its transaction rolled back, so nothing changed.
      status = 400;
      heading = 'There is a problem';
      message = 'The request holds a value that is not valid. Go back, check what you entered and try again.';
      (req.log ?? logger).warn({ err: { code: (err as { code?: string }).code, message: (err as Error).message } }, 'value refused by the database');
    } else if (isClientError(err)) {
      // The router's own refusals (a path parameter that does not decode) and the body parsers' others.
      status = (err as { status: number }).status;
      heading = 'There is a problem';
      message = 'The request is not valid. Check the web address or go back and try again.';
    }
    // Logged once, with its stack: a 503 is the outage log's to report, and a 4xx is the person's mistake.
    if (status >= 500 && status !== 503) (req.log ?? logger).error({ err }, 'server error');
    if (res.headersSent) return;
    res.status(status);
    if (wantsJson(req)) {
      res.json({ error: { status, message, ...(err instanceof HttpError && err.details ? { details: err.details } : {}) } });
      return;
    }
    res.locals.partnership ??= partnership.fallback;
    res.render('pages/error', { title: heading, heading, message, unavailable }, (renderErr: Error | null, html?: string) => {
      if (renderErr) res.type('text/plain').send(`${heading}\n\n${message}`);
      else res.send(html);
    });
  };
  app.use(errorHandler);
  return app;
}

/**
 * After a session id changes (signing in regenerates it), express-session
 * writes the session again as the response ends, once the headers are out.
 * The browser is by then following the redirect, and that late copy can land
 * after the next page has added to the session (its form token), wiping that
 * out: the person's first form is refused as expired. The session was just
 * saved, so while it is unchanged it is not written again.
 */
function savedForGood(session: NonNullable<express.Request['session']>): void {
  const unchanged = (s: object) => JSON.stringify({ ...s, cookie: undefined });
  const saved = unchanged(session);
  const save = session.save;
  Object.defineProperty(session, 'save', {
    configurable: true,
    enumerable: false,
    writable: true,
    value(this: typeof session, callback?: (err?: unknown) => void) {
      if (unchanged(this) === saved) {
        callback?.();
        return this;
      }
      return save.call(this, callback);
    },
  });
}
