import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import type { CacheProvider, SAML } from '@node-saml/passport-saml';
import express, { type Request, type Router } from 'express';
import { allow, caller, can } from '../../server/access';
import { safeReturnTo } from '../../server/auth';
import { checkUploadToken } from '../../server/auth/csrf';
import { audit } from '../../server/auth/users';
import { NotFoundError } from '../../server/errors';
import type { ModuleContext } from '../../server/module';
import { createOrganisationStore } from '../organisations/api';
import { readOneFileUpload } from '../../server/upload';
import { ATTRIBUTE_PRESETS, PRESET_NAMES, presetFor, type ReceivedAttribute, receivedAttributes } from './attributes';
import { logoutRoutes, rememberSamlSession, sloUrl } from './logout';
import {
  fetchMetadata,
  type IdpMetadata,
  looksLikeMetadata,
  METADATA_MAX_BYTES,
  MetadataError,
  metadataUrlProblem,
  parseIdpMetadata,
  postBindingHint,
} from './metadata';
import { emailWithinDomains, provisionFromSso } from './provision';
import {
  acsUrl,
  assertionIdentity,
  checkAddressing,
  defaultSpEntityId,
  encryptedAssertionUsesSha1,
  explainValidationError,
  type Problem,
  personFromProfile,
  precheck,
  REQUEST_EXPIRY_MS,
  responseShape,
  SHA1_REFUSAL,
  samlFor,
  samlLibrary,
  spEntityId,
  splitCertificates,
  subjectOf,
} from './saml';
import { ensureSpKeys, publishedKeys } from './sp-keys';
import {
  type AttributeNames,
  createPgCacheProvider,
  createSsoStore,
  type IdentityProvider,
  type LastResponseInput,
  type ProviderInput,
  SIGNING_REQUIRED,
  type SigningRequired,
} from './store';

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
/** What a verified response said, for the administrators' "last response" page. */
type Seen = Omit<LastResponseInput, 'outcome' | 'problem'>;

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
  router.use(logoutRoutes(ctx, store));

  async function organisationBySlug(slug: string): Promise<{ id: string; slug: string; name: string; emailDomains: string[] } | undefined> {
    const org = await createOrganisationStore(pool).bySlug(slug);
    return org && { id: org.id, slug: org.slug, name: org.name, emailDomains: org.emailDomains };
  }

  async function refuse(req: Request, res: express.Response, provider: IdentityProvider | undefined, refusal: Refusal, seen?: Seen): Promise<void> {
    ctx.logger.warn({ organisation: provider?.slug ?? req.params.slug, reason: refusal.reason, ip: req.ip }, 'SAML sign-in refused');
    if (provider && seen) await recordLast(provider, { outcome: 'refused', problem: refusal.reason, ...seen });
    await audit(pool, {
      action: 'sign-in.refused',
      organisationId: provider?.organisationId ?? null,
      detail: { method: 'saml', reason: refusal.reason },
      ip: req.ip,
    }).catch((err: Error) => ctx.logger.error({ err: err.message }, 'could not audit a refused sign-in'));
    res.status(403).render(ctx.view('refused'), { title: 'We could not sign you in', message: refusal.message, organisationName: provider?.organisationName });
  }

  /** Keeps the response for the administrators' "last response" page; a failure to keep it never stops a sign-in. */
  async function recordLast(provider: IdentityProvider, last: LastResponseInput): Promise<void> {
    await store
      .recordLastResponse(provider.organisationId, last)
      .catch((err: Error) => ctx.logger.error({ err: err.message }, 'could not keep the last SAML response'));
  }

  // Service provider metadata for the organisation's IT team; public by design.
  router.get(`/auth/saml/${SLUG}/metadata`, async (req, res) => {
    const slug = String(req.params.slug);
    const org = await organisationBySlug(slug);
    if (!org) throw new NotFoundError();
    const provider = await store.forSlug(slug);
    const issuer = provider ? spEntityId(provider, publicUrl) : defaultSpEntityId(publicUrl, slug);
    const [current, ...others] = publishedKeys(await ensureSpKeys(pool));
    const saml = new (samlLibrary().SAML)({
      issuer,
      callbackUrl: acsUrl(publicUrl, slug),
      logoutCallbackUrl: sloUrl(publicUrl, slug),
      idpCert: 'unused-for-metadata',
      // Asks the IdP to sign the assertion (Shibboleth then signs it as well as the response), unless the organisation relies on the response's signature.
      wantAssertionsSigned: provider?.signingRequired !== 'response',
      identifierFormat: null,
      decryptionPvk: current.privateKey,
      // The same key signs this service's LogoutRequests and LogoutResponses: published as a signing key (the next one too, during a rollover).
      privateKey: current.privateKey,
      signatureAlgorithm: 'sha256',
    });
    let metadata = saml.generateServiceProviderMetadata(
      current.certificate,
      [current, ...others].map((k) => k.certificate),
    );
    // Sign-in requests are not signed (only logout messages are): say so, or an IdP would wait for a signature that never comes.
    metadata = metadata.replace(/AuthnRequestsSigned="true"/, 'AuthnRequestsSigned="false"');
    // During a key rollover the next key is published too, so IdPs can encrypt to it before the switch.
    for (const next of others) {
      const block = metadata.match(/<KeyDescriptor use="encryption">[\s\S]*?<\/KeyDescriptor>/)?.[0];
      const body = next.certificate.replace(/-----[A-Z ]+-----|\s/g, '');
      if (block) metadata = metadata.replace(block, `${block}${block.replace(/(<ds:X509Certificate>)[^<]*(<\/ds:X509Certificate>)/, `$1${body}$2`)}`);
    }
    // node-saml lists the logout service for HTTP-POST only; it answers HTTP-Redirect too, the binding most IdPs use for logout.
    metadata = metadata.replace(
      /<SingleLogoutService Binding="urn:oasis:names:tc:SAML:2\.0:bindings:HTTP-POST" Location="([^"]+)"\/>/,
      (post, location: string) => `<SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${location}"/>${post}`,
    );
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
      return refuse(req, res, provider, {
        reason: 'the organisation has no email domains, so nobody can be signed in through its IdP',
        message: CONTACT_LEAD(provider),
      });
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
    // Nothing from an unverified response is kept (the audit log says why it was refused); from here on it is verified.
    const seen: Seen = { nameId: profile.nameID, nameIdFormat: profile.nameIDFormat, attributes: receivedAttributes(profile.getAssertion?.()) };
    // An encrypted assertion's own signature could be read only now.
    if (
      shape.encrypted &&
      (await encryptedAssertionUsesSha1(
        body.SAMLResponse,
        keys.filter((k): k is string => Boolean(k)),
      ))
    ) {
      return refuse(req, res, provider, { reason: SHA1_REFUSAL.reason, message: messageFor(SHA1_REFUSAL, provider) }, seen);
    }
    const misaddressed = checkAddressing(profile, shape, provider, acs);
    if (misaddressed) return refuse(req, res, provider, { reason: misaddressed.reason, message: messageFor(misaddressed, provider) }, seen);
    const identity = assertionIdentity(profile);
    if (!identity) return refuse(req, res, provider, { reason: 'the assertion has no ID', message: GENERIC_REFUSAL });
    if (!(await store.claimAssertion(identity.id, provider.organisationId, identity.notOnOrAfter))) {
      return refuse(req, res, provider, { reason: `assertion ${identity.id} was already used (replay)`, message: GENERIC_REFUSAL });
    }
    const subject = subjectOf(profile, provider);
    if ('problem' in subject)
      return refuse(req, res, provider, { reason: subject.problem, message: messageFor({ reason: subject.problem, kind: 'configuration' }, provider) }, seen);
    const person = personFromProfile(profile as unknown as Record<string, unknown>, provider.attributes, seen.attributes);
    if ('problem' in person) {
      return refuse(
        req,
        res,
        provider,
        {
          reason: person.problem,
          message: `Your organisation’s account did not tell us your email address, so we cannot sign you in. This is not something you can fix: contact your IT team and tell them the sign-in to this training service did not include your email address (the “${provider.attributes.email}” attribute).`,
        },
        seen,
      );
    }
    // An organisation's IdP speaks for its own people only: it cannot sign someone in as an address of another organisation.
    if (!emailDomainAllowed(person.email, provider.emailDomains)) {
      return refuse(
        req,
        res,
        provider,
        {
          reason: `email ${person.email} is outside the organisation's email domains (${provider.emailDomains.join(', ')})`,
          message: `Your organisation’s account gave us the email address ${person.email}, which is not one of ${provider.organisationName}’s addresses, so we have not signed you in. Contact your organisational lead.`,
        },
        seen,
      );
    }

    const result = await ctx.database.transaction((client) =>
      provisionFromSso(
        client,
        {
          organisationId: provider.organisationId,
          idpEntityId: provider.idpEntityId,
          subject: subject.subject,
          source: subject.source,
          emailDomains: provider.emailDomains,
        },
        person,
      ),
    );
    if (!result.ok) {
      const message =
        result.reason === 'email-in-another-organisation'
          ? `Your email address (${person.email}) is already registered to a member of staff in another organisation of this partnership, so we have not joined the two accounts. Ask your organisational lead or the partnership administrator to move your record, then try again.`
          : result.reason === 'account-disabled'
            ? 'Your account has been switched off. Contact your organisational lead.'
            : CONTACT_LEAD(provider);
      return refuse(req, res, provider, { reason: `${result.reason}: ${result.detail}`, message }, seen);
    }
    await recordLast(provider, { outcome: 'signed-in', ...seen });
    req.login({ id: result.userId }, async (err) => {
      if (err) return next(err);
      try {
        await rememberSamlSession(req, pool, provider, profile);
      } catch (rememberErr) {
        return next(rememberErr);
      }
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
    const domain = email.includes('@') ? (email.split('@').pop() ?? '') : '';
    const slug = domain ? await store.enabledForEmailDomain(domain) : undefined;
    const returnTo = safeReturnTo(req.query.returnTo);
    if (slug) {
      // A page, not a redirect: this answers a form, and the sign-in page's CSP (form-action 'self') stops a form's
      // redirect chain from ending at another site, the IdP. Leaving from a page by a link is an ordinary navigation.
      const provider = await store.forSlug(slug);
      return res.render(ctx.view('continue'), {
        title: `Sign in with ${provider?.organisationName ?? 'your organisation'}`,
        organisationName: provider?.organisationName,
        loginUrl: loginPath(slug, returnTo),
        scripts: ['/modules/sso/continue.js'],
      });
    }
    const text = !domain
      ? 'Enter your work email address, like name@organisation.gov.uk'
      : 'Your organisation does not sign in with its own account here. Sign in with your email address and password instead.';
    res.status(domain ? 404 : 400).render('pages/sign-in', {
      title: 'Sign in',
      returnTo,
      ssoOrganisations: await store.enabledOrganisations(),
      workEmail: email,
      errors: [{ text, href: '#work-email' }],
      workEmailError: text,
    });
  });

  // Configuration: partnership administrators only.
  router.get('/admin/sso', allow(can.administerPartnership), async (_req, res) => {
    const rows = (await createOrganisationStore(pool).list()).map(({ slug, name }) => ({ slug, name }));
    const providers = new Map((await store.list()).map((p) => [p.slug, p]));
    res.render(ctx.view('admin-list'), {
      title: 'Single sign-on',
      organisations: rows.map((o) => ({ ...o, provider: providers.get(o.slug) })),
    });
  });

  router.get(`/admin/sso/${SLUG}`, allow(can.administerPartnership), async (req, res) => {
    const slug = String(req.params.slug);
    const org = await organisationBySlug(slug);
    if (!org) throw new NotFoundError();
    const provider = await store.forSlug(slug);
    res.render(ctx.view('admin-edit'), editModel(org, provider ? formFromProvider(provider) : defaultForm(), provider, publicUrl));
  });

  router.post(`/admin/sso/${SLUG}`, allow(can.administerPartnership), async (req, res) => {
    const who = caller(req);
    const slug = String(req.params.slug);
    const org = await organisationBySlug(slug);
    if (!org) throw new NotFoundError();
    const form = formFromBody(req.body as Record<string, unknown>);
    const before = await store.forSlug(slug);
    const production = ctx.config.env === 'production';
    // A metadata URL typed in (or changed) is read now, so a wrong one is found while the administrator is here.
    const fetchErrors: { text: string; href: string }[] = [];
    if (form.metadataUrl && form.metadataUrl !== before?.metadataUrl && !metadataUrlProblem(form.metadataUrl, production)) {
      try {
        const md = parseIdpMetadata(await fetchMetadata(form.metadataUrl, production), form.idpEntityId || undefined);
        form.idpEntityId ||= md.entityId;
        form.idpEntryPoint ||= md.ssoRedirectUrl ?? '';
        form.idpLogoutUrl ||= md.sloRedirectUrl ?? '';
        form.certificates = md.signingCertificates.map(toPem).join('');
      } catch (err) {
        fetchErrors.push({ text: err instanceof MetadataError ? err.message : 'The metadata could not be read.', href: '#metadataUrl' });
      }
    }
    const { input, errors } = validateProviderForm(form, org.emailDomains, production);
    if (!input || fetchErrors.length) {
      return res.status(400).render(ctx.view('admin-edit'), { ...editModel(org, form, before, publicUrl), errors: [...fetchErrors, ...errors] });
    }
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
        idpLogoutUrl: input.idpLogoutUrl,
        metadataUrl: input.metadataUrl,
        attributes: input.attributes,
        certificateFingerprints: input.idpCertificates.map(fingerprint),
        previousCertificateFingerprints: before?.idpCertificates.map(fingerprint) ?? [],
      },
      ip: req.ip,
    });
    req.session.flash = `Single sign-on settings saved for ${org.name}`;
    res.redirect('/admin/sso');
  });

  // Metadata from a URL, an uploaded file or pasted XML fills in the form; nothing is saved until the administrator saves it.
  router.post(`/admin/sso/${SLUG}/import`, allow(can.administerPartnership), async (req, res) => {
    const slug = String(req.params.slug);
    const org = await organisationBySlug(slug);
    if (!org) throw new NotFoundError();
    const before = await store.forSlug(slug);
    const form = before ? formFromProvider(before) : defaultForm();
    const production = ctx.config.env === 'production';
    let upload: Awaited<ReturnType<typeof readMetadataUpload>>;
    try {
      upload = await readMetadataUpload(req);
    } catch (err) {
      const text = err instanceof MetadataError ? err.message : 'The upload could not be read. Choose the metadata file again.';
      return res.status(400).render(ctx.view('admin-edit'), { ...editModel(org, form, before, publicUrl), errors: [{ text, href: '#metadataFile' }] });
    }
    checkUploadToken(req, upload.fields);
    const url = (upload.fields.metadataImportUrl ?? '').trim();
    const pasted = (upload.fields.metadataXml ?? '').trim();
    const source = upload.file ? 'file' : pasted ? 'paste' : url ? 'url' : undefined;
    const href = source === 'file' ? '#metadataFile' : source === 'paste' ? '#metadataXml' : '#metadataImportUrl';
    const importForm = { metadataImportUrl: url, metadataXml: pasted };
    const fail = (text: string) =>
      res.status(400).render(ctx.view('admin-edit'), { ...editModel(org, form, before, publicUrl), importForm, errors: [{ text, href }] });
    if (!source) return fail('Enter the metadata URL, choose a metadata file or paste the metadata XML');
    let md: IdpMetadata;
    try {
      const xml = source === 'file' ? (upload.file as Buffer).toString('utf8') : source === 'paste' ? pasted : await fetchMetadata(url, production);
      md = parseIdpMetadata(xml);
    } catch (err) {
      return fail(err instanceof MetadataError ? err.message : 'The metadata could not be read.');
    }
    if (!md.ssoRedirectUrl) return fail(postOnlyExplanation(md.ssoPostUrl));
    form.idpEntityId = md.entityId;
    form.idpEntryPoint = md.ssoRedirectUrl;
    form.idpLogoutUrl = md.sloRedirectUrl ?? '';
    form.certificates = md.signingCertificates.map(toPem).join('');
    form.metadataUrl = source === 'url' ? url : '';
    if (!before) form.preset = guessPreset(md);
    if (form.preset !== 'custom') form.attributes = { ...ATTRIBUTE_PRESETS[form.preset].attributes };
    res.render(ctx.view('admin-edit'), {
      ...editModel(org, form, before, publicUrl),
      imported: { entityId: md.entityId, certificates: md.signingCertificates.length, singleLogout: Boolean(md.sloRedirectUrl), fromUrl: source === 'url' },
    });
  });

  router.get(`/admin/sso/${SLUG}/last-response`, allow(can.administerPartnership), async (req, res) => {
    const slug = String(req.params.slug);
    const org = await organisationBySlug(slug);
    if (!org) throw new NotFoundError();
    const provider = await store.forSlug(slug);
    const last = provider ? await store.lastResponse(provider.organisationId) : undefined;
    const names = provider?.attributes;
    const usedFor = (a: ReceivedAttribute) =>
      names
        ? ATTRIBUTE_FIELDS.filter((f) => names[f.key] && (names[f.key] === a.name || names[f.key].toLowerCase() === a.friendlyName.toLowerCase())).map((f) =>
            f.label.toLowerCase(),
          )
        : [];
    res.render(ctx.view('last-response'), {
      title: `Last response from ${org.name}’s identity provider`,
      stylesheets: ['/modules/sso/sso.css'],
      organisation: org,
      last: last && { ...last, attributes: last.attributes.map((a) => ({ ...a, usedFor: usedFor(a).join(', ') })) },
      missing:
        names && last
          ? ATTRIBUTE_FIELDS.filter(
              (f) => names[f.key] && !last.attributes.some((a) => a.name === names[f.key] || a.friendlyName.toLowerCase() === names[f.key].toLowerCase()),
            ).map((f) => ({ label: f.label, name: names[f.key] }))
          : [],
    });
  });

  return router;
}

/** Where an organisation's sign-in starts, keeping a same-site page to return to. */
export function loginPath(slug: string, returnTo: string | undefined): string {
  return `/auth/saml/${slug}/login${returnTo ? `?returnTo=${encodeURIComponent(returnTo)}` : ''}`;
}

/** The attribute preset an IdP's product most likely uses, from the shape of its entity ID. */
export function guessPreset(md: Pick<IdpMetadata, 'entityId'>): string {
  const id = md.entityId;
  if (/^https:\/\/sts\.windows\.net\//.test(id) || /login\.microsoftonline\.com/.test(id)) return 'entra';
  if (/\/adfs\/services\/trust$/i.test(id)) return 'adfs';
  if (/^https:\/\/accounts\.google\.com\//.test(id)) return 'google';
  if (/\/idp\/shibboleth$/.test(id)) return 'shibboleth';
  return 'entra';
}

/** The metadata import form: a file, pasted XML or a URL (multipart, so the file can come too). */
async function readMetadataUpload(req: Request): Promise<{ fields: Record<string, string>; file?: Buffer }> {
  // Any other body has already been read (or refused) by the body parsers.
  if (!req.is('multipart/form-data')) throw new MetadataError('Choose a metadata file, paste the metadata XML or enter its URL');
  const upload = await readOneFileUpload(req, { maxBytes: METADATA_MAX_BYTES, maxFields: 10, maxFieldBytes: METADATA_MAX_BYTES });
  if (upload.unreadable) throw new MetadataError('The upload could not be read. Choose the metadata file again.');
  if (upload.tooLarge) throw new MetadataError('The metadata is larger than 2 MB. Use the metadata of this one identity provider, not a federation’s list.');
  return { fields: upload.fields, file: upload.file?.bytes };
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
  metadataUrl: string;
  idpLogoutUrl: string;
  preset: string;
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

const DEFAULT_ATTRIBUTES: AttributeNames = ATTRIBUTE_PRESETS.entra.attributes;

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
    metadataUrl: '',
    idpLogoutUrl: '',
    preset: 'entra',
    attributes: { ...DEFAULT_ATTRIBUTES },
  };
}

function formFromProvider(p: IdentityProvider): ProviderForm {
  return {
    enabled: p.enabled,
    signingRequired: p.signingRequired,
    allowIdpInitiated: p.allowIdpInitiated,
    subjectAttribute: p.subjectAttribute,
    idpEntryPoint: p.idpEntryPoint,
    idpEntityId: p.idpEntityId,
    certificates: p.idpCertificates.join('\n'),
    spEntityId: p.spEntityId ?? '',
    metadataUrl: p.metadataUrl ?? '',
    idpLogoutUrl: p.idpLogoutUrl ?? '',
    preset: presetFor(p.attributes),
    attributes: p.attributes,
  };
}

export function formFromBody(body: Record<string, unknown>): ProviderForm {
  const s = (k: string) => (typeof body[k] === 'string' ? (body[k] as string).trim() : '');
  const preset = (PRESET_NAMES as readonly string[]).includes(s('preset')) ? s('preset') : 'custom';
  // A preset's names are used as they are; the fields are for "custom".
  const attributes =
    preset !== 'custom'
      ? { ...ATTRIBUTE_PRESETS[preset].attributes }
      : (Object.fromEntries(ATTRIBUTE_FIELDS.map((f) => [f.key, s(`attr_${f.key}`)])) as unknown as AttributeNames);
  const signing = s('signingRequired') as SigningRequired;
  return {
    enabled: body.enabled === 'yes',
    signingRequired: SIGNING_REQUIRED.includes(signing) ? signing : 'either',
    allowIdpInitiated: body.allowIdpInitiated === 'yes',
    subjectAttribute: s('subjectAttribute'),
    idpEntryPoint: s('idpEntryPoint'),
    idpEntityId: s('idpEntityId'),
    certificates: s('certificates'),
    spEntityId: s('spEntityId'),
    metadataUrl: s('metadataUrl'),
    idpLogoutUrl: s('idpLogoutUrl'),
    preset,
    attributes,
  };
}

export function fingerprint(cert: string): string {
  try {
    return new X509Certificate(toPem(cert)).fingerprint256;
  } catch {
    return createHash('sha256').update(cert).digest('hex');
  }
}

export function toPem(cert: string): string {
  if (cert.includes('BEGIN CERTIFICATE')) return cert;
  return `-----BEGIN CERTIFICATE-----\n${cert.match(/.{1,64}/g)?.join('\n')}\n-----END CERTIFICATE-----\n`;
}

function isLoopback(url: URL): boolean {
  return ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
}

function httpsProblem(value: string): 'missing' | 'bad' | undefined {
  if (!value) return 'missing';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'bad';
  }
  return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopback(url)) ? undefined : 'bad';
}

/**
 * Checks an administrator's settings: plain function, no HTTP. Metadata
 * pasted into the certificate box is read as metadata (its signing
 * certificates, and the entity ID and URLs where those are blank).
 */
export function validateProviderForm(
  form: ProviderForm,
  emailDomains: string[],
  production = false,
): { input?: ProviderInput; errors: { text: string; href: string }[] } {
  const errors: { text: string; href: string }[] = [];
  // Without domains every address would be the organisation's: its IdP could then speak for anyone.
  if (form.enabled && emailDomains.length === 0) {
    errors.push({ text: 'Add the organisation’s email domains (at Organisations) before switching on single sign-on', href: '#enabled' });
  }
  if (looksLikeMetadata(form.certificates)) {
    try {
      const md = parseIdpMetadata(form.certificates, form.idpEntityId || undefined);
      form.certificates = md.signingCertificates.map(toPem).join('');
      form.idpEntityId ||= md.entityId;
      form.idpEntryPoint ||= md.ssoRedirectUrl ?? '';
      form.idpLogoutUrl ||= md.sloRedirectUrl ?? '';
      if (!md.ssoRedirectUrl && !form.idpEntryPoint) errors.push({ text: postOnlyExplanation(md.ssoPostUrl), href: '#idpEntryPoint' });
    } catch (err) {
      errors.push({ text: `The certificate box holds metadata that could not be used: ${(err as Error).message}`, href: '#certificates' });
    }
  }
  const entry = httpsProblem(form.idpEntryPoint);
  if (entry === 'missing') {
    if (!errors.some((e) => e.href === '#idpEntryPoint')) errors.push({ text: 'Enter the identity provider’s sign-in URL', href: '#idpEntryPoint' });
  } else if (entry) errors.push({ text: 'The sign-in URL must be a full https:// address', href: '#idpEntryPoint' });
  else if (postBindingHint(form.idpEntryPoint)) {
    errors.push({
      text: `That sign-in URL is the identity provider’s HTTP-POST endpoint. This service sends people to the identity provider with HTTP-Redirect: use its HTTP-Redirect sign-in URL, probably ${postBindingHint(form.idpEntryPoint)}`,
      href: '#idpEntryPoint',
    });
  }
  if (form.idpLogoutUrl && httpsProblem(form.idpLogoutUrl))
    errors.push({ text: 'The single logout URL must be a full https:// address, or left blank', href: '#idpLogoutUrl' });
  if (form.metadataUrl) {
    const problem = metadataUrlProblem(form.metadataUrl, production);
    if (problem) errors.push({ text: problem, href: '#metadataUrl' });
  }
  if (!form.idpEntityId) errors.push({ text: 'Enter the identity provider’s entity ID (issuer)', href: '#idpEntityId' });
  const certs = splitCertificates(form.certificates);
  if (certs.length === 0 && !errors.some((e) => e.href === '#certificates'))
    errors.push({ text: 'Paste the identity provider’s signing certificate, or its metadata', href: '#certificates' });
  for (const c of certs) {
    try {
      new X509Certificate(toPem(c));
    } catch {
      errors.push({
        text: 'A signing certificate could not be read: paste it in PEM form, from -----BEGIN CERTIFICATE----- to -----END CERTIFICATE-----, or paste the identity provider’s metadata XML',
        href: '#certificates',
      });
      break;
    }
  }
  if (form.spEntityId && !/^(https?:\/\/|urn:)\S+$/.test(form.spEntityId))
    errors.push({ text: 'The service provider entity ID must be a URL or a URN', href: '#spEntityId' });
  // Only the email address is needed to sign someone in; the rest fill in their staff record when sent.
  if (!form.attributes.email) errors.push({ text: 'Enter the attribute name for the email address', href: '#attr_email' });
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
      metadataUrl: form.metadataUrl || null,
      idpLogoutUrl: form.idpLogoutUrl || null,
    },
  };
}

/** What to tell an administrator whose IdP offers sign-in by HTTP-POST only. */
export function postOnlyExplanation(postUrl: string | null): string {
  return `The identity provider’s metadata offers sign-in only by HTTP-POST${postUrl ? ` (${postUrl})` : ''}. This service sends people to the identity provider with HTTP-Redirect, the binding every SAML identity provider supports for sign-in requests: ask the IT team to turn on the HTTP-Redirect binding for single sign-on and give you its URL, or import the metadata again once they have.`;
}

function certificateSummaries(certs: string[]) {
  return certs.map((c) => {
    try {
      const x = new X509Certificate(toPem(c));
      return {
        subject: x.subject.replace(/\n/g, ', '),
        validTo: new Date(x.validTo),
        expired: new Date(x.validTo) < new Date(),
        fingerprint: x.fingerprint256,
      };
    } catch {
      return { subject: 'unreadable certificate', validTo: undefined, expired: false, fingerprint: '' };
    }
  });
}

const SIGNING_CHOICES: { value: SigningRequired; label: string; hint: string }[] = [
  {
    value: 'either',
    label: 'The response or the assertion (recommended)',
    hint: 'Works with what Entra ID, ADFS, Shibboleth and Google Workspace send by default.',
  },
  { value: 'assertion', label: 'The assertion', hint: 'Entra ID and ADFS sign the assertion by default.' },
  { value: 'response', label: 'The response', hint: 'Shibboleth signs the response by default.' },
  { value: 'both', label: 'Both the response and the assertion', hint: 'Only if the IdP is set to sign both.' },
];

function editModel(org: { slug: string; name: string }, form: ProviderForm, provider: IdentityProvider | undefined, publicUrl: string) {
  return {
    signingChoices: SIGNING_CHOICES.map((c) => ({ ...c, checked: c.value === form.signingRequired })),
    title: `Single sign-on for ${org.name}`,
    stylesheets: ['/modules/sso/sso.css'],
    organisation: org,
    form,
    attributeFields: ATTRIBUTE_FIELDS.map((f) => ({
      ...f,
      id: `attr_${f.key}`,
      value: form.attributes[f.key],
      hint: f.key === 'email' ? undefined : 'Optional',
    })),
    presets: [
      ...Object.entries(ATTRIBUTE_PRESETS).map(([value, p]) => ({
        value,
        label: p.label,
        checked: form.preset === value,
        names: ATTRIBUTE_FIELDS.map((f) => ({ label: f.label, name: p.attributes[f.key] })).filter((n) => n.name),
      })),
      { value: 'custom', label: 'Other: enter the attribute names', checked: form.preset === 'custom', custom: true },
    ],
    certificateSummaries: provider ? certificateSummaries(provider.idpCertificates) : [],
    spEntityIdDefault: defaultSpEntityId(publicUrl, org.slug),
    acsUrl: acsUrl(publicUrl, org.slug),
    sloUrl: sloUrl(publicUrl, org.slug),
    metadataUrl: `/auth/saml/${org.slug}/metadata`,
    provider,
    metadataProblem: provider?.metadataProblem,
  };
}
