import { randomBytes } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import { grantRole, hashToken, normaliseEmail } from './users';

type Queryable = Pool | PoolClient;

/**
 * Whether a person has proved they read mail at their account's address, by
 * opening a link sent to it (registration, invitation, password reset). Ask
 * this before showing or linking anything found by email address: a training
 * passport, an SSO identity matched by email.
 */
export async function hasProvenEmail(db: Queryable, userId: string): Promise<boolean> {
  const { rows } = await db.query<{ proven: boolean }>('select email_verified_at is not null as proven from users where id = $1', [userId]);
  return rows[0]?.proven ?? false;
}

/** Records that the account's address has just been proved (a link sent to it was opened). */
export async function markEmailProven(db: Queryable, userId: string): Promise<void> {
  await db.query('update users set email_verified_at = coalesce(email_verified_at, now()) where id = $1', [userId]);
}

export const REGISTRATION_LINK_HOURS = 24;
/** Registration emails to one address in an hour, whatever the answer: a mailbox is not a target. */
export const REGISTRATIONS_PER_ADDRESS_PER_HOUR = 3;

export type RegistrationStart = { kind: 'new'; token: string } | { kind: 'existing' } | { kind: 'too-many' };

/**
 * Starts a self-registration. Nothing is created: a new address gets a link
 * that finishes it; an address with an account gets nothing to follow (the
 * caller tells its owner by email). The caller answers both the same way.
 */
export async function startRegistration(db: Queryable, input: { email: string; name: string; passwordHash: string; ip?: string }): Promise<RegistrationStart> {
  const email = normaliseEmail(input.email);
  const recent = await db.query<{ n: number }>(
    `select count(*)::int as n from registration_requests where lower(email) = $1 and created_at > now() - interval '1 hour'`,
    [email],
  );
  if (recent.rows[0].n >= REGISTRATIONS_PER_ADDRESS_PER_HOUR) return { kind: 'too-many' };
  const existing = await db.query('select 1 from users where lower(email) = $1', [email]);
  if (existing.rowCount) {
    await db.query(`insert into registration_requests (email, name, ip, expires_at) values ($1, $2, $3, now())`, [email, input.name, input.ip ?? null]);
    return { kind: 'existing' };
  }
  const token = randomBytes(32).toString('base64url');
  await db.query(
    `insert into registration_requests (token_hash, email, name, password_hash, ip, expires_at) values ($1, $2, $3, $4, $5, now() + make_interval(hours => $6))`,
    [hashToken(token), email, input.name, input.passwordHash, input.ip ?? null, REGISTRATION_LINK_HOURS],
  );
  return { kind: 'new', token };
}

/** The registration a link is for, while unused and in date. */
export async function registrationForToken(db: Queryable, token: string): Promise<{ email: string; name: string } | undefined> {
  const { rows } = await db.query<{ email: string; name: string }>(
    `select email, name from registration_requests where token_hash = $1 and used_at is null and expires_at > now() and password_hash is not null`,
    [hashToken(token)],
  );
  return rows[0];
}

/**
 * Finishes a registration from its link, once: the account is made with its
 * address already proven, as a learner of public courses. Refused when the
 * address gained an account meanwhile.
 */
export async function completeRegistration(client: PoolClient, token: string): Promise<{ userId: string } | { problem: 'expired' | 'exists' }> {
  const { rows } = await client.query<{ email: string; name: string; password_hash: string }>(
    `update registration_requests set used_at = now() where token_hash = $1 and used_at is null and expires_at > now() and password_hash is not null
     returning email, name, password_hash`,
    [hashToken(token)],
  );
  const claimed = rows[0];
  if (!claimed) return { problem: 'expired' };
  if ((await client.query('select 1 from users where lower(email) = $1', [claimed.email])).rowCount) return { problem: 'exists' };
  const made = await client.query<{ id: string }>(
    `insert into users (email, display_name, password_hash, email_verified_at, last_sign_in_at) values ($1, $2, $3, now(), now()) returning id`,
    [claimed.email, claimed.name, claimed.password_hash],
  );
  const userId = made.rows[0].id;
  await grantRole(client, userId, { role: 'learner', organisationId: null }, null);
  // Other links for the same address stop working, and no copy of the password waits anywhere.
  await client.query(`update registration_requests set used_at = coalesce(used_at, now()), password_hash = null where lower(email) = $1`, [claimed.email]);
  return { userId };
}
