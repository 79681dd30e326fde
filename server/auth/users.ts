import { createHash, randomBytes } from 'node:crypto';
import argon2 from 'argon2';
import type { Pool, PoolClient } from 'pg';
import { type Caller, isRole, type Role, type RoleGrant } from '../access';

type Queryable = Pool | PoolClient;

export interface UserRow {
  id: string;
  email: string;
  display_name: string;
  password_hash: string | null;
  disabled: boolean;
  failed_sign_ins: number;
  locked_until: Date | null;
}

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

export async function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, { type: argon2.argon2id });
}

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export async function findUserByEmail(db: Queryable, email: string): Promise<UserRow | undefined> {
  const { rows } = await db.query<UserRow>('select * from users where lower(email) = $1', [normaliseEmail(email)]);
  return rows[0];
}

export interface CreateUserInput {
  email: string;
  name: string;
  password?: string;
  /** Instead of `password`: a hash already made by hashPassword (the demo accounts share one). */
  passwordHash?: string;
  roles: RoleGrant[];
  grantedBy?: string | null;
  /** The address is known to be the person's (demo accounts, tests); otherwise it waits for an emailed link to prove it. */
  emailProven?: boolean;
}

export async function createUser(db: Queryable, input: CreateUserInput): Promise<string> {
  const hash = input.passwordHash ?? (input.password ? await hashPassword(input.password) : null);
  const { rows } = await db.query<{ id: string }>(
    `insert into users (email, display_name, password_hash, email_verified_at) values ($1, $2, $3, case when $4::boolean then now() end) returning id`,
    [normaliseEmail(input.email), input.name, hash, input.emailProven ?? false],
  );
  const id = rows[0].id;
  for (const grant of input.roles) await grantRole(db, id, grant, input.grantedBy ?? null);
  return id;
}

export async function grantRole(db: Queryable, userId: string, grant: RoleGrant, grantedBy: string | null): Promise<void> {
  await db.query(
    `insert into user_roles (user_id, role, organisation_id, granted_by) values ($1, $2, $3, $4)
     on conflict do nothing`,
    [userId, grant.role, grant.organisationId, grantedBy],
  );
}

/** Everything an access decision needs about a user, in one query (it runs on every request). */
export async function loadCaller(db: Queryable, userId: string, via: Caller['via']): Promise<Caller | undefined> {
  const { rows } = await db.query<{
    id: string;
    email: string;
    display_name: string;
    disabled: boolean;
    grants: { role: string; organisation_id: string | null }[];
    staff: { id: string; organisation_id: string }[];
  }>(
    `select u.id, u.email, u.display_name, u.disabled,
            coalesce((select json_agg(json_build_object('role', r.role, 'organisation_id', r.organisation_id))
                        from user_roles r where r.user_id = u.id), '[]'::json) as grants,
            coalesce((select json_agg(json_build_object('id', s.id, 'organisation_id', s.organisation_id))
                        from staff_members s where s.user_id = u.id and (s.leaving_date is null or s.leaving_date > current_date)), '[]'::json) as staff
       from users u where u.id = $1`,
    [userId],
  );
  const user = rows[0];
  if (!user || user.disabled) return undefined;
  const roleGrants: RoleGrant[] = user.grants.filter((g) => isRole(g.role)).map((g) => ({ role: g.role as Role, organisationId: g.organisation_id }));
  // Every member of staff is a learner, whether or not the role was granted explicitly.
  if (user.staff.length > 0 && !roleGrants.some((g) => g.role === 'learner')) roleGrants.push({ role: 'learner', organisationId: null });
  return {
    userId: user.id,
    email: user.email,
    name: user.display_name,
    grants: roleGrants,
    staffIds: user.staff.map((s) => s.id),
    staffOrganisationIds: [...new Set(user.staff.map((s) => s.organisation_id))],
    via,
  };
}

export type TokenScope = 'read' | 'full';
export const TOKEN_SCOPES: Record<TokenScope, string> = { read: 'Read-only reporting', full: 'Full access' };
export const TOKEN_DEFAULT_DAYS = 90;
export const TOKEN_MAX_DAYS = 366;

export interface ApiTokenOptions {
  label?: string;
  scope?: TokenScope;
  /** Days until it stops working (default 90). */
  days?: number;
}

const grantKey = (g: { role: string; organisationId: string | null }) => `${g.role}:${g.organisationId ?? ''}`;

/**
 * Creates an API token for a user; the token is returned once and only its
 * hash is kept. It records the roles the user holds now: taking one away
 * later ends the token.
 */
export async function createApiToken(db: Queryable, userId: string, labelOrOptions: string | ApiTokenOptions = {}): Promise<string> {
  const options = typeof labelOrOptions === 'string' ? { label: labelOrOptions } : labelOrOptions;
  const days = options.days ?? TOKEN_DEFAULT_DAYS;
  if (!Number.isInteger(days) || days < 1 || days > TOKEN_MAX_DAYS) throw new Error(`A token lasts between 1 and ${TOKEN_MAX_DAYS} days.`);
  const caller = await loadCaller(db, userId, 'token');
  const roles = (caller?.grants ?? []).map(grantKey);
  const token = `dal_${randomBytes(32).toString('base64url')}`;
  await db.query(
    `insert into api_tokens (user_id, token_hash, label, scope, expires_at, roles) values ($1, $2, $3, $4, now() + make_interval(days => $5), $6)`,
    [userId, hashToken(token), options.label ?? 'cli', options.scope ?? 'full', days, JSON.stringify(roles)],
  );
  return token;
}

/** The caller a bearer token stands for, while it is unrevoked, in date, and its user still holds every role it was made under. */
export async function callerForToken(db: Queryable, token: string): Promise<Caller | undefined> {
  const { rows } = await db.query<{ id: string; user_id: string; scope: TokenScope; roles: string[] }>(
    `update api_tokens set last_used_at = now() where token_hash = $1 and revoked_at is null and expires_at > now() returning id, user_id, scope, roles`,
    [hashToken(token)],
  );
  const row = rows[0];
  if (!row) return undefined;
  const caller = await loadCaller(db, row.user_id, 'token');
  if (!caller) return undefined;
  const held = new Set(caller.grants.map(grantKey));
  if (!row.roles.every((r) => held.has(r))) {
    await db.query(`update api_tokens set revoked_at = now(), revoked_reason = 'role removed' where id = $1 and revoked_at is null`, [row.id]);
    return undefined;
  }
  return { ...caller, tokenScope: row.scope };
}

/** @deprecated use callerForToken, which also checks the token's roles. */
export async function userIdForToken(db: Queryable, token: string): Promise<string | undefined> {
  return (await callerForToken(db, token))?.userId;
}

export interface ApiTokenRow {
  id: string;
  label: string;
  scope: TokenScope;
  scopeName: string;
  createdAt: Date;
  expiresAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  revokedReason: string | null;
  active: boolean;
}

/** A user's tokens, newest first (never the token itself: only its hash is kept). */
export async function listApiTokens(db: Queryable, userId: string): Promise<ApiTokenRow[]> {
  const { rows } = await db.query<{
    id: string;
    label: string;
    scope: TokenScope;
    created_at: Date;
    expires_at: Date;
    last_used_at: Date | null;
    revoked_at: Date | null;
    revoked_reason: string | null;
  }>(`select id, label, scope, created_at, expires_at, last_used_at, revoked_at, revoked_reason from api_tokens where user_id = $1 order by created_at desc`, [
    userId,
  ]);
  const now = new Date();
  return rows.map((r) => ({
    id: r.id,
    label: r.label,
    scope: r.scope,
    scopeName: TOKEN_SCOPES[r.scope] ?? r.scope,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    lastUsedAt: r.last_used_at,
    revokedAt: r.revoked_at,
    revokedReason: r.revoked_reason,
    active: !r.revoked_at && r.expires_at > now,
  }));
}

/** Revokes one token of a user (or every one, without an id); returns how many stopped working. */
export async function revokeApiTokens(db: Queryable, userId: string, reason: string, tokenId?: string): Promise<number> {
  const { rowCount } = await db.query(
    `update api_tokens set revoked_at = now(), revoked_reason = $3 where user_id = $1 and revoked_at is null and ($2::uuid is null or id = $2::uuid)`,
    [userId, tokenId ?? null, reason],
  );
  return rowCount ?? 0;
}

export async function audit(
  db: Queryable,
  entry: {
    actorUserId?: string | null;
    action: string;
    organisationId?: string | null;
    subjectType?: string;
    subjectId?: string;
    detail?: Record<string, unknown>;
    ip?: string;
  },
): Promise<void> {
  await db.query('insert into audit_log (actor_user_id, action, organisation_id, subject_type, subject_id, detail, ip) values ($1, $2, $3, $4, $5, $6, $7)', [
    entry.actorUserId ?? null,
    entry.action,
    entry.organisationId ?? null,
    entry.subjectType ?? null,
    entry.subjectId ?? null,
    JSON.stringify(entry.detail ?? {}),
    entry.ip ?? null,
  ]);
}
