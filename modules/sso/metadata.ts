import { X509Certificate } from 'node:crypto';
import { XMLParser } from 'fast-xml-parser';

export const BINDING_REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
export const BINDING_POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';

/** Largest metadata document read, pasted, uploaded or fetched. One IdP's metadata is a few tens of kilobytes; federation aggregates are not supported. */
export const METADATA_MAX_BYTES = 2 * 1024 * 1024;
/** How long a metadata URL may take to answer, in all. */
export const METADATA_TIMEOUT_MS = 10_000;

/** What an identity provider's metadata tells us, as this service uses it. */
export interface IdpMetadata {
  entityId: string;
  /** The HTTP-Redirect SingleSignOnService: the only binding this service sends people to the IdP with. */
  ssoRedirectUrl: string | null;
  /** Offered only by HTTP-POST: kept to explain why it cannot be used. */
  ssoPostUrl: string | null;
  /** The HTTP-Redirect SingleLogoutService, if the IdP offers one. */
  sloRedirectUrl: string | null;
  /** Every signing certificate (base64 DER, no PEM armour), the new one too during the IdP's certificate rollover. */
  signingCertificates: string[];
}

export class MetadataError extends Error {}

type Node = Record<string, unknown>;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  removeNSPrefix: true,
  processEntities: false,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  isArray: (_name, _path, _leaf, isAttribute) => !isAttribute,
});

function children(node: unknown, name: string): Node[] {
  if (!node || typeof node !== 'object') return [];
  const value = (node as Node)[name];
  return Array.isArray(value)
    ? (value.filter((v) => v && typeof v === 'object') as Node[]).concat(value.filter((v) => typeof v === 'string').map((t) => ({ '#text': t })))
    : [];
}

function text(node: Node): string {
  return typeof node['#text'] === 'string' ? node['#text'] : '';
}

function attr(node: Node, name: string): string {
  const v = node[`@${name}`];
  return typeof v === 'string' ? v.trim() : '';
}

/** True when the text looks like SAML metadata rather than a certificate. */
export function looksLikeMetadata(value: string): boolean {
  return /<(\w+:)?(EntityDescriptor|EntitiesDescriptor)[\s>]/.test(value);
}

/**
 * Reads an IdP's SAML metadata. With several entities (an aggregate), the one
 * named `entityId` is chosen; without a name, only a document with exactly one
 * identity provider is accepted. Never fetches anything the document points to.
 */
export function parseIdpMetadata(xml: string, entityId?: string): IdpMetadata {
  if (Buffer.byteLength(xml) > METADATA_MAX_BYTES)
    throw new MetadataError('The metadata is larger than 2 MB. Use the metadata of this one identity provider, not a federation’s list.');
  // Metadata never needs a document type; refusing it rules out entity expansion and external entities.
  if (/<!DOCTYPE|<!ENTITY/i.test(xml))
    throw new MetadataError(
      'The metadata contains a document type declaration (<!DOCTYPE>), which SAML metadata never needs. Download it again from the identity provider.',
    );
  if (!looksLikeMetadata(xml))
    throw new MetadataError('This is not SAML metadata: it has no <EntityDescriptor>. Check you copied the identity provider’s federation metadata XML.');
  let doc: Node;
  try {
    doc = parser.parse(xml, true) as Node;
  } catch (err) {
    throw new MetadataError(
      `The metadata is not well-formed XML (${String((err as Error).message)
        .split('\n')[0]
        .slice(0, 200)}).`,
    );
  }
  const entities: Node[] = [];
  const collect = (n: Node) => {
    for (const e of children(n, 'EntityDescriptor')) entities.push(e);
    for (const group of children(n, 'EntitiesDescriptor')) collect(group);
  };
  collect(doc);
  const idps = entities.filter((e) => children(e, 'IDPSSODescriptor').length > 0);
  if (idps.length === 0)
    throw new MetadataError(
      'The metadata describes no identity provider (no <IDPSSODescriptor>). It may be the metadata of a service provider: use the identity provider’s.',
    );
  let entity: Node | undefined;
  if (entityId) entity = idps.find((e) => attr(e, 'entityID') === entityId);
  if (!entity && idps.length === 1 && !entityId) entity = idps[0];
  if (!entity && idps.length === 1 && entityId) {
    throw new MetadataError(
      `The metadata is for ${attr(idps[0], 'entityID')}, not the identity provider entity ID entered (${entityId}). Clear the entity ID to take the one in the metadata.`,
    );
  }
  if (!entity) throw new MetadataError(`The metadata lists ${idps.length} identity providers. Enter the entity ID of the one to use.`);

  const id = attr(entity, 'entityID');
  if (!id) throw new MetadataError('The metadata’s <EntityDescriptor> has no entityID.');
  const idp = children(entity, 'IDPSSODescriptor').find((d) => attr(d, 'protocolSupportEnumeration').includes('urn:oasis:names:tc:SAML:2.0:protocol'));
  if (!idp) throw new MetadataError('The identity provider does not support SAML 2.0 (its protocolSupportEnumeration does not list it).');

  const endpoint = (name: string, binding: string) =>
    children(idp, name).find((s) => attr(s, 'Binding') === binding && /^https?:\/\//.test(attr(s, 'Location')));
  const signingCertificates: string[] = [];
  for (const key of children(idp, 'KeyDescriptor')) {
    const use = attr(key, 'use');
    if (use && use !== 'signing') continue;
    for (const info of children(key, 'KeyInfo')) {
      for (const data of children(info, 'X509Data')) {
        for (const cert of children(data, 'X509Certificate')) {
          const b64 = text(cert).replace(/\s+/g, '');
          if (!b64) continue;
          try {
            new X509Certificate(Buffer.from(b64, 'base64'));
          } catch {
            throw new MetadataError('A signing certificate in the metadata could not be read.');
          }
          if (!signingCertificates.includes(b64)) signingCertificates.push(b64);
        }
      }
    }
  }
  if (signingCertificates.length === 0)
    throw new MetadataError(
      'The metadata has no signing certificate (<KeyDescriptor use="signing">), so no response from this identity provider could be checked.',
    );
  return {
    entityId: id,
    ssoRedirectUrl: attr(endpoint('SingleSignOnService', BINDING_REDIRECT) ?? {}, 'Location') || null,
    ssoPostUrl: attr(endpoint('SingleSignOnService', BINDING_POST) ?? {}, 'Location') || null,
    sloRedirectUrl: attr(endpoint('SingleLogoutService', BINDING_REDIRECT) ?? {}, 'Location') || null,
    signingCertificates,
  };
}

/** Why a metadata URL may not be fetched, or undefined when it may. https only, except http to this machine outside production (tests). */
export function metadataUrlProblem(value: string, production: boolean): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'Enter the metadata URL in full, starting https://';
  }
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && !production && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname)) return undefined;
  return 'The metadata URL must start https:// (over plain http anyone on the way could swap the certificates)';
}

/**
 * Fetches metadata from a URL: https only (see metadataUrlProblem), at most a
 * few redirects each checked the same way, a time limit for the whole fetch
 * and a size limit however the server says it will answer.
 */
export async function fetchMetadata(url: string, production: boolean, timeoutMs = METADATA_TIMEOUT_MS): Promise<string> {
  const signal = AbortSignal.timeout(timeoutMs);
  let current = url;
  try {
    for (let hop = 0; hop < 4; hop++) {
      const problem = metadataUrlProblem(current, production);
      if (problem) throw new MetadataError(hop ? `The metadata URL redirects to ${current}: ${problem.charAt(0).toLowerCase()}${problem.slice(1)}` : problem);
      const res = await fetch(current, { redirect: 'manual', signal, headers: { accept: 'application/samlmetadata+xml, application/xml, text/xml' } });
      if (res.status >= 300 && res.status < 400 && res.headers.get('location')) {
        await res.body?.cancel();
        current = new URL(res.headers.get('location') ?? '', current).toString();
        continue;
      }
      if (!res.ok) {
        await res.body?.cancel();
        throw new MetadataError(`The metadata URL answered ${res.status}: check it opens in a browser.`);
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body ?? []) {
        size += (chunk as Uint8Array).byteLength;
        if (size > METADATA_MAX_BYTES)
          throw new MetadataError('The metadata at that URL is larger than 2 MB. Use the metadata of this one identity provider, not a federation’s list.');
        chunks.push(Buffer.from(chunk as Uint8Array));
      }
      return Buffer.concat(chunks).toString('utf8');
    }
    throw new MetadataError('The metadata URL redirects too many times.');
  } catch (err) {
    if (err instanceof MetadataError) throw err;
    if (signal.aborted) throw new MetadataError(`The metadata URL did not answer within ${Math.round(timeoutMs / 1000)} seconds.`);
    throw new MetadataError(`The metadata URL could not be reached (${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}).`);
  }
}

/** A Shibboleth-style sign-in URL for the HTTP-POST binding, and its HTTP-Redirect twin, to explain the difference. */
export function postBindingHint(url: string): string | undefined {
  if (!/\/SAML2\/POST(-SimpleSign)?\/SSO\b/i.test(url)) return undefined;
  return url.replace(/\/SAML2\/POST(-SimpleSign)?\/SSO/i, '/SAML2/Redirect/SSO');
}
