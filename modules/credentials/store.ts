import type { Pool, PoolClient } from 'pg';
import type { StatusEntry } from './badge';

type Queryable = Pool | PoolClient;

export interface CredentialKey {
  id: string;
  state: 'current' | 'retired';
  publicKeyMultibase: string;
  secretKeyMultibase: string;
}

export async function credentialKeys(db: Queryable): Promise<CredentialKey[]> {
  const { rows } = await db.query(
    `select id, state, public_key_multibase, secret_key_multibase from credential_keys order by state = 'current' desc, created_at desc`,
  );
  return rows.map((r) => ({ id: r.id, state: r.state, publicKeyMultibase: r.public_key_multibase, secretKeyMultibase: r.secret_key_multibase }));
}

export async function insertKey(db: Queryable, key: { publicKeyMultibase: string; secretKeyMultibase: string }): Promise<void> {
  // Two instances may race here: the unique index keeps one current key.
  await db.query(`insert into credential_keys (state, public_key_multibase, secret_key_multibase) values ('current', $1, $2) on conflict do nothing`, [
    key.publicKeyMultibase,
    key.secretKeyMultibase,
  ]);
}

export async function retireCurrentKey(db: Queryable): Promise<void> {
  await db.query(`update credential_keys set state = 'retired', retired_at = now() where state = 'current'`);
}

/** Bits in one status list: the size the Bitstring Status List recommendation asks for at least, so one list hides who is in it. */
export const LIST_LENGTH = 131_072;
/** A list takes new entries until it is this full, so a random free place is quick to find. */
const LIST_FILL = LIST_LENGTH / 2;

export async function statusEntryOf(db: Queryable, certificateId: string): Promise<StatusEntry | undefined> {
  const { rows } = await db.query<{ list_number: number; list_index: number }>(
    'select list_number, list_index from credential_status_entries where certificate_id = $1',
    [certificateId],
  );
  return rows[0] ? { listNumber: rows[0].list_number, listIndex: rows[0].list_index } : undefined;
}

/** The certificate's place in a status list, given a random free one the first time. */
export async function ensureStatusEntry(db: Queryable, certificateId: string, random: (max: number) => number): Promise<StatusEntry> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const existing = await statusEntryOf(db, certificateId);
    if (existing) return existing;
    const { rows } = await db.query<{ list_number: number; used: string }>(
      `select list_number, count(*) as used from credential_status_entries group by list_number order by list_number desc limit 1`,
    );
    const listNumber = !rows[0] ? 1 : Number(rows[0].used) >= LIST_FILL ? rows[0].list_number + 1 : rows[0].list_number;
    // A place already taken, or a second download of the same certificate at the same moment, inserts nothing: try again.
    await db.query(`insert into credential_status_entries (list_number, list_index, certificate_id) values ($1, $2, $3) on conflict do nothing`, [
      listNumber,
      random(LIST_LENGTH),
      certificateId,
    ]);
  }
  throw new Error('Could not find a free place in the credential status list');
}

/**
 * The places in one list whose credential no longer stands: the certificate
 * was revoked, reissued (the new certificate has its own credential) or
 * deleted. Undefined when the list does not exist.
 */
export async function setBits(db: Queryable, listNumber: number): Promise<number[] | undefined> {
  const { rows } = await db.query<{ list_index: number; set: boolean }>(
    `select e.list_index, (c.id is null or c.status = 'revoked' or c.replaced_by is not null) as set
       from credential_status_entries e left join issued_certificates c on c.id = e.certificate_id
      where e.list_number = $1`,
    [listNumber],
  );
  if (!rows.length) return undefined;
  return rows.filter((r) => r.set).map((r) => r.list_index);
}
