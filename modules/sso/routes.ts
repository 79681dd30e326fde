import { X509Certificate, createHash, randomBytes } from 'node:crypto';
import express, { type Request, type Router } from 'express';
import { allow, caller } from '../../server/access';
import { safeReturnTo } from '../../server/auth';
import { audit } from '../../server/auth/users';
import { NotFoundError } from '../../server/errors';
import type { ModuleContext } from '../../server/module';
import { provisionFromSso } from './provision';
import { acsUrl, assertionIdentity, defaultSpEntityId, personFromProfile, REQUEST_EXPIRY_MS, responseInResponseTo, samlFor, spEntityId, splitCertificates } from './saml';
import { type AttributeNames, createPgCacheProvider, createSsoStore, type IdentityProvider, type ProviderInput } from './store';
import { SAML } from '@node-saml/passport-saml';

const SLUG = ':slug';
const REQUEST_COOKIE = 'dal.saml';

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

type Refusal = { reason: string; message: string };

const GENERIC_REFUSAL =
  'We could not sign you in with your organisation’s account. Go back to the sign-in page and try again. If it happens again, contact your organisation’s IT service desk and tell them the time you tried.';

export function ssoRoutes(ctx: ModuleContext): Router {
  const router = express.Router();
  const pool = ctx.database.pool;
  const store = createSsoStore(pool);
  const cache = createPgCacheProvider(pool, REQUEST_EXPIRY_MS);
  const publicUrl = ctx.config.publicUrl;

  async function organisationBySlug(slug: string): Promise<{ id: string; slug: string; name: string } | undefined> {
    const { rows } = await pool.query<{ id: string; slug: string; name: string }>('select id, slug, name from organisations where slug = $1', [slug]);
    return rows[0];
  }

  async function refuse(req: Request, res: express.Response, provider: IdentityProvider | undefined, refusal: Refusal): Promise<void> {
    ctx.logger.warn({ organisation: provider?.slug ?? req.params.slug, reason: refusal.reason, ip: req.ip }, 'SAML sign-in refused');
    await audit(pool, {
      action: 'sign-in.refused',
      organisationId: provider?.organisationId ?? null,
      detail: { method: 'saml', reason: refusal.reason },
      ip: req.ip,
    }).catch((err: Error) => ctx.logger.error({ err: err.message }, 'could not audit a refused sign-in'));
    res.status(403).render(ctx.view('refused'), { title: 'We could not sign you in', message: refusal.message, organisationName: provider?.organisationName });
  }

  // Service provider metadata for the organisation's IT team; public by design.
  router.get(`/auth/saml/${SLUG}/metadata`, async (req, res) => {
    const slug = String(req.params.slug);
    const org = await organisationBySlug(slug);
    if (!org) throw new NotFoundError();
    const provider = await store.forSlug(slug);
    const issuer = provider ? spEntityId(provider, publicUrl) : defaultSpEntityId(publicUrl, slug);
    const saml = new SAML({ issuer, callbackUrl: acsUrl(publicUrl, slug), idpCert: 'unused-for-metadata', wantAssertionsSigned: true, identifierFormat: null });
    res.type('application/samlmetadata+xml').send(saml.generateServiceProviderMetadata(null));
  });

  router.get(`/auth/saml/${SLUG}/login`, async (req, res) => {
    const provider = await store.forSlug(String(req.params.slug));
    if (!provider?.enabled) throw new NotFoundError();
    const requestId = `_${randomBytes(20).toString('hex')}`;
    const saml = samlFor(provider, publicUrl, cache, requestId);
    const relayState = safeReturnTo(req.query.returnTo) ?? '/';
    const url = await saml.getAuthorizeUrlAsync(relayState, undefined, {});
    // Binds the sign-in to this browser, so nobody can post their own valid response into someone else's browser
    // (login CSRF). Over https only: the IdP's cross-site POST carries a SameSite=None cookie only when it is Secure.
    if (ctx.config.secureCookies) {
      res.cookie(REQUEST_COOKIE, requestId, { httpOnly: true, secure: true, sameSite: 'none', maxAge: REQUEST_EXPIRY_MS, path: `/auth/saml/${provider.slug}` });
    }
    res.redirect(url);
  });

  router.post(`/auth/saml/${SLUG}/acs`, async (req, res, next) => {
    const provider = await store.forSlug(String(req.params.slug));
    if (!provider?.enabled) return refuse(req, res, provider, { reason: 'single sign-on is not enabled for this organisation', message: GENERIC_REFUSAL });
    const body = (req.body ?? {}) as Record<string, string>;
    if (typeof body.SAMLResponse !== 'string') return refuse(req, res, provider, { reason: 'no SAMLResponse in the POST', message: GENERIC_REFUSAL });
    if (ctx.config.secureCookies) {
      const started = cookieValue(req.get('cookie'), REQUEST_COOKIE);
      const answers = responseInResponseTo(body.SAMLResponse);
      if (!started || started !== answers) {
        return refuse(req, res, provider, { reason: `the response answers request ${answers ?? '(none)'}, not the sign-in started in this browser (${started ?? 'none'})`, message: GENERIC_REFUSAL });
      }
      res.clearCookie(REQUEST_COOKIE, { path: `/auth/saml/${provider.slug}`, secure: true, sameSite: 'none', httpOnly: true });
    }
    let profile: Awaited<ReturnType<SAML['validatePostResponseAsync']>>['profile'];
    try {
      profile = (await samlFor(provider, publicUrl, cache).validatePostResponseAsync({ SAMLResponse: body.SAMLResponse })).profile;
    } catch (err) {
      return refuse(req, res, provider, { reason: (err as Error).message, message: GENERIC_REFUSAL });
    }
    if (!profile) return refuse(req, res, provider, { reason: 'the response carried no assertion', message: GENERIC_REFUSAL });
    const identity = assertionIdentity(profile);
    if (!identity) return refuse(req, res, provider, { reason: 'the assertion has no ID', message: GENERIC_REFUSAL });
    if (!(await store.claimAssertion(identity.id, provider.organisationId, identity.notOnOrAfter))) {
      return refuse(req, res, provider, { reason: `assertion ${identity.id} was already used (replay)`, message: GENERIC_REFUSAL });
    }
    const person = personFromProfile(profile as unknown as Record<string, unknown>, provider.attributes);
    if ('problem' in person) return refuse(req, res, provider, { reason: person.problem, message: GENERIC_REFUSAL });
    // An organisation's IdP speaks for its own people only: it cannot sign someone in as an address of another organisation.
    if (!emailDomainAllowed(person.email, provider.emailDomains)) {
      return refuse(req, res, provider, {
        reason: `email ${person.email} is outside the organisation's email domains (${provider.emailDomains.join(', ')})`,
        message: `Your organisation’s account gave us the email address ${person.email}, which is not one of ${provider.organisationName}’s addresses. Ask your IT service desk to check your account, or sign in with a password.`,
      });
    }

    const result = await ctx.database.transaction((client) => provisionFromSso(client, provider.organisationId, person));
    if (!result.ok) {
      const message =
        result.reason === 'email-in-another-organisation'
          ? `Your email address (${person.email}) is already registered to a member of staff in another organisation of this partnership, so we have not joined the two accounts. Ask your organisational lead or the partnership administrator to move your record, then try again.`
          : 'Your account has been switched off. Contact your organisational lead.';
      return refuse(req, res, provider, { reason: `${result.reason}: ${result.detail}`, message });
    }
    req.login({ id: result.userId }, (err) => {
      if (err) return next(err);
      void audit(pool, {
        actorUserId: result.userId,
        action: 'sign-in',
        organisationId: provider.organisationId,
        subjectType: 'staff',
        subjectId: result.staffId,
        detail: { method: 'saml', staffCreated: result.created },
        ip: req.ip,
      });
      res.redirect(safeReturnTo(body.RelayState) ?? '/');
    });
  });

  // "Enter your work email": finds the organisation from the email's domain.
  router.get('/auth/sso/find', async (req, res) => {
    const email = typeof req.query.email === 'string' ? req.query.email.trim() : '';
    const domain = email.includes('@') ? email.split('@').pop() ?? '' : '';
    const slug = domain ? await store.enabledForEmailDomain(domain) : undefined;
    if (slug) return res.redirect(`/auth/saml/${slug}/login`);
    const text = !domain
      ? 'Enter your work email address, like name@organisation.gov.uk'
      : 'Your organisation does not sign in with its own account here. Sign in with your email address and password instead.';
    res.status(domain ? 404 : 400).render('pages/sign-in', {
      title: 'Sign in',
      ssoOrganisations: await store.enabledOrganisations(),
      workEmail: email,
      errors: [{ text, href: '#work-email' }],
      workEmailError: text,
    });
  });

  // Configuration: partnership administrators only.
  router.get('/admin/sso', allow('partnership-admin'), async (_req, res) => {
    const { rows } = await pool.query<{ slug: string; name: string }>('select slug, name from organisations order by name');
    const providers = new Map((await store.list()).map((p) => [p.slug, p]));
    res.render(ctx.view('admin-list'), {
      title: 'Single sign-on',
      organisations: rows.map((o) => ({ ...o, provider: providers.get(o.slug) })),
    });
  });

  router.get(`/admin/sso/${SLUG}`, allow('partnership-admin'), async (req, res) => {
    const slug = String(req.params.slug);
    const org = await organisationBySlug(slug);
    if (!org) throw new NotFoundError();
    const provider = await store.forSlug(slug);
    res.render(ctx.view('admin-edit'), editModel(org, provider ? formFromProvider(provider) : defaultForm(), provider, publicUrl));
  });

  router.post(`/admin/sso/${SLUG}`, allow('partnership-admin'), async (req, res) => {
    const who = caller(req);
    const slug = String(req.params.slug);
    const org = await organisationBySlug(slug);
    if (!org) throw new NotFoundError();
    const form = formFromBody(req.body as Record<string, unknown>);
    const { input, errors } = validateProviderForm(form);
    const before = await store.forSlug(slug);
    if (!input) return res.status(400).render(ctx.view('admin-edit'), { ...editModel(org, form, before, publicUrl), errors });
    await store.save(org.id, input);
    await audit(pool, {
      actorUserId: who.userId,
      action: 'sso.configured',
      organisationId: org.id,
      subjectType: 'organisation',
      subjectId: org.id,
      detail: {
        enabled: input.enabled,
        idpEntityId: input.idpEntityId,
        idpEntryPoint: input.idpEntryPoint,
        certificateFingerprints: input.idpCertificates.map(fingerprint),
        previousCertificateFingerprints: before?.idpCertificates.map(fingerprint) ?? [],
      },
      ip: req.ip,
    });
    req.session.flash = `Single sign-on settings saved for ${org.name}`;
    res.redirect('/admin/sso');
  });

  return router;
}

/** True when the organisation lists no domains, or the email is at one of them (or a subdomain). */
export function emailDomainAllowed(email: string, domains: string[]): boolean {
  if (domains.length === 0) return true;
  const domain = email.split('@').pop()?.toLowerCase() ?? '';
  return domains.some((d) => domain === d.toLowerCase() || domain.endsWith(`.${d.toLowerCase()}`));
}

export interface ProviderForm {
  enabled: boolean;
  idpEntryPoint: string;
  idpEntityId: string;
  certificates: string;
  spEntityId: string;
  attributes: AttributeNames;
}

const ATTRIBUTE_FIELDS: { key: keyof AttributeNames; label: string }[] = [
  { key: 'email', label: 'Email address' },
  { key: 'givenName', label: 'Given name' },
  { key: 'surname', label: 'Surname' },
  { key: 'displayName', label: 'Display name' },
  { key: 'jobTitle', label: 'Job title' },
  { key: 'team', label: 'Team or department' },
  { key: 'staffNumber', label: 'Staff number' },
];

const DEFAULT_ATTRIBUTES: AttributeNames = {
  email: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
  givenName: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname',
  surname: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname',
  displayName: 'http://schemas.microsoft.com/identity/claims/displayname',
  jobTitle: 'jobtitle',
  team: 'department',
  staffNumber: 'employeeid',
};

function defaultForm(): ProviderForm {
  return { enabled: false, idpEntryPoint: '', idpEntityId: '', certificates: '', spEntityId: '', attributes: { ...DEFAULT_ATTRIBUTES } };
}

function formFromProvider(p: IdentityProvider): ProviderForm {
  return { enabled: p.enabled, idpEntryPoint: p.idpEntryPoint, idpEntityId: p.idpEntityId, certificates: p.idpCertificates.join('\n'), spEntityId: p.spEntityId ?? '', attributes: p.attributes };
}

function formFromBody(body: Record<string, unknown>): ProviderForm {
  const s = (k: string) => (typeof body[k] === 'string' ? (body[k] as string).trim() : '');
  const attributes = Object.fromEntries(ATTRIBUTE_FIELDS.map((f) => [f.key, s(`attr_${f.key}`)])) as unknown as AttributeNames;
  return { enabled: body.enabled === 'yes', idpEntryPoint: s('idpEntryPoint'), idpEntityId: s('idpEntityId'), certificates: s('certificates'), spEntityId: s('spEntityId'), attributes };
}

export function fingerprint(cert: string): string {
  try {
    return new X509Certificate(toPem(cert)).fingerprint256;
  } catch {
    return createHash('sha256').update(cert).digest('hex');
  }
}

function toPem(cert: string): string {
  if (cert.includes('BEGIN CERTIFICATE')) return cert;
  return `-----BEGIN CERTIFICATE-----\n${cert.match(/.{1,64}/g)?.join('\n')}\n-----END CERTIFICATE-----\n`;
}

function isLoopback(url: URL): boolean {
  return ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
}

/** Checks an administrator's settings: plain function, no HTTP. */
export function validateProviderForm(form: ProviderForm): { input?: ProviderInput; errors: { text: string; href: string }[] } {
  const errors: { text: string; href: string }[] = [];
  let entry: URL | undefined;
  try {
    entry = new URL(form.idpEntryPoint);
  } catch {
    entry = undefined;
  }
  if (!form.idpEntryPoint) errors.push({ text: 'Enter the identity provider’s sign-in URL', href: '#idpEntryPoint' });
  else if (!entry || !(entry.protocol === 'https:' || (entry.protocol === 'http:' && isLoopback(entry)))) {
    errors.push({ text: 'The sign-in URL must be a full https:// address', href: '#idpEntryPoint' });
  }
  if (!form.idpEntityId) errors.push({ text: 'Enter the identity provider’s entity ID (issuer)', href: '#idpEntityId' });
  const certs = splitCertificates(form.certificates);
  if (certs.length === 0) errors.push({ text: 'Paste the identity provider’s signing certificate', href: '#certificates' });
  for (const c of certs) {
    try {
      new X509Certificate(toPem(c));
    } catch {
      errors.push({ text: 'A signing certificate could not be read: paste it in PEM form, from -----BEGIN CERTIFICATE----- to -----END CERTIFICATE-----', href: '#certificates' });
      break;
    }
  }
  if (form.spEntityId && !/^(https?:\/\/|urn:)\S+$/.test(form.spEntityId)) errors.push({ text: 'The service provider entity ID must be a URL or a URN', href: '#spEntityId' });
  for (const f of ATTRIBUTE_FIELDS) {
    if (!form.attributes[f.key]) errors.push({ text: `Enter the attribute name for ${f.label.toLowerCase()}`, href: `#attr_${f.key}` });
  }
  if (errors.length) return { errors };
  return {
    errors,
    input: { enabled: form.enabled, idpEntryPoint: form.idpEntryPoint, idpEntityId: form.idpEntityId, idpCertificates: certs.map(toPem), spEntityId: form.spEntityId || null, attributes: form.attributes },
  };
}

function certificateSummaries(certs: string[]) {
  return certs.map((c) => {
    try {
      const x = new X509Certificate(toPem(c));
      return { subject: x.subject.replace(/\n/g, ', '), validTo: new Date(x.validTo), expired: new Date(x.validTo) < new Date(), fingerprint: x.fingerprint256 };
    } catch {
      return { subject: 'unreadable certificate', validTo: undefined, expired: false, fingerprint: '' };
    }
  });
}

function editModel(org: { slug: string; name: string }, form: ProviderForm, provider: IdentityProvider | undefined, publicUrl: string) {
  return {
    title: `Single sign-on for ${org.name}`,
    organisation: org,
    form,
    attributeFields: ATTRIBUTE_FIELDS.map((f) => ({ ...f, id: `attr_${f.key}`, value: form.attributes[f.key] })),
    certificateSummaries: provider ? certificateSummaries(provider.idpCertificates) : [],
    spEntityIdDefault: defaultSpEntityId(publicUrl, org.slug),
    acsUrl: acsUrl(publicUrl, org.slug),
    metadataUrl: `/auth/saml/${org.slug}/metadata`,
  };
}


