import type { CacheProvider, Profile, SAML } from '@node-saml/passport-saml';
import { XMLParser } from 'fast-xml-parser';
import { attributeValue, type ReceivedAttribute } from './attributes';
import type { IdentityProvider, SpKey } from './store';

/** Clocks of an IdP and this server rarely agree to the second; a minute is enough. */
export const CLOCK_SKEW_MS = 60_000;
/** How long a sign-in started here may take at the IdP before its request id is forgotten. */
export const REQUEST_EXPIRY_MS = 15 * 60_000;

export function defaultSpEntityId(publicUrl: string, slug: string): string {
  return `${publicUrl}/auth/saml/${slug}/metadata`;
}

export function spEntityId(provider: Pick<IdentityProvider, 'spEntityId' | 'slug'>, publicUrl: string): string {
  return provider.spEntityId || defaultSpEntityId(publicUrl, provider.slug);
}

export function acsUrl(publicUrl: string, slug: string): string {
  return `${publicUrl}/auth/saml/${slug}/acs`;
}

/** Certificates as the admin pasted them: PEM blocks, one or several (rollover), or bare base64. */
export function splitCertificates(text: string): string[] {
  const pem = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
  if (pem) return pem.map((c) => c.trim());
  const bare = text.replace(/\s+/g, '');
  return bare ? [bare] : [];
}

/**
 * One SAML service provider per organisation. Signatures as the organisation's
 * IdP setting requires (never none: with neither flag node-saml still wants the
 * response or the assertion signed), our own audience, a small clock skew and
 * InResponseTo checked against requests this organisation really sent
 * (remembered in PostgreSQL). Unsolicited responses only where switched on.
 */
/**
 * The SAML library (and the XML signature and encryption libraries under it), loaded
 * when single sign-on is first used rather than at every start: most partnerships
 * never switch it on, and it is one of the larger parts of the server's start-up work.
 */
export function samlLibrary(): typeof import('@node-saml/passport-saml') {
  return require('@node-saml/passport-saml') as typeof import('@node-saml/passport-saml');
}

export function samlFor(provider: IdentityProvider, publicUrl: string, cacheProvider: CacheProvider, requestId?: string, decryptionKey?: string): SAML {
  const issuer = spEntityId(provider, publicUrl);
  const { SAML, ValidateInResponseTo } = samlLibrary();
  return new SAML({
    entryPoint: provider.idpEntryPoint,
    idpIssuer: provider.idpEntityId,
    idpCert: provider.idpCertificates,
    issuer,
    audience: issuer,
    callbackUrl: acsUrl(publicUrl, provider.slug),
    wantAssertionsSigned: provider.signingRequired === 'assertion' || provider.signingRequired === 'both',
    wantAuthnResponseSigned: provider.signingRequired === 'response' || provider.signingRequired === 'both',
    acceptedClockSkewMs: CLOCK_SKEW_MS,
    validateInResponseTo: provider.allowIdpInitiated ? ValidateInResponseTo.ifPresent : ValidateInResponseTo.always,
    requestIdExpirationPeriodMs: REQUEST_EXPIRY_MS,
    cacheProvider,
    identifierFormat: null,
    disableRequestedAuthnContext: true,
    ...(decryptionKey ? { decryptionPvk: decryptionKey } : {}),
    ...(requestId ? { generateUniqueId: () => requestId } : {}),
  });
}

const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', removeNSPrefix: true, isArray: () => true, processEntities: false });
type Node = Record<string, unknown[] | string | undefined>;
const child = (n: Node | undefined, name: string): Node[] => ((n?.[name] as Node[] | undefined) ?? []).filter((c) => typeof c === 'object');
const attr = (n: Node | undefined, name: string): string | undefined => {
  const v = n?.[`@${name}`];
  return typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : undefined;
};
/** The text of the first `name` child: the parser gives a bare string for an element with no attributes. */
const textOf = (n: Node | undefined, name: string): string => {
  const c = (n?.[name] as unknown[] | undefined)?.[0];
  if (typeof c === 'string' || typeof c === 'number') return String(c).trim();
  const t = (c as Node | undefined)?.['#text'];
  return (Array.isArray(t) ? String(t[0] ?? '') : typeof t === 'string' || typeof t === 'number' ? String(t) : '').trim();
};

/** What the raw (not yet verified) response shows: only for precise refusals, never to trust anything. */
export interface ResponseShape {
  isResponse: boolean;
  responseSigned: boolean;
  /** null when the assertion is encrypted (its signature is known only after decryption). */
  assertionSigned: boolean | null;
  encrypted: boolean;
  inResponseTo?: string;
  destination?: string;
  issuer?: string;
  sha1: boolean;
}

const SHA1 = /(?:#|-)sha1$/i;

/**
 * Any signature's SignatureMethod or DigestMethod using SHA-1. An encrypted
 * key's EncryptionMethod is left out: RSA-OAEP names SHA-1 as its digest by
 * default (Entra ID, ADFS, samlp), which is no signature and is safe there.
 */
export function usesSha1(xmlText: string): boolean {
  const signaturesOnly = xmlText.replace(/<(?:\w+:)?EncryptionMethod\b(?:[^>]*\/>|[\s\S]*?<\/(?:\w+:)?EncryptionMethod>)/g, '');
  for (const m of signaturesOnly.matchAll(/<(?:\w+:)?(?:SignatureMethod|DigestMethod)\b[^>]*\bAlgorithm\s*=\s*["']([^"']+)["']/g)) {
    if (SHA1.test(m[1])) return true;
  }
  return false;
}

/**
 * Whether the signature inside an encrypted assertion uses SHA-1: only its
 * decryption shows it, and node-saml keeps the verified assertion without its
 * signature. Decrypted as node-saml does, with the keys it was given.
 */
export async function encryptedAssertionUsesSha1(samlResponseBase64: string, keys: string[]): Promise<boolean> {
  const { decryptXml, parseDomFromString, xpath } = require('@node-saml/node-saml/lib/xml') as typeof import('@node-saml/node-saml/lib/xml');
  const doc = await parseDomFromString(Buffer.from(samlResponseBase64, 'base64').toString('utf8'));
  const [encrypted] = xpath.selectElements(doc, "/*[local-name()='Response']/*[local-name()='EncryptedAssertion']");
  if (!encrypted) return false;
  for (const key of keys) {
    try {
      return usesSha1(await decryptXml(encrypted.toString(), key));
    } catch {
      // Not this key: the next one.
    }
  }
  return false;
}

export function responseShape(samlResponseBase64: string): ResponseShape {
  const raw = Buffer.from(samlResponseBase64, 'base64').toString('utf8');
  let root: Node | undefined;
  try {
    root = child(xml.parse(raw) as Node, 'Response')[0];
  } catch {
    root = undefined;
  }
  const assertion = child(root, 'Assertion')[0];
  return {
    isResponse: Boolean(root),
    responseSigned: child(root, 'Signature').length > 0,
    assertionSigned: assertion ? child(assertion, 'Signature').length > 0 : child(root, 'EncryptedAssertion').length > 0 ? null : false,
    encrypted: child(root, 'EncryptedAssertion').length > 0,
    inResponseTo: attr(root, 'InResponseTo'),
    destination: attr(root, 'Destination'),
    issuer: textOf(root, 'Issuer') || undefined,
    sha1: usesSha1(raw),
  };
}

/** A refusal: `reason` for the audit log and the administrator, `kind` for the page the person sees. */
export interface Problem {
  reason: string;
  kind: 'idp-initiated-off' | 'configuration' | 'forged' | 'expired';
}

const SIGNING_WORDS: Record<IdentityProvider['signingRequired'], string> = {
  either: 'the response or the assertion',
  assertion: 'the assertion',
  response: 'the response',
  both: 'both the response and the assertion',
};

export const SHA1_REFUSAL: Problem = {
  reason: 'the response is signed with SHA-1, which is no longer safe: set the identity provider to sign with SHA-256',
  kind: 'configuration',
};

/** Refusals that can be told from the raw response before any cryptography, with the precise reason. */
export function precheck(shape: ResponseShape, provider: IdentityProvider): Problem | undefined {
  if (!shape.isResponse) return { reason: 'the SAMLResponse is not a SAML 2.0 Response', kind: 'forged' };
  if (shape.sha1) return SHA1_REFUSAL;
  if (!shape.inResponseTo && !provider.allowIdpInitiated) {
    return {
      reason: 'the response answers no sign-in request (an IdP-initiated sign-in), and IdP-initiated sign-in is switched off for this organisation',
      kind: 'idp-initiated-off',
    };
  }
  const needResponse = provider.signingRequired === 'response' || provider.signingRequired === 'both';
  const needAssertion = provider.signingRequired === 'assertion' || provider.signingRequired === 'both';
  const signed = shape.responseSigned
    ? shape.assertionSigned
      ? 'both the response and the assertion'
      : 'the response only'
    : shape.assertionSigned
      ? 'the assertion only'
      : 'neither the response nor the assertion';
  const setting = `this organisation is set to require ${SIGNING_WORDS[provider.signingRequired]} to be signed`;
  if (needResponse && !shape.responseSigned) return { reason: `the identity provider signed ${signed}, but ${setting}`, kind: 'configuration' };
  if (needAssertion && shape.assertionSigned === false) return { reason: `the identity provider signed ${signed}, but ${setting}`, kind: 'configuration' };
  if (!shape.responseSigned && shape.assertionSigned === false) return { reason: 'neither the response nor the assertion is signed', kind: 'forged' };
  return undefined;
}

/** node-saml's terse errors, said so an administrator knows what to change. */
export function explainValidationError(message: string, shape: ResponseShape, provider: IdentityProvider): Problem {
  if (message === 'Invalid document signature') {
    return {
      reason: "the response's signature does not verify with any of the organisation's IdP certificates (wrong certificate, or the response was changed)",
      kind: 'forged',
    };
  }
  if (/^Invalid signature/.test(message)) {
    return {
      reason: `the assertion's signature does not verify with any of the organisation's IdP certificates${shape.responseSigned ? '' : ' (the response itself is not signed)'} (${message})`,
      kind: 'forged',
    };
  }
  if (message === 'InResponseTo is not valid' || message === 'SubjectInResponseTo is not valid') {
    return {
      reason: `the response answers request ${shape.inResponseTo ?? '(none)'}, which ${provider.organisationName} did not start, has expired or was already answered`,
      kind: 'forged',
    };
  }
  if (message === 'InResponseTo is missing from response') {
    return {
      reason: 'the response answers no sign-in request (an IdP-initiated sign-in), and IdP-initiated sign-in is switched off for this organisation',
      kind: 'idp-initiated-off',
    };
  }
  if (/expired|NotOnOrAfter|NotBefore|SubjectConfirmation/i.test(message)) return { reason: message, kind: 'expired' };
  // OpenSSL says only "oaep decoding error" when the assertion's key was encrypted to a certificate that is not ours.
  if (/decrypt|EncryptedAssertion/i.test(message) || (shape.encrypted && /oaep|padding|rsa routines/i.test(message))) {
    return {
      reason: `the encrypted assertion could not be decrypted with this service's keys: the IdP may hold an old copy of our metadata (${message})`,
      kind: 'configuration',
    };
  }
  return { reason: message, kind: 'forged' };
}

/**
 * After node-saml has verified the signature: the assertion it verified must
 * come from this organisation's IdP and be addressed to this organisation's
 * ACS, and the Response around it must say the same. node-saml checks none of
 * these for a sign-in response.
 */
export function checkAddressing(profile: Profile, shape: ResponseShape, provider: IdentityProvider, acs: string): Problem | undefined {
  let assertion: Node | undefined;
  try {
    assertion = child(xml.parse(profile.getAssertionXml?.() ?? '') as Node, 'Assertion')[0];
  } catch {
    assertion = undefined;
  }
  if (!assertion) return { reason: 'the verified assertion could not be read', kind: 'forged' };
  const issuer = textOf(assertion, 'Issuer');
  if (issuer !== provider.idpEntityId) {
    return { reason: `the assertion's Issuer is "${issuer}", not the organisation's identity provider "${provider.idpEntityId}"`, kind: 'forged' };
  }
  if (shape.issuer !== undefined && shape.issuer !== provider.idpEntityId) {
    return { reason: `the response's Issuer is "${shape.issuer}", not the organisation's identity provider "${provider.idpEntityId}"`, kind: 'forged' };
  }
  if (shape.destination !== acs) {
    return {
      reason: `the response's Destination is ${shape.destination ? `"${shape.destination}"` : 'missing'}, not this organisation's ACS URL "${acs}"`,
      kind: 'forged',
    };
  }
  const bearer = child(child(assertion, 'Subject')[0], 'SubjectConfirmation').filter((c) => attr(c, 'Method') === 'urn:oasis:names:tc:SAML:2.0:cm:bearer');
  const recipients = bearer.flatMap((c) => child(c, 'SubjectConfirmationData').map((d) => attr(d, 'Recipient')));
  if (recipients.length === 0 || recipients.some((r) => r !== acs)) {
    return {
      reason: `the assertion's SubjectConfirmation Recipient is ${recipients.length ? recipients.map((r) => `"${r ?? ''}"`).join(', ') : 'missing'}, not this organisation's ACS URL "${acs}"`,
      kind: 'forged',
    };
  }
  return undefined;
}

/** The subject the organisation's IdP asserts: a stable id attribute when configured, else the NameID. */
export function subjectOf(profile: Profile, provider: IdentityProvider): { subject: string; source: string } | { problem: string } {
  if (provider.subjectAttribute) {
    const value = first(
      (profile.attributes as Record<string, unknown> | undefined)?.[provider.subjectAttribute] ??
        (profile as Record<string, unknown>)[provider.subjectAttribute],
    );
    if (!value) return { problem: `no stable id in attribute "${provider.subjectAttribute}"` };
    return { subject: value, source: provider.subjectAttribute };
  }
  const nameId = first(profile.nameID);
  if (!nameId) return { problem: 'the assertion has no NameID' };
  // A transient NameID changes at every sign-in: nothing could be recognised by it later.
  if (profile.nameIDFormat === 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient') {
    return {
      problem: 'the NameID is transient (new at each sign-in): set the IdP to send a persistent NameID or an email NameID, or name a stable id attribute',
    };
  }
  return { subject: nameId, source: 'nameid' };
}

/** Keys to try for an encrypted assertion: current first, then next, then recently retired. */
export function decryptionKeys(keys: SpKey[]): string[] {
  return keys.map((k) => k.privateKey);
}

export interface SsoPerson {
  email: string;
  name: string;
  jobTitle: string;
  team: string;
  staffNumber: string | null;
}

function first(value: unknown): string {
  if (Array.isArray(value)) return first(value[0]);
  if (typeof value === 'string') return value.trim();
  if (typeof value === 'number') return String(value);
  return '';
}

/** The person an assertion describes, read through the organisation's attribute names (each matched to an attribute's Name or FriendlyName). */
export function personFromProfile(
  profile: Record<string, unknown>,
  names: IdentityProvider['attributes'],
  received: ReceivedAttribute[] = [],
): SsoPerson | { problem: string } {
  const attrs = { ...(profile.attributes as Record<string, unknown> | undefined), ...profile };
  const get = (name: string) => (name ? first(attrs[name]) || attributeValue(received, name) : '');
  const email = (get(names.email) || (first(profile.nameID).includes('@') ? first(profile.nameID) : '')).toLowerCase();
  if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) {
    const sent = received.map((a) => a.name + (a.friendlyName ? ` (${a.friendlyName})` : ''));
    return {
      problem: `no email address in attribute "${names.email}"; the response had ${sent.length ? `only ${sent.join(', ')}` : 'no attributes'} and a NameID that is not an email address`,
    };
  }
  const given = get(names.givenName);
  const surname = get(names.surname);
  const display = get(names.displayName);
  const name = (display || `${given} ${surname}`.trim() || email.split('@')[0]).slice(0, 200);
  return {
    email,
    name,
    jobTitle: get(names.jobTitle).slice(0, 200),
    team: get(names.team).slice(0, 200),
    staffNumber: get(names.staffNumber) || null,
  };
}

/** The validated assertion's id and the end of its validity, for replay protection. */
export function assertionIdentity(profile: Profile): { id: string; notOnOrAfter: Date } | undefined {
  const parsed = profile.getAssertion?.() as { Assertion?: { $?: { ID?: string }; Conditions?: { $?: { NotOnOrAfter?: string } }[] } } | undefined;
  const id = parsed?.Assertion?.$?.ID;
  if (!id) return undefined;
  const end = parsed?.Assertion?.Conditions?.[0]?.$?.NotOnOrAfter;
  const notOnOrAfter = end ? new Date(end) : new Date(Date.now() + 24 * 3600_000);
  // Keep it at least as long as a replay could still pass the clock-skew check.
  return { id, notOnOrAfter: new Date(Math.max(notOnOrAfter.getTime(), Date.now()) + CLOCK_SKEW_MS) };
}

/** The InResponseTo of a Response's root element, read before validation only to compare with this browser's request. */
export function responseInResponseTo(samlResponseBase64: string): string | undefined {
  const xml = Buffer.from(samlResponseBase64, 'base64').toString('utf8');
  const root = xml.match(/<(?:\w+:)?Response\b[^>]*>/)?.[0];
  return root?.match(/\sInResponseTo="([^"]+)"/)?.[1];
}
