import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import { type CacheProvider, SAML } from '@node-saml/passport-saml';
import express, { type Request, type Router } from 'express';
import { allow, caller } from '../../server/access';
import { safeReturnTo } from '../../server/auth';
import { audit } from '../../server/auth/users';
import { NotFoundError } from '../../server/errors';
import type { ModuleContext } from '../../server/module';
import { emailWithinDomains, provisionFromSso } from './provision';
import {
  acsUrl,
  assertionIdentity,
  checkAddressing,
  defaultSpEntityId,
  explainValidationError,
  type Problem,
  personFromProfile,
  precheck,
  REQUEST_EXPIRY_MS,
  responseShape,
  samlFor,
  spEntityId,
  splitCertificates,
  subjectOf,
} from './saml';
import { ensureSpKeys, publishedKeys } from './sp-keys';
import { type AttributeNames, createPgCacheProvider, createSsoStore, type IdentityProvider, type ProviderInput, SIGNING_REQUIRED, type SigningRequired } from './store';

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

/** What the person is told for each kind of refusal; the precise reason goes to the audit log. */
function messageFor(problem: Problem, provider: IdentityProvider): string {
  switch (problem.kind) {
    case 'idp-initiated-off':
      return `${provider.organisationName} has not switched on signing in from its own portal or app list (IdP-initiated sign-in), so we could not sign you in that way. Start here instead: go to the sign-in page and choose ${provider.organisationName}.`;
    case 'configuration':
      return `${provider.organisationName}’s single sign-on is not set up the way this service needs: ${problem.reason}. Contact your organisational lead or your IT service desk and tell them the time you tried.`;
    default:
      return GENERIC_REFUSAL;
  }
}

const CONTACT_LEAD = (provider: IdentityProvider) =>
  `We could not connect your ${provider.organisationName} account to an account here, so we have not signed you in. Contact your organisational lead (the person who looks after training at ${provider.organisationName}) and tell them the time you tried.`;

/**
 * node-saml forgets a request id whenever validation fails. With more than one
 * of our keys to try on an encrypted assertion, the id must survive until the
 * last try: removal waits for flush().
 */
function deferRemoval(cache: CacheProvider): { cache: CacheProvider; flush(): Promise<void> } {
  const pending = new Set<string>();
  return {
    cache: {
      saveAsync: (k, v) => cache.saveAsync(k, v),
      getAsync: (k) => cache.getAsync(k),
      async removeAsync(k) {
        if (k) pending.add(k);
        return k;
      },
    },
    async flush() {
      for (const k of pending) await cache.removeAsync(k);
    },
  };
}

export function ssoRoutes(ctx: ModuleContext): Router {
  const router = express.Router();
  const pool = ctx.database.pool;
  const store = createSsoStore(pool);
  const publicUrl = ctx.config.publicUrl;

  async function organisationBySlug(slug: string): Promise<{ id: string; slug: string; name: string; emailDomains: string[] } | undefined> {
    const { rows } = await pool.query<{ id: string; slug: string; name: string; emailDomains: string[] }>(
      'select id, slug, name, email_domains as "emailDomains" from organisations where slug = $1',
      [slug],
    );
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
    const [current, ...others] = publishedKeys(await ensureSpKeys(pool));
    const saml = new SAML({
      issuer,
      callbackUrl: acsUrl(publicUrl, slug),
      idpCert: 'unused-for-metadata',
      // Asks the IdP to sign the assertion (Shibboleth then signs it as well as the response), unless the organisation relies on the response's signature.
      wantAssertionsSigned: provider?.signingRequired !== 'response',
      identifierFormat: null,
      decryptionPvk: current.privateKey,
    });
    let metadata = saml.generateServiceProviderMetadata(current.certificate);
    // During a key rollover the next key is published too, so IdPs can encrypt to it before the switch.
    for (const next of others) {
      const block = metadata.match(/<KeyDescriptor use="encryption">[\s\S]*?<\/KeyDescriptor>/)?.[0];
      const body = next.certificate.replace(/-----[A-Z ]+-----|\s/g, '');
      if (block) metadata = metadata.replace(block, `${block}${block.replace(/(<ds:X509Certificate>)[^<]*(<\/ds:X509Certificate>)/, `$1${body}$2`)}`);
    }
    res.type('application/samlmetadata+xml').send(metadata);
  });

  router.get(`/auth/saml/${SLUG}/login`, async (req, res) => {
    const provider = await store.forSlug(String(req.params.slug));
    if (!provider?.enabled) throw new NotFoundError();
    const requestId = `_${randomBytes(20).toString('hex')}`;
    const saml = samlFor(provider, publicUrl, createPgCacheProvider(pool, REQUEST_EXPIRY_MS, provider.organisationId), requestId);
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
    if (provider.emailDomains.length === 0) {
      return refuse(req, res, provider, { reason: 'the organisation has no email domains, so nobody can be signed in through its IdP', message: CONTACT_LEAD(provider) });
    }
    const body = (req.body ?? {}) as Record<string, string>;
    if (typeof body.SAMLResponse !== 'string') return refuse(req, res, provider, { reason: 'no SAMLResponse in the POST', message: GENERIC_REFUSAL });
    const shape = responseShape(body.SAMLResponse);
    const early = precheck(shape, provider);
    if (early) return refuse(req, res, provider, { reason: early.reason, message: messageFor(early, provider) });
    // An unsolicited response (where allowed) has no request to bind to a browser.
    if (ctx.config.secureCookies && (shape.inResponseTo || !provider.allowIdpInitiated)) {
      const started = cookieValue(req.get('cookie'), REQUEST_COOKIE);
      if (!started || started !== shape.inResponseTo) {
        return refuse(req, res, provider, {
          reason: `the response answers request ${shape.inResponseTo ?? '(none)'}, not the sign-in started in this browser (${started ?? 'none'})`,
          message: GENERIC_REFUSAL,
        });
      }
      res.clearCookie(REQUEST_COOKIE, { path: `/auth/saml/${provider.slug}`, secure: true, sameSite: 'none', httpOnly: true });
    }

    const acs = acsUrl(publicUrl, provider.slug);
    const deferred = deferRemoval(createPgCacheProvider(pool, REQUEST_EXPIRY_MS, provider.organisationId));
    // Current key first, then the next one (an IdP that took it up early), then one retired in the last day.
    const keys: (string | undefined)[] = shape.encrypted ? (await ensureSpKeys(pool)).map((k) => k.privateKey) : [undefined];
    let profile: Awaited<ReturnType<SAML['validatePostResponseAsync']>>['profile'] | undefined;
    const errors: string[] = [];
    for (const key of keys) {
      try {
        profile = (await samlFor(provider, publicUrl, deferred.cache, undefined, key).validatePostResponseAsync({ SAMLResponse: body.SAMLResponse })).profile;
        break;
      } catch (err) {
        errors.push((err as Error).message);
      }
    }
    await deferred.flush();
    if (!profile) {
      if (errors.length) {
        // With several keys, the telling error is the one past decryption, if any got that far.
        const telling = errors.find((m) => !/decrypt|EncryptedAssertion|oaep|padding|key/i.test(m)) ?? errors[errors.length - 1];
        const problem = explainValidationError(telling, shape, provider);
        return refuse(req, res, provider, { reason: problem.reason, message: messageFor(problem, provider) });
      }
      return refuse(req, res, provider, { reason: 'the response carried no assertion', message: GENERIC_REFUSAL });
    }
    const misaddressed = checkAddressing(profile, shape, provider, acs);
    if (misaddressed) return refuse(req, res, provider, { reason: misaddressed.reason, message: messageFor(misaddressed, provider) });
    const identity = assertionIdentity(profile);
    if (!identity) return refuse(req, res, provider, { reason: 'the assertion has no ID', message: GENERIC_REFUSAL });
    if (!(await store.claimAssertion(identity.id, provider.organisationId, identity.notOnOrAfter))) {
      return refuse(req, res, provider, { reason: `assertion ${identity.id} was already used (replay)`, message: GENERIC_REFUSAL });
    }
    const subject = subjectOf(profile, provider);
    if ('problem' in subject) return refuse(req, res, provider, { reason: subject.problem, message: messageFor({ reason: subject.problem, kind: 'configuration' }, provider) });
    const person = personFromProfile(profile as unknown as Record<string, unknown>, provider.attributes);
    if ('problem' in person) return refuse(req, res, provider, { reason: person.problem, message: GENERIC_REFUSAL });
    // An organisation's IdP speaks for its own people only: it cannot sign someone in as an address of another organisation.
    if (!emailDomainAllowed(person.email, provider.emailDomains)) {
      return refuse(req, res, provider, {
        reason: `email ${person.email} is outside the organisation's email domains (${provider.emailDomains.join(', ')})`,
        message: `Your organisation’s account gave us the email address ${person.email}, which is not one of ${provider.organisationName}’s addresses, so we have not signed you in. Contact your organisational lead.`,
      });
    }

    const result = await ctx.database.transaction((client) =>
      provisionFromSso(client, { organisationId: provider.organisationId, idpEntityId: provider.idpEntityId, subject: subject.subject, source: subject.source, emailDomains: provider.emailDomains }, person),
    );
    if (!result.ok) {
      const message =
        result.reason === 'email-in-another-organisation'
          ? `Your email address (${person.email}) is already registered to a member of staff in another organisation of this partnership, so we have not joined the two accounts. Ask your organisational lead or the partnership administrator to move your record, then try again.`
          : result.reason === 'account-disabled'
            ? 'Your account has been switched off. Contact your organisational lead.'
            : CONTACT_LEAD(provider);
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
        detail: { method: 'saml', staffCreated: result.created, linked: result.linked, idpInitiated: !shape.inResponseTo },
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
    const { input, errors } = validateProviderForm(form, org.emailDomains);
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

/** True when the email is at one of the organisation's domains (or a subdomain). An organisation without domains allows none. */
export function emailDomainAllowed(email: string, domains: string[]): boolean {
  return emailWithinDomains(email, domains);
}

export interface ProviderForm {
  enabled: boolean;
  signingRequired: SigningRequired;
  allowIdpInitiated: boolean;
  subjectAttribute: string;
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
  return {
    enabled: false,
    signingRequired: 'either',
    allowIdpInitiated: false,
    subjectAttribute: '',
    idpEntryPoint: '',
    idpEntityId: '',
    certificates: '',
    spEntityId: '',
    attributes: { ...DEFAULT_ATTRIBUTES },
  };
}

function formFromProvider(p: IdentityProvider): ProviderForm {
  return {
    enabled: p.enabled,
    signingRequired: p.signingRequired,
    allowIdpInitiated: p.allowIdpInitiated,
    subjectAttribute: p.subjectAttribute,
    idpEntryPoint: p.idpEntryPoint, idpEntityId: p.idpEntityId, certificates: p.idpCertificates.join('\n'), spEntityId: p.spEntityId ?? '', attributes: p.attributes };
}

function formFromBody(body: Record<string, unknown>): ProviderForm {
  const s = (k: string) => (typeof body[k] === 'string' ? (body[k] as string).trim() : '');
  const attributes = Object.fromEntries(ATTRIBUTE_FIELDS.map((f) => [f.key, s(`attr_${f.key}`)])) as unknown as AttributeNames;
  const signing = s('signingRequired') as SigningRequired;
  return {
    enabled: body.enabled === 'yes',
    signingRequired: SIGNING_REQUIRED.includes(signing) ? signing : 'either',
    allowIdpInitiated: body.allowIdpInitiated === 'yes',
    subjectAttribute: s('subjectAttribute'),
    idpEntryPoint: s('idpEntryPoint'), idpEntityId: s('idpEntityId'), certificates: s('certificates'), spEntityId: s('spEntityId'), attributes };
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
export function validateProviderForm(form: ProviderForm, emailDomains: string[]): { input?: ProviderInput; errors: { text: string; href: string }[] } {
  const errors: { text: string; href: string }[] = [];
  // Without domains every address would be the organisation's: its IdP could then speak for anyone.
  if (form.enabled && emailDomains.length === 0) {
    errors.push({ text: 'Add the organisation’s email domains (at Organisations) before switching on single sign-on', href: '#enabled' });
  }
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
    input: {
      enabled: form.enabled,
      idpEntryPoint: form.idpEntryPoint,
      idpEntityId: form.idpEntityId,
      idpCertificates: certs.map(toPem),
      spEntityId: form.spEntityId || null,
      attributes: form.attributes,
      signingRequired: form.signingRequired,
      allowIdpInitiated: form.allowIdpInitiated,
      subjectAttribute: form.subjectAttribute,
    },
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

const SIGNING_CHOICES: { value: SigningRequired; label: string; hint: string }[] = [
  { value: 'either', label: 'The response or the assertion (recommended)', hint: 'Works with what Entra ID, ADFS, Shibboleth and Google Workspace send by default.' },
  { value: 'assertion', label: 'The assertion', hint: 'Entra ID and ADFS sign the assertion by default.' },
  { value: 'response', label: 'The response', hint: 'Shibboleth signs the response by default.' },
  { value: 'both', label: 'Both the response and the assertion', hint: 'Only if the IdP is set to sign both.' },
];

function editModel(org: { slug: string; name: string }, form: ProviderForm, provider: IdentityProvider | undefined, publicUrl: string) {
  return {
    signingChoices: SIGNING_CHOICES.map((c) => ({ ...c, checked: c.value === form.signingRequired })),
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


