import { type CacheProvider, type Profile, SAML, ValidateInResponseTo } from '@node-saml/passport-saml';
import { attributeValue, type ReceivedAttribute } from './attributes';
import type { IdentityProvider } from './store';

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
 * One SAML service provider per organisation. Signed assertions, our own
 * audience, a small clock skew and InResponseTo checked against requests this
 * service really sent (remembered in PostgreSQL).
 */
export function samlFor(provider: IdentityProvider, publicUrl: string, cacheProvider: CacheProvider, requestId?: string): SAML {
  const issuer = spEntityId(provider, publicUrl);
  return new SAML({
    entryPoint: provider.idpEntryPoint,
    idpIssuer: provider.idpEntityId,
    idpCert: provider.idpCertificates,
    issuer,
    audience: issuer,
    callbackUrl: acsUrl(publicUrl, provider.slug),
    wantAssertionsSigned: true,
    // Entra ID and ADFS sign the assertion by default, not always the response around it.
    wantAuthnResponseSigned: false,
    acceptedClockSkewMs: CLOCK_SKEW_MS,
    validateInResponseTo: ValidateInResponseTo.always,
    requestIdExpirationPeriodMs: REQUEST_EXPIRY_MS,
    cacheProvider,
    identifierFormat: null,
    disableRequestedAuthnContext: true,
    ...(requestId ? { generateUniqueId: () => requestId } : {}),
  });
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
export function personFromProfile(profile: Record<string, unknown>, names: IdentityProvider['attributes'], received: ReceivedAttribute[] = []): SsoPerson | { problem: string } {
  const attrs = { ...(profile.attributes as Record<string, unknown> | undefined), ...profile };
  const get = (name: string) => (name ? first(attrs[name]) || attributeValue(received, name) : '');
  const email = (get(names.email) || (first(profile.nameID).includes('@') ? first(profile.nameID) : '')).toLowerCase();
  if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) {
    const sent = received.map((a) => a.name + (a.friendlyName ? ` (${a.friendlyName})` : ''));
    return { problem: `no email address in attribute "${names.email}"; the response had ${sent.length ? `only ${sent.join(', ')}` : 'no attributes'} and a NameID that is not an email address` };
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
