import connectPgSimple from 'connect-pg-simple';
import express, { type Express, type Router } from 'express';
import rateLimit from 'express-rate-limit';
import session from 'express-session';
import passport from 'passport';
import { Strategy as LocalStrategy } from 'passport-local';
import type { Config } from '../config';
import type { Database } from '../db';
import type { Logger } from '../logger';
import type { Pool } from 'pg';
import { audit, findUserByEmail, hashPassword, loadCaller, userIdForToken, verifyPassword } from './users';

export const LOCK_AFTER_FAILURES = 10;
export const LOCK_MINUTES = 15;

/**
 * Organisations whose staff sign in with their own identity provider (the sso
 * module's table), for the sign-in page. Empty when that module is absent.
 */
export async function ssoOrganisations(pool: Pool): Promise<{ slug: string; name: string }[]> {
  try {
    const { rows } = await pool.query<{ slug: string; name: string }>(
      `select o.slug, o.name from saml_identity_providers p join organisations o on o.id = p.organisation_id where p.enabled order by o.name`,
    );
    return rows;
  } catch {
    return [];
  }
}

// Checked against when no such user exists, so a wrong email takes as long as a wrong password.
let dummyHash: Promise<string> | undefined;

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

export function installAuthentication(app: Express, database: Database, logger: Logger): void {
  passport.use(
    new LocalStrategy({ usernameField: 'email', passwordField: 'password' }, async (email, password, done) => {
      try {
        const user = await findUserByEmail(database.pool, email);
        if (!user?.password_hash || user.disabled) {
          dummyHash ??= hashPassword('not-a-real-password-for-timing');
          await verifyPassword(await dummyHash, password);
          return done(null, false);
        }
        if (user.locked_until && user.locked_until > new Date()) return done(null, false, { message: 'locked' });
        if (!(await verifyPassword(user.password_hash, password))) {
          const { rows } = await database.pool.query<{ failed_sign_ins: number }>(
            `update users set failed_sign_ins = failed_sign_ins + 1,
               locked_until = case when failed_sign_ins + 1 >= $2 then now() + make_interval(mins => $3) else locked_until end
             where id = $1 returning failed_sign_ins`,
            [user.id, LOCK_AFTER_FAILURES, LOCK_MINUTES],
          );
          if (rows[0]?.failed_sign_ins === LOCK_AFTER_FAILURES) {
            await audit(database.pool, { action: 'sign-in.locked', subjectType: 'user', subjectId: user.id, detail: { failures: LOCK_AFTER_FAILURES, minutes: LOCK_MINUTES } });
          }
          return done(null, false);
        }
        await database.pool.query('update users set failed_sign_ins = 0, locked_until = null, last_sign_in_at = now() where id = $1', [user.id]);
        return done(null, { id: user.id });
      } catch (err) {
        return done(err);
      }
    }),
  );
  passport.serializeUser((user, done) => done(null, (user as { id: string }).id));
  passport.deserializeUser((id: string, done) => done(null, { id }));
  app.use(passport.initialize());
  app.use(passport.session());

  // Who is calling: a bearer token (API clients, scripts) or the session.
  app.use(async (req, _res, next) => {
    try {
      const header = req.get('authorization');
      if (header?.startsWith('Bearer ')) {
        const userId = await userIdForToken(database.pool, header.slice(7).trim());
        if (userId) req.caller = await loadCaller(database.pool, userId, 'token');
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
}

export function signInRoutes(database: Database, config: Config): Router {
  const router = express.Router();
  const limiter = rateLimit({
    windowMs: 15 * 60 * 1000,
    limit: config.env === 'test' ? 1000 : 20,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    handler: async (_req, res) => {
      res.status(429).render('pages/sign-in', {
        title: 'Sign in',
        ssoOrganisations: await ssoOrganisations(database.pool),
        errors: [{ text: 'Too many attempts to sign in. Wait 15 minutes and try again.', href: '#email' }],
      });
    },
  });

  router.get('/sign-in', async (req, res) => {
    if (req.caller) return res.redirect('/');
    res.render('pages/sign-in', { title: 'Sign in', returnTo: safeReturnTo(req.query.returnTo), ssoOrganisations: await ssoOrganisations(database.pool) });
  });

  router.post('/sign-in', limiter, async (req, res, next) => {
    const sso = await ssoOrganisations(database.pool);
    const body = req.body as { email?: string; password?: string; returnTo?: string };
    const errors: { text: string; href: string }[] = [];
    if (!body.email?.trim()) errors.push({ text: 'Enter your email address', href: '#email' });
    if (!body.password) errors.push({ text: 'Enter your password', href: '#password' });
    if (errors.length) return res.status(400).render('pages/sign-in', { title: 'Sign in', errors, email: body.email, ssoOrganisations: sso });
    passport.authenticate('local', (err: Error | null, user: { id: string } | false, info?: { message?: string }) => {
      if (err) return next(err);
      if (!user) {
        void audit(database.pool, { action: 'sign-in.failed', detail: { email: body.email?.trim().toLowerCase() }, ip: req.ip });
        const text = info?.message === 'locked'
          ? `This account is locked after too many attempts. Try again in ${LOCK_MINUTES} minutes, or reset your password.`
          : 'Enter a correct email address and password';
        return res.status(401).render('pages/sign-in', { title: 'Sign in', errors: [{ text, href: '#email' }], email: body.email, ssoOrganisations: sso });
      }
      // passport regenerates the session here, so a session id fixed before sign-in is useless.
      req.login(user, (loginErr) => {
        if (loginErr) return next(loginErr);
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
