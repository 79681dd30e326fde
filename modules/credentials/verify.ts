import { DataIntegrityProof } from '@digitalbazaar/data-integrity';
import { cryptosuite as eddsaRdfc2022 } from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as vc from '@digitalbazaar/vc';
import { checkStatus } from '@digitalbazaar/vc-bitstring-status-list';
import { credentialUrls } from './badge';
import { bundledContext, type DocumentLoader } from './contexts';
import type { CredentialKey } from './store';

export type UploadOutcome = 'valid' | 'not-json' | 'not-credential' | 'other-issuer' | 'signature-invalid' | 'expired' | 'revoked';

export interface CheckedCredential {
  outcome: UploadOutcome;
  /** What the credential says, once its signature holds. */
  details?: { name: string; achievement: string; competencies: string[]; validFrom: string; validUntil: string | null; issuedBy: string };
}

/** What a verifier here can resolve: the bundled contexts and the partnership's own published documents, nothing from the network. */
export interface Published {
  publicUrl: string;
  issuer(): Promise<Record<string, unknown>>;
  key(id: string): Promise<Record<string, unknown> | undefined>;
  statusList(listNumber: number): Promise<Record<string, unknown> | undefined>;
}

function loaderFor(published: Published): DocumentLoader {
  const urls = credentialUrls(published.publicUrl);
  const keyPrefix = urls.key('');
  const listPrefix = urls.statusList(0).replace(/0$/, '');
  return async (url) => {
    const context = bundledContext(url);
    if (context) return context;
    const at = url.replace(/#.*$/, '');
    let document: Record<string, unknown> | undefined;
    if (at === urls.issuer) document = await published.issuer();
    else if (at.startsWith(keyPrefix) && /^[0-9a-f-]{36}$/i.test(at.slice(keyPrefix.length))) document = await published.key(at.slice(keyPrefix.length));
    else if (at.startsWith(listPrefix) && /^[1-9][0-9]{0,8}$/.test(at.slice(listPrefix.length)))
      document = await published.statusList(Number(at.slice(listPrefix.length)));
    if (!document) throw new Error(`${url} is not a document this service publishes`);
    return { contextUrl: null, documentUrl: url, document };
  };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);
const text = (v: unknown): string => (typeof v === 'string' ? v : '');

/** Reads an uploaded file as far as "is this one of ours, and does it hold?", each failure its own outcome. */
export async function checkUploadedCredential(content: Buffer, published: Published, now: Date = new Date()): Promise<CheckedCredential> {
  let credential: unknown;
  try {
    credential = JSON.parse(content.toString('utf8').replace(/^\uFEFF/, ''));
  } catch {
    return { outcome: 'not-json' };
  }
  if (
    !isObject(credential) ||
    !asArray(credential.type).includes('VerifiableCredential') ||
    !isObject(credential.proof) ||
    !isObject(credential.credentialSubject)
  ) {
    return { outcome: 'not-credential' };
  }
  const issuer = isObject(credential.issuer) ? credential.issuer.id : credential.issuer;
  if (issuer !== credentialUrls(published.publicUrl).issuer) return { outcome: 'other-issuer' };

  const documentLoader = loaderFor(published);
  const suite = new DataIntegrityProof({ cryptosuite: eddsaRdfc2022 });
  // The signature first, checked as of the credential's own start date, so an expired credential is told apart from a forged one.
  const validFrom = new Date(text(credential.validFrom));
  if (Number.isNaN(validFrom.getTime())) return { outcome: 'not-credential' };
  let signed: Awaited<ReturnType<typeof vc.verifyCredential>>;
  try {
    signed = await vc.verifyCredential({
      credential,
      suite,
      documentLoader,
      now: validFrom,
      // Status is checked below, on its own.
      checkStatus: async () => ({ verified: true }),
    });
  } catch {
    return { outcome: 'signature-invalid' };
  }
  if (!signed.verified) return { outcome: 'signature-invalid' };

  const subject = credential.credentialSubject as Record<string, unknown>;
  const achievement = isObject(subject.achievement) ? subject.achievement : {};
  const identity = asArray(subject.identifier).find((i) => isObject(i) && i.identityType === 'name') as Record<string, unknown> | undefined;
  const details = {
    name: text(identity?.identityHash),
    achievement: text(achievement.name),
    competencies: asArray(achievement.alignment).map((a) => (isObject(a) ? `${text(a.targetName)}: ${text(a.targetDescription)}` : '')),
    validFrom: text(credential.validFrom).slice(0, 10),
    validUntil: text(credential.validUntil).slice(0, 10) || null,
    issuedBy: isObject(credential.issuer) ? text(credential.issuer.name) : '',
  };

  const validUntil = credential.validUntil ? new Date(text(credential.validUntil)) : undefined;
  if (validUntil && validUntil < now) return { outcome: 'expired', details };
  // Never so for a credential of ours (it starts on the day it was issued): one that claims to start later is not relied on.
  if (validFrom > now) return { outcome: 'signature-invalid' };

  const status = await checkStatus({ credential, documentLoader, suite, verifyBitstringStatusListCredential: true, verifyMatchingIssuers: true });
  const revoked = !status.verified || (status as { results?: { status?: boolean }[] }).results?.some((r) => r.status !== false);
  if (revoked) return { outcome: 'revoked', details };
  return { outcome: 'valid', details };
}

/** The documents published under /credentials, read from the keys and status lists held here. */
export function publishedDocuments(options: {
  publicUrl: string;
  keys: () => Promise<CredentialKey[]>;
  issuer: (keys: CredentialKey[]) => Promise<Record<string, unknown>>;
  key: (key: CredentialKey) => Record<string, unknown>;
  statusList: (listNumber: number) => Promise<Record<string, unknown> | undefined>;
}): Published {
  return {
    publicUrl: options.publicUrl,
    issuer: async () => options.issuer(await options.keys()),
    key: async (id) => {
      const key = (await options.keys()).find((k) => k.id === id);
      return key ? options.key(key) : undefined;
    },
    statusList: options.statusList,
  };
}
