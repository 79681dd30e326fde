import { createSign, generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import { inTransaction } from '../../server/db';
import { type SpKey, spKeys } from './store';

type Queryable = Pool | PoolClient;

// A minimal DER writer: enough for one self-signed X.509 v3 certificate. SAML
// metadata carries keys as certificates, and IdPs only read the public key out
// of them, so no CA and no extensions are needed (and no extra dependency).
function der(tag: number, body: Buffer): Buffer {
  const n = body.length;
  let len: Buffer;
  if (n < 0x80) len = Buffer.from([n]);
  else {
    const bytes: number[] = [];
    for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
    len = Buffer.from([0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([Buffer.from([tag]), len, body]);
}
const seq = (...parts: Buffer[]) => der(0x30, Buffer.concat(parts));
const set = (...parts: Buffer[]) => der(0x31, Buffer.concat(parts));
function integer(bytes: Buffer): Buffer {
  return der(0x02, bytes[0] & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes);
}
function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const out = [40 * a + b];
  for (const v of rest) {
    const chunk = [v & 0x7f];
    for (let x = v >> 7; x > 0; x >>= 7) chunk.unshift((x & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return der(0x06, Buffer.from(out));
}
function time(d: Date): Buffer {
  const iso = d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return d.getUTCFullYear() < 2050 ? der(0x17, Buffer.from(`${iso.slice(2)}Z`)) : der(0x18, Buffer.from(`${iso}Z`));
}

/**
 * A random positive serial whose first byte is never zero: DER forbids a
 * leading zero byte, and OpenSSL refuses such a certificate ("illegal padding"),
 * which would break one metadata request in a few hundred at random.
 */
function serialNumber(): Buffer {
  const serial = randomBytes(16);
  serial[0] = (serial[0] & 0x7f) | 0x40;
  return integer(serial);
}

const SHA256_WITH_RSA = seq(oid('1.2.840.113549.1.1.11'), Buffer.from([0x05, 0x00]));

/** A new RSA key and a self-signed certificate for it (both PEM). */
export function generateSpKey(commonName: string, validDays = 3650): { privateKey: string; certificate: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const name = seq(set(seq(oid('2.5.4.3'), der(0x0c, Buffer.from(commonName.slice(0, 64), 'utf8')))));
  const now = Date.now();
  const tbs = seq(
    der(0xa0, integer(Buffer.from([2]))),
    serialNumber(),
    SHA256_WITH_RSA,
    name,
    seq(time(new Date(now - 3600_000)), time(new Date(now + validDays * 86_400_000))),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
  );
  const signature = createSign('sha256').update(tbs).sign(privateKey);
  const cert = seq(tbs, SHA256_WITH_RSA, der(0x03, Buffer.concat([Buffer.from([0]), signature])));
  const pem = `-----BEGIN CERTIFICATE-----\n${cert
    .toString('base64')
    .match(/.{1,64}/g)
    ?.join('\n')}\n-----END CERTIFICATE-----\n`;
  // Fails loudly here rather than in an IdP's metadata import.
  new X509Certificate(pem);
  return { privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), certificate: pem };
}

const COMMON_NAME = 'SAML service provider (assertion encryption)';

/** The keys in use, making the first one on first need. */
export async function ensureSpKeys(pool: Queryable): Promise<SpKey[]> {
  let keys = await spKeys(pool);
  if (!keys.some((k) => k.state === 'current')) {
    const { privateKey, certificate } = generateSpKey(COMMON_NAME);
    // Two instances may race here: the unique index keeps one current key.
    await pool.query(`insert into saml_sp_keys (state, private_key, certificate) values ('current', $1, $2) on conflict do nothing`, [privateKey, certificate]);
    keys = await spKeys(pool);
  }
  return keys;
}

/**
 * Rollover, step 1: a next key, published in metadata beside the current one
 * so each IdP can take it up (a metadata refresh) before the switch. Responses
 * encrypted to either key are accepted.
 */
export async function prepareNextSpKey(pool: Queryable): Promise<SpKey> {
  await ensureSpKeys(pool);
  const existing = (await spKeys(pool)).find((k) => k.state === 'next');
  if (existing) return existing;
  const { privateKey, certificate } = generateSpKey(COMMON_NAME);
  await pool.query(`insert into saml_sp_keys (state, private_key, certificate) values ('next', $1, $2) on conflict do nothing`, [privateKey, certificate]);
  return (await spKeys(pool)).find((k) => k.state === 'next') as SpKey;
}

/**
 * Rollover, step 2: the next key becomes the current one and the old key is
 * retired (still used to decrypt for a day, no longer published).
 */
export async function switchToNextSpKey(pool: Pool): Promise<boolean> {
  return inTransaction(pool, async (client) => {
    const next = await client.query(`select id from saml_sp_keys where state = 'next' for update`);
    if (!next.rows[0]) return false;
    await client.query(`update saml_sp_keys set state = 'retired', retired_at = now() where state = 'current'`);
    await client.query(`update saml_sp_keys set state = 'current' where state = 'next'`);
    return true;
  });
}

/** Published in metadata: current and next. */
export function publishedKeys(keys: SpKey[]): SpKey[] {
  return keys.filter((k) => k.state !== 'retired');
}
