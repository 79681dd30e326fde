import { randomInt } from 'node:crypto';
import { DataIntegrityProof } from '@digitalbazaar/data-integrity';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import { cryptosuite as eddsaRdfc2022 } from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as vc from '@digitalbazaar/vc';
import { BitstringStatusList, createCredential } from '@digitalbazaar/vc-bitstring-status-list';
import type { Pool } from 'pg';
import { BoundedCache } from '../../server/cache';
import { inTransaction } from '../../server/db';
import type { Certificate } from '../certificates/api';
import { credentialUrls, openBadgeCredential } from './badge';
import { bundledContext, type DocumentLoader, MULTIKEY_CONTEXT, OB_V3_CONTEXT, VC_V2_CONTEXT } from './contexts';
import { type CredentialKey, credentialKeys, ensureStatusEntry, insertKey, LIST_LENGTH, retireCurrentKey, setBits } from './store';

/** The keys, making the first one on first need. */
export async function ensureKeys(pool: Pool): Promise<CredentialKey[]> {
  let keys = await credentialKeys(pool);
  if (!keys.some((k) => k.state === 'current')) {
    const pair = await Ed25519Multikey.generate();
    await insertKey(pool, { publicKeyMultibase: pair.publicKeyMultibase, secretKeyMultibase: pair.secretKeyMultibase as string });
    keys = await credentialKeys(pool);
  }
  return keys;
}

/**
 * A new signing key. The old one is retired but stays published, so every
 * credential it signed still verifies; only new credentials (and status
 * lists) are signed with the new key.
 */
export async function rotateKey(pool: Pool): Promise<void> {
  const pair = await Ed25519Multikey.generate();
  await inTransaction(pool, async (client) => {
    await retireCurrentKey(client);
    await insertKey(client, { publicKeyMultibase: pair.publicKeyMultibase, secretKeyMultibase: pair.secretKeyMultibase as string });
  });
}

/** The issuer profile, which is also the controller document naming every key that may sign for the partnership. */
export function issuerProfile(publicUrl: string, partnershipName: string, keys: CredentialKey[]): Record<string, unknown> {
  const urls = credentialUrls(publicUrl);
  return {
    '@context': [
      VC_V2_CONTEXT,
      OB_V3_CONTEXT,
      // The term a verifier looks for in a controller document, as the Controlled Identifiers recommendation defines it.
      { assertionMethod: { '@id': 'https://w3id.org/security#assertionMethod', '@type': '@id', '@container': '@set' } },
    ],
    id: urls.issuer,
    type: ['Profile'],
    name: partnershipName,
    url: publicUrl,
    assertionMethod: keys.map((k) => urls.key(k.id)),
  };
}

/** A key's public half, as a Multikey verification method. */
export function verificationMethod(publicUrl: string, key: CredentialKey): Record<string, unknown> {
  const urls = credentialUrls(publicUrl);
  return { '@context': MULTIKEY_CONTEXT, id: urls.key(key.id), type: 'Multikey', controller: urls.issuer, publicKeyMultibase: key.publicKeyMultibase };
}

async function suiteFor(publicUrl: string, key: CredentialKey) {
  const urls = credentialUrls(publicUrl);
  const pair = await Ed25519Multikey.from({
    '@context': MULTIKEY_CONTEXT,
    type: 'Multikey',
    id: urls.key(key.id),
    controller: urls.issuer,
    publicKeyMultibase: key.publicKeyMultibase,
    secretKeyMultibase: key.secretKeyMultibase,
  });
  return new DataIntegrityProof({ signer: pair.signer(), cryptosuite: eddsaRdfc2022 });
}

const signingLoader: DocumentLoader = async (url) => {
  const found = bundledContext(url);
  if (!found) throw new Error(`The context ${url} is not one this service signs with`);
  return found;
};

async function currentKey(pool: Pool): Promise<CredentialKey> {
  return (await ensureKeys(pool)).find((k) => k.state === 'current') as CredentialKey;
}

/** The certificate as a signed Open Badges 3.0 credential. */
export async function signedCredential(pool: Pool, publicUrl: string, certificate: Certificate): Promise<Record<string, unknown>> {
  const status = await ensureStatusEntry(pool, certificate.id, randomInt);
  const credential = openBadgeCredential(certificate, publicUrl, status);
  return vc.issue({ credential, suite: await suiteFor(publicUrl, await currentKey(pool)), documentLoader: signingLoader });
}

/**
 * One status list as a signed BitstringStatusListCredential, or undefined
 * when there is no such list. Signed afresh when its bits change; verifiers
 * fetch it for every check, so the same answer is kept between changes.
 */
export function statusListService(pool: Pool, publicUrl: string) {
  // Each list holds many thousand certificates, so this is a handful of entries; bounded all the same.
  const cache = new BoundedCache<number, { bits: string; keyId: string; credential: Record<string, unknown> }>({ max: 100 });
  return async (listNumber: number): Promise<Record<string, unknown> | undefined> => {
    const bits = await setBits(pool, listNumber);
    if (!bits) return undefined;
    const key = await currentKey(pool);
    const fingerprint = bits.sort((a, b) => a - b).join(',');
    const cached = cache.get(listNumber);
    if (cached && cached.bits === fingerprint && cached.keyId === key.id) return cached.credential;
    const list = new BitstringStatusList({ length: LIST_LENGTH });
    for (const index of bits) list.setStatus(index, true);
    const unsigned = await createCredential({ id: credentialUrls(publicUrl).statusList(listNumber), list, statusPurpose: 'revocation' });
    const credential = await vc.issue({
      credential: { ...unsigned, issuer: credentialUrls(publicUrl).issuer, validFrom: new Date().toISOString().replace(/\.\d+Z$/, 'Z') },
      suite: await suiteFor(publicUrl, key),
      documentLoader: signingLoader,
    });
    cache.set(listNumber, { bits: fingerprint, keyId: key.id, credential });
    return credential;
  };
}
