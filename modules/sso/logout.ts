import { inflateRawSync } from 'node:zlib';
import type { Profile, SAML } from '@node-saml/node-saml';
import express, { type Request, type Router } from 'express';
import type { Pool } from 'pg';
import { safeReturnTo } from '../../server/auth';
import { audit } from '../../server/auth/users';
import { NotFoundError } from '../../server/errors';
import type { ModuleContext } from '../../server/module';
import { REQUEST_EXPIRY_MS, samlFor } from './saml';
import { ensureSpKeys } from './sp-keys';
import { createPgCacheProvider, type IdentityProvider, type SsoStore } from './store';

/** Where an organisation's IdP sends LogoutRequests and LogoutResponses (published in our metadata). */
export function sloUrl(publicUrl: string, slug: string): string {
  return `${publicUrl}/auth/saml/${slug}/slo`;
}

/** What this session needs to ask the IdP to end its own session too. */
interface SamlSession {
  slug: string;
  nameID: string;
  nameIDFormat?: string;
  nameQualifier?: string;
  spNameQualifier?: string;
  sessionIndex?: string;
}

/**
 * After a SAML sign-in: remembers the IdP's NameID and session index for this
 * session (in it, for signing out through the IdP; and in saml_sessions, so a
 * LogoutRequest from the IdP can end it from any browser or server), and asks
 * the sign-out button to hand over to this module.
 */
export async function rememberSamlSession(req: Request, pool: Pool, provider: IdentityProvider, profile: Profile): Promise<void> {
  const saml: SamlSession = {
    slug: provider.slug,
    nameID: profile.nameID,
    nameIDFormat: profile.nameIDFormat,
    nameQualifier: profile.nameQualifier,
    spNameQualifier: profile.spNameQualifier,
    sessionIndex: profile.sessionIndex,
  };
  req.session.saml = saml;
  req.session.signOutPath = `/auth/saml/${provider.slug}/logout`;
  await pool.query(
    `insert into saml_sessions (session_id, organisation_id, name_id, name_id_format, session_index) values ($1, $2, $3, $4, $5)
     on conflict (session_id) do update set organisation_id = excluded.organisation_id, name_id = excluded.name_id,
       name_id_format = excluded.name_id_format, session_index = excluded.session_index, created_at = now()`,
    [req.sessionID, provider.organisationId, profile.nameID, profile.nameIDFormat ?? null, profile.sessionIndex ?? null],
  );
}

/**
 * A SAML instance for logout messages: the sign-in settings (certificates,
 * issuer checks) plus the IdP's logout URL, and this service's current key to
 * sign its LogoutRequests and LogoutResponses (ADFS and Shibboleth refuse
 * unsigned ones; the certificate is in our metadata as a signing key).
 */
async function samlForLogout(provider: IdentityProvider, publicUrl: string, pool: Pool): Promise<SAML> {
  // LogoutRequests this organisation started are remembered under it, so a LogoutResponse to another organisation's request is refused.
  const saml = samlFor(provider, publicUrl, createPgCacheProvider(pool, REQUEST_EXPIRY_MS, provider.organisationId));
  // node-saml defaults the logout URL to the sign-in URL; only the IdP's real SingleLogoutService will do.
  saml.options.logoutUrl = provider.idpLogoutUrl ?? '';
  saml.options.logoutCallbackUrl = sloUrl(publicUrl, provider.slug);
  const current = (await ensureSpKeys(pool)).find((k) => k.state === 'current');
  if (current) {
    saml.options.privateKey = current.privateKey;
    saml.options.signatureAlgorithm = 'sha256';
  }
  return saml;
}

/** How far a LogoutRequest's IssueInstant may be from now (clock skew and a slow browser included). */
const LOGOUT_REQUEST_MAX_AGE_MS = 5 * 60_000;

/** The root element of a LogoutRequest already validated by node-saml (deflated in the redirect binding). */
function logoutRequestRoot(samlRequest: string, deflated: boolean): string {
  try {
    const bytes = Buffer.from(samlRequest, 'base64');
    const xml = (deflated ? inflateRawSync(bytes, { maxOutputLength: 1024 * 1024 }) : bytes).toString('utf8');
    return xml.match(/<(?:\w+:)?LogoutRequest\b[^>]*>/)?.[0] ?? '';
  } catch {
    return '';
  }
}

/** SHA-1 signatures on logout messages are refused as on sign-in (collisions are practical). */
function weakSigAlg(sigAlg: unknown): boolean {
  return typeof sigAlg === 'string' && /sha1$/i.test(sigAlg);
}

export function logoutRoutes(ctx: ModuleContext, store: SsoStore): Router {
  const router = express.Router();
  const pool = ctx.database.pool;
  const publicUrl = ctx.config.publicUrl;

  function endLocalSession(req: Request): Promise<void> {
    return new Promise((resolve, reject) => {
      req.logout((err) => {
        if (err) return reject(err);
        req.session.destroy(() => resolve());
      });
    });
  }

  // Sign-out hands over here (server/auth's POST /sign-out, keeping the POST and its CSRF token) for a session signed in by SAML.
  router.post('/auth/saml/:slug/logout', async (req, res) => {
    const slug = String(req.params.slug);
    const saml = req.session?.saml as SamlSession | undefined;
    // Only a session this organisation's IdP signed in is signed out here; any other is left as it is.
    if (saml?.slug !== slug) return res.redirect('/');
    const provider = await store.forSlug(slug);
    const sessionId = req.sessionID;
    const userId = (req.user as { id?: string } | undefined)?.id ?? null;
    await endLocalSession(req);
    await pool.query('delete from saml_sessions where session_id = $1', [sessionId]);
    if (!provider) return res.redirect('/signed-out');
    void audit(pool, {
      actorUserId: userId,
      action: 'sign-out',
      organisationId: provider.organisationId,
      detail: { method: 'saml', throughIdp: Boolean(provider.idpLogoutUrl) },
      ip: req.ip,
    });
    if (!provider.idpLogoutUrl) return res.redirect(`/auth/saml/${slug}/signed-out`);
    const url = await (await samlForLogout(provider, publicUrl, pool)).getLogoutUrlAsync(
      saml as unknown as Profile,
      `/auth/saml/${slug}/signed-out?everywhere=1`,
      {},
    );
    // A page that moves on to the IdP, not a redirect: this answers the sign-out form, and the CSP's form-action 'self' would stop it there.
    res.render(ctx.view('continue'), {
      title: `Signing you out of ${provider.organisationName}`,
      heading: `Signing you out of your ${provider.organisationName} account`,
      lead: 'You have signed out of the training. Now we are signing you out of your organisation’s account too, so nobody using this computer after you can sign in as you.',
      organisationName: provider.organisationName,
      loginUrl: url,
      button: `Continue to sign out of ${provider.organisationName}`,
      scripts: ['/modules/sso/continue.js'],
    });
  });

  router.get('/auth/saml/:slug/signed-out', async (req, res) => {
    const provider = await store.forSlug(String(req.params.slug));
    if (!provider) throw new NotFoundError();
    res.render(ctx.view('signed-out'), {
      title: 'You have signed out',
      organisationName: provider.organisationName,
      everywhere: req.query.everywhere === '1' && Boolean(provider.idpLogoutUrl),
      slug: provider.slug,
    });
  });

  /**
   * The IdP's side of single logout, by HTTP-Redirect (GET) or HTTP-POST: a
   * LogoutResponse ends a sign-out started here; a signed LogoutRequest ends
   * every session of that person signed in by this IdP, here and on every
   * other server, even when the browser's cookie is not sent with it.
   */
  async function slo(req: Request, res: express.Response): Promise<void> {
    const provider = await store.forSlug(String(req.params.slug));
    if (!provider?.enabled) throw new NotFoundError();
    const saml = await samlForLogout(provider, publicUrl, pool);
    const container = (req.method === 'POST' ? req.body : req.query) as Record<string, string>;
    const isRequest = typeof container.SAMLRequest === 'string';
    const refused = async (reason: string) => {
      ctx.logger.warn({ organisation: provider.slug, reason }, 'SAML logout message refused');
      await audit(pool, { action: 'sign-out.refused', organisationId: provider.organisationId, detail: { method: 'saml', reason }, ip: req.ip });
      res.status(400).render(ctx.view('signed-out'), {
        title: 'We could not sign you out',
        refused: true,
        organisationName: provider.organisationName,
        slug: provider.slug,
      });
    };
    if (!isRequest && typeof container.SAMLResponse !== 'string') return refused('no SAMLRequest or SAMLResponse');
    if (weakSigAlg(container.SigAlg)) return refused(`SHA-1 signature (${container.SigAlg}) on a logout message`);
    // node-saml lets an unsigned redirect-binding message through; a LogoutRequest must be signed, or anyone could sign people out.
    if (req.method === 'GET' && isRequest && typeof container.Signature !== 'string') return refused('unsigned LogoutRequest');
    let profile: Profile | null;
    try {
      const result =
        req.method === 'GET'
          ? await saml.validateRedirectAsync(container, req.originalUrl.split('?')[1] ?? '')
          : isRequest
            ? await saml.validatePostRequestAsync(container)
            : await saml.validatePostResponseAsync(container);
      profile = result.profile;
    } catch (err) {
      return refused((err as Error).message);
    }
    if (!isRequest) {
      // The IdP has ended its session after ours: say so.
      return res.redirect(
        safeReturnTo(container.RelayState)?.startsWith(`/auth/saml/${provider.slug}/signed-out`)
          ? (container.RelayState as string)
          : `/auth/saml/${provider.slug}/signed-out?everywhere=1`,
      );
    }
    if (!profile?.nameID) return refused('LogoutRequest without a NameID');
    // Signed is not enough: one meant for another service of the same IdP, or one replayed later, is refused too.
    const root = logoutRequestRoot(container.SAMLRequest, req.method === 'GET');
    const destination = root.match(/\sDestination="([^"]*)"/)?.[1];
    if (destination && destination !== sloUrl(publicUrl, provider.slug)) return refused(`LogoutRequest for ${destination}, not this service`);
    const issued = Date.parse(root.match(/\sIssueInstant="([^"]*)"/)?.[1] ?? '');
    if (!Number.isFinite(issued) || Math.abs(Date.now() - issued) > LOGOUT_REQUEST_MAX_AGE_MS)
      return refused('LogoutRequest issued too long ago (or at no stated time)');
    const id = (profile as Profile & { ID?: string }).ID ?? '';
    if (!(await store.claimAssertion(`logout:${id}`, provider.organisationId, new Date(issued + 2 * LOGOUT_REQUEST_MAX_AGE_MS)))) {
      return refused(`LogoutRequest ${id} was already used (replay)`);
    }
    const sessionIndex = profile.sessionIndex;
    const { rows } = await pool.query<{ session_id: string }>(
      `delete from saml_sessions where organisation_id = $1 and name_id = $2 and ($3::text is null or session_index is null or session_index = $3)
       returning session_id`,
      [provider.organisationId, profile.nameID, sessionIndex ?? null],
    );
    if (rows.length) await pool.query('delete from sessions where sid = any($1)', [rows.map((r) => r.session_id)]);
    await audit(pool, {
      action: 'sign-out',
      organisationId: provider.organisationId,
      detail: { method: 'saml', idpInitiated: true, sessionsEnded: rows.length },
      ip: req.ip,
    });
    if (req.session && rows.some((r) => r.session_id === req.sessionID)) await endLocalSession(req);
    if (!provider.idpLogoutUrl) return res.redirect(`/auth/saml/${provider.slug}/signed-out?everywhere=1`);
    const url = await saml.getLogoutResponseUrlAsync(profile, typeof container.RelayState === 'string' ? container.RelayState : '', {}, true);
    res.redirect(url);
  }
  router.get('/auth/saml/:slug/slo', slo);
  router.post('/auth/saml/:slug/slo', slo);
  return router;
}
