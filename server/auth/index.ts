import connectPgSimple from 'connect-pg-simple';
import express, { type Express, type Router } from 'express';
import rateLimit from 'express-rate-limit';
import session from 'express-session';
import passport from 'passport';
import { Strategy as LocalStrategy } from 'passport-local';
import type { Config } from '../config';
import { HttpError } from '../errors';
import type { Database } from '../db';
import type { Logger } from '../logger';
import {
  FAILURE_WINDOW_MINUTES,
  FAILURES_PER_ADDRESS,
  FAILURES_PER_IP,
  failureCounts,
  isThrottled,
  KNOWN_BROWSER_COOKIE,
  KNOWN_BROWSER_DAYS,
  knownBrowserUser,
  knownBrowserValue,
  recordFailure,
  startsThrottle,
} from './sign-in-limits';
import { audit, callerForToken, findUserByEmail, hashPassword, loadCaller, normaliseEmail, verifyPassword } from './users';

/** The one answer to every refused password sign-in: wrong password, unknown address, or over a limit alike. */
export const SIGN_IN_REFUSED =
  'Enter a correct email address and password. After several wrong passwords, this browser must wait 15 minutes, or you can reset your password.';

export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** How often a busy session's stored expiry is pushed forward. */
export const SESSION_TOUCH_EVERY_MS = 60 * 1000;

/**
 * Sessions in PostgreSQL, so they survive restarts and are shared by several instances.
 *
 * The idle timeout is rolling: each request pushes the expiry forward. The
 * stored expiry is written at most once a minute per session and process
 * rather than on every request (the SCORM player commits every few seconds),
 * so a session ends between SESSION_IDLE_MINUTES minus one minute and
 * SESSION_IDLE_MINUTES after its last request.
 */
export function installSessions(app: Express, config: Config, database: Database, logger: Logger): void {
  const PgStore = connectPgSimple(session);
  const store = new PgStore({
    pool: database.pool,
    tableName: 'sessions',
    createTableIfMissing: false,
    pruneSessionInterval: config.env === 'test' ? false : 15 * 60,
    errorLog: (...args: unknown[]) => logger.warn({ err: String(args[args.length - 1]) }, 'session store error'),
  });
  const touchedAt = new Map<string, number>();
  const touch = store.touch.bind(store);
  store.touch = (sid, sess, callback) => {
    const now = Date.now();
    const last = touchedAt.get(sid);
    if (last !== undefined && now - last < SESSION_TOUCH_EVERY_MS) return callback?.();
    if (touchedAt.size >= 10_000) for (const [id, at] of touchedAt) if (now - at >= SESSION_TOUCH_EVERY_MS) touchedAt.delete(id);
    touchedAt.set(sid, now);
    touch(sid, sess, callback);
  };
  app.use(
    session({
      name: 'dal.sid',
      secret: config.sessionSecret,
      store,
      resave: false,
      saveUninitialized: false,
      // The idle timeout: every request pushes expiry forward (stored at most once a minute, above).
      rolling: true,
      cookie: {
        httpOnly: true,
        sameSite: 'lax',
        secure: config.secureCookies,
        maxAge: config.sessionIdleMinutes * 60 * 1000,
      },
    }),
  );
}

/**
 * Password sign-in and the caller of each request. Returns this product's own
 * passport (its strategy checks this product's database), for the sign-in
 * routes: passport's default instance is one per process, shared by every
 * product in it.
 */
export function installAuthentication(app: Express, database: Database, logger: Logger, config: Pick<Config, 'sessionSecret'>): passport.Authenticator {
  const authenticator = new passport.Authenticator();
  // Checked against when no such user exists, so a wrong email takes as long as a wrong password.
  let dummyHash: Promise<string> | undefined;
  authenticator.use(
    new LocalStrategy({ usernameField: 'email', passwordField: 'password', passReqToCallback: true }, async (req, email, password, done) => {
      try {
        const address = normaliseEmail(email);
        const ip = req.ip ?? '';
        const user = await findUserByEmail(database.pool, address);
        const knownBrowser = !!user && knownBrowserUser(config.sessionSecret, cookieValue(req.headers.cookie, KNOWN_BROWSER_COOKIE)) === user.id;
        // Over a limit: refused without trying the password, the same for an unknown address as for a known one.
        if (isThrottled(await failureCounts(database.pool, address, ip), knownBrowser)) return done(null, false);
        if (!user?.password_hash || user.disabled) {
          dummyHash ??= hashPassword('not-a-real-password-for-timing');
          await verifyPassword(await dummyHash, password);
          await recordFailure(database.pool, address, ip);
          return done(null, false);
        }
        if (!(await verifyPassword(user.password_hash, password))) {
          const counts = await recordFailure(database.pool, address, ip);
          if (startsThrottle(counts)) {
            // Shown to administrators, who can lift it; passwords from browsers that signed in before still work meanwhile.
            if (counts.fromAnywhere >= FAILURES_PER_ADDRESS)
              await database.pool.query(`update users set locked_until = now() + make_interval(mins => $2) where id = $1`, [user.id, FAILURE_WINDOW_MINUTES]);
            await audit(database.pool, {
              action: 'sign-in.throttled',
              subjectType: 'user',
              subjectId: user.id,
              detail: { ...counts, minutes: FAILURE_WINDOW_MINUTES },
              ip,
            });
          }
          return done(null, false);
        }
        await database.pool.query('update users set failed_sign_ins = 0, last_sign_in_at = now() where id = $1', [user.id]);
        return done(null, { id: user.id });
      } catch (err) {
        return done(err);
      }
    }),
  );
  authenticator.serializeUser((user, done) => done(null, (user as { id: string }).id));
  authenticator.deserializeUser((id: string, done) => done(null, { id }));
  app.use(authenticator.initialize());
  app.use(authenticator.session());

  // Who is calling: a bearer token (API clients, scripts) or the session.
  app.use(async (req, _res, next) => {
    try {
      const header = req.get('authorization');
      if (header?.startsWith('Bearer ')) {
        const token = header.slice(7).trim();
        req.caller = token.length <= 200 ? await callerForToken(database.pool, token) : undefined;
        if (req.caller?.tokenScope === 'read' && !['GET', 'HEAD', 'OPTIONS'].includes(req.method)) {
          return next(new HttpError(403, 'This API token is for reading only. Ask for a token with full access to make changes.'));
        }
        return next();
      }
      const sessionUser = req.user as { id: string } | undefined;
      if (sessionUser?.id) {
        req.caller = await loadCaller(database.pool, sessionUser.id, 'session');
        if (!req.caller) req.logout(() => {});
      }
      next();
    } catch (err) {
      logger.debug({ err }, 'could not load caller');
      next(err);
    }
  });
  return authenticator;
}

/**
 * The sign-in page and form. `signInChoices` lists the organisations whose
 * staff sign in with their own identity provider (FeatureModule.signInChoices).
 */
export function signInRoutes(
  database: Database,
  config: Config,
  authenticator: passport.Authenticator,
  signInChoices: () => Promise<{ slug: string; name: string }[]>,
): Router {
  const router = express.Router();
  // Failures only: a training room or council office behind one address signs in all morning.
  const limiter = rateLimit({
    windowMs: FAILURE_WINDOW_MINUTES * 60 * 1000,
    limit: FAILURES_PER_IP,
    skipSuccessfulRequests: true,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    handler: async (_req, res) => {
      res.status(429).render('pages/sign-in', {
        title: 'Sign in',
        ssoOrganisations: await signInChoices(),
        errors: [{ text: 'Too many attempts to sign in. Wait 15 minutes and try again.', href: '#email' }],
      });
    },
  });

  router.get('/sign-in', async (req, res) => {
    if (req.caller) return res.redirect('/');
    res.render('pages/sign-in', { title: 'Sign in', returnTo: safeReturnTo(req.query.returnTo), ssoOrganisations: await signInChoices() });
  });

  router.post('/sign-in', limiter, async (req, res, next) => {
    const sso = await signInChoices();
    const raw = req.body as { email?: unknown; password?: unknown; returnTo?: unknown };
    // A field sent twice arrives as a list: it is no email or password, and passport must never see it.
    const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
    const body = { email: text(raw.email), password: text(raw.password), returnTo: text(raw.returnTo) };
    const errors: { text: string; href: string }[] = [];
    if (!body.email?.trim()) errors.push({ text: 'Enter your email address', href: '#email' });
    if (!body.password) errors.push({ text: 'Enter your password', href: '#password' });
    if (errors.length) return res.status(400).render('pages/sign-in', { title: 'Sign in', errors, email: body.email, ssoOrganisations: sso });
    authenticator.authenticate('local', (err: Error | null, user: { id: string } | false) => {
      if (err) return next(err);
      if (!user) {
        void audit(database.pool, { action: 'sign-in.failed', detail: { email: body.email?.trim().toLowerCase() }, ip: req.ip });
        return res
          .status(401)
          .render('pages/sign-in', { title: 'Sign in', errors: [{ text: SIGN_IN_REFUSED, href: '#email' }], email: body.email, ssoOrganisations: sso });
      }
      // passport regenerates the session here, so a session id fixed before sign-in is useless.
      req.login(user, (loginErr) => {
        if (loginErr) return next(loginErr);
        // This browser may sign in to this account even while someone elsewhere is guessing its password.
        res.cookie(KNOWN_BROWSER_COOKIE, knownBrowserValue(config.sessionSecret, user.id), {
          httpOnly: true,
          sameSite: 'lax',
          secure: config.secureCookies,
          maxAge: KNOWN_BROWSER_DAYS * 24 * 60 * 60 * 1000,
          path: '/',
        });
        void audit(database.pool, { actorUserId: user.id, action: 'sign-in', detail: { method: 'password' }, ip: req.ip });
        res.redirect(safeReturnTo(body.returnTo) ?? '/');
      });
    })(req, res, next);
  });

  router.post('/sign-out', (req, res, next) => {
    // A module that signed this session in through another service (single sign-on) finishes the sign-out
    // there; 307 keeps the POST and its CSRF token.
    const handOver = safeReturnTo(req.session?.signOutPath);
    if (handOver) return res.redirect(307, handOver);
    req.logout((err) => {
      if (err) return next(err);
      req.session.destroy(() => res.redirect('/signed-out'));
    });
  });
  router.get('/signed-out', (_req, res) => res.render('pages/signed-out', { title: 'You have signed out' }));
  return router;
}

/** Only paths on this site, so a crafted link cannot send someone elsewhere after sign-in. */
export function safeReturnTo(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  return /^\/(?![/\\])[^\s]*$/.test(value) ? value : undefined;
}
