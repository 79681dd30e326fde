import { randomBytes } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import { type OrganisationScope, type Role, scopeCondition } from '../../server/access';
import { hashToken } from '../../server/auth/users';

type Queryable = Pool | PoolClient;

export const RESET_LINK_MINUTES = 60;
export const INVITATION_DAYS = 14;
/** More reset emails than this in an hour for one account are not sent: a mailbox is not a target. */
export const RESETS_PER_HOUR = 3;

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

// ---- password reset -------------------------------------------------------

export async function createResetToken(db: Queryable, userId: string): Promise<string | undefined> {
  const recent = await db.query<{ n: number }>(
    `select count(*)::int as n from password_reset_tokens where user_id = $1 and created_at > now() - interval '1 hour'`,
    [userId],
  );
  if (recent.rows[0].n >= RESETS_PER_HOUR) return undefined;
  const token = newToken();
  await db.query(`insert into password_reset_tokens (token_hash, user_id, expires_at) values ($1, $2, now() + make_interval(mins => $3))`, [
    hashToken(token),
    userId,
    RESET_LINK_MINUTES,
  ]);
  return token;
}

/** The account a reset link is for, while it is unused and in date. */
export async function resetTokenUser(db: Queryable, token: string): Promise<{ userId: string; email: string } | undefined> {
  const { rows } = await db.query<{ user_id: string; email: string }>(
    `select t.user_id, u.email from password_reset_tokens t join users u on u.id = t.user_id
     where t.token_hash = $1 and t.used_at is null and t.expires_at > now() and not u.disabled`,
    [hashToken(token)],
  );
  return rows[0] ? { userId: rows[0].user_id, email: rows[0].email } : undefined;
}

/** Uses a reset link, once: of two simultaneous uses only one succeeds. Every other link for the account stops working too. */
export async function consumeResetToken(client: PoolClient, token: string, passwordHash: string): Promise<string | undefined> {
  const { rows } = await client.query<{ user_id: string }>(
    `update password_reset_tokens set used_at = now() where token_hash = $1 and used_at is null and expires_at > now() returning user_id`,
    [hashToken(token)],
  );
  const userId = rows[0]?.user_id;
  if (!userId) return undefined;
  await client.query('update password_reset_tokens set used_at = now() where user_id = $1 and used_at is null', [userId]);
  // Opening the emailed link proves the address; the wrong-password count starts again.
  await client.query(
    'update users set password_hash = $2, failed_sign_ins = 0, locked_until = null, email_verified_at = coalesce(email_verified_at, now()) where id = $1',
    [userId, passwordHash],
  );
  await client.query('delete from sign_in_failures where address = (select lower(email) from users where id = $1)', [userId]);
  // Tokens made while someone else may have known the password stop working.
  await client.query(`update api_tokens set revoked_at = now(), revoked_reason = 'password reset' where user_id = $1 and revoked_at is null`, [userId]);
  // Anyone signed in with the old password is signed out.
  await client.query(`delete from sessions where (sess::jsonb -> 'passport' ->> 'user') = $1`, [userId]);
  return userId;
}

// ---- invitations ----------------------------------------------------------

export interface Invitation {
  id: string;
  email: string;
  name: string;
  organisationId: string | null;
  organisationName: string | null;
  role: Role;
  expiresAt: Date;
  acceptedAt: Date | null;
  createdAt: Date;
}

interface InvitationRow {
  id: string;
  email: string;
  name: string;
  organisation_id: string | null;
  organisation_name: string | null;
  role: Role;
  expires_at: Date;
  accepted_at: Date | null;
  created_at: Date;
}

const toInvitation = (r: InvitationRow): Invitation => ({
  id: r.id,
  email: r.email,
  name: r.name,
  organisationId: r.organisation_id,
  organisationName: r.organisation_name,
  role: r.role,
  expiresAt: r.expires_at,
  acceptedAt: r.accepted_at,
  createdAt: r.created_at,
});

const INVITATION_SELECT = `select i.*, o.name as organisation_name from invitations i left join member_organisations o on o.id = i.organisation_id`;

export async function createInvitation(
  db: Queryable,
  input: { email: string; name: string; organisationId: string | null; role: Role; invitedBy: string },
): Promise<{ id: string; token: string }> {
  const token = newToken();
  const { rows } = await db.query<{ id: string }>(
    `insert into invitations (token_hash, email, name, organisation_id, role, invited_by, expires_at)
     values ($1, lower($2), $3, $4, $5, $6, now() + make_interval(days => $7)) returning id`,
    [hashToken(token), input.email.trim(), input.name, input.organisationId, input.role, input.invitedBy, INVITATION_DAYS],
  );
  return { id: rows[0].id, token };
}

export async function invitationForToken(db: Queryable, token: string): Promise<Invitation | undefined> {
  const { rows } = await db.query<InvitationRow>(`${INVITATION_SELECT} where i.token_hash = $1 and i.accepted_at is null and i.expires_at > now()`, [
    hashToken(token),
  ]);
  return rows[0] ? toInvitation(rows[0]) : undefined;
}

/** Marks the invitation accepted, once; returns it, or undefined when it was used or has expired. */
export async function claimInvitation(client: PoolClient, token: string): Promise<Invitation | undefined> {
  const { rows } = await client.query<{ id: string }>(
    `update invitations set accepted_at = now() where token_hash = $1 and accepted_at is null and expires_at > now() returning id`,
    [hashToken(token)],
  );
  if (!rows[0]) return undefined;
  const full = await client.query<InvitationRow>(`${INVITATION_SELECT} where i.id = $1`, [rows[0].id]);
  return toInvitation(full.rows[0]);
}

/** Invitations not yet accepted, in the organisations the caller manages. */
export async function pendingInvitations(db: Queryable, scope: OrganisationScope): Promise<Invitation[]> {
  const cond = scopeCondition(scope, 'i.organisation_id', 1);
  const { rows } = await db.query<InvitationRow>(
    `${INVITATION_SELECT} where i.accepted_at is null and i.expires_at > now() and (${cond.sql}) order by i.created_at desc limit 200`,
    cond.params,
  );
  return rows.map(toInvitation);
}

/** Withdraws an invitation in scope; false when there is no such invitation the caller may see. */
export async function withdrawInvitation(db: Queryable, scope: OrganisationScope, id: string): Promise<Invitation | undefined> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
  const cond = scopeCondition(scope, 'organisation_id', 2);
  const { rows } = await db.query<{ id: string }>(
    `update invitations set expires_at = now() where id = $1 and accepted_at is null and expires_at > now() and (${cond.sql}) returning id`,
    [id, ...cond.params],
  );
  if (!rows[0]) return undefined;
  const full = await db.query<InvitationRow>(`${INVITATION_SELECT} where i.id = $1`, [id]);
  return toInvitation(full.rows[0]);
}

// ---- users and roles (partnership administrators) -------------------------

export interface UserSummary {
  id: string;
  email: string;
  displayName: string;
  disabled: boolean;
  lastSignInAt: Date | null;
  lockedUntil: Date | null;
  hasPassword: boolean;
  roles: { role: Role; organisationId: string | null; organisationName: string | null }[];
}

export const USERS_PER_PAGE = 50;

export async function listUsers(db: Queryable, options: { search?: string; page: number }): Promise<{ users: UserSummary[]; total: number }> {
  const search = options.search?.trim() ? `%${options.search.trim().toLowerCase()}%` : null;
  const where = `($1::text is null or lower(u.email) like $1 or lower(u.display_name) like $1)`;
  const total = await db.query<{ n: number }>(`select count(*)::int as n from users u where ${where}`, [search]);
  const { rows } = await db.query<{ id: string }>(`select u.id from users u where ${where} order by lower(u.display_name), u.email limit $2 offset $3`, [
    search,
    USERS_PER_PAGE,
    (options.page - 1) * USERS_PER_PAGE,
  ]);
  const users = await Promise.all(rows.map((r) => getUser(db, r.id)));
  return { users: users.filter((u): u is UserSummary => !!u), total: total.rows[0].n };
}

export async function getUser(db: Queryable, id: string): Promise<UserSummary | undefined> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
  const { rows } = await db.query<{
    id: string;
    email: string;
    display_name: string;
    disabled: boolean;
    last_sign_in_at: Date | null;
    locked_until: Date | null;
    has_password: boolean;
  }>('select id, email, display_name, disabled, last_sign_in_at, locked_until, password_hash is not null as has_password from users where id = $1', [id]);
  const u = rows[0];
  if (!u) return undefined;
  const roles = await db.query<{ role: Role; organisation_id: string | null; name: string | null }>(
    `select r.role, r.organisation_id, o.name from user_roles r left join member_organisations o on o.id = r.organisation_id where r.user_id = $1 order by r.role, o.name`,
    [id],
  );
  return {
    id: u.id,
    email: u.email,
    displayName: u.display_name,
    disabled: u.disabled,
    lastSignInAt: u.last_sign_in_at,
    lockedUntil: u.locked_until && u.locked_until > new Date() ? u.locked_until : null,
    hasPassword: u.has_password,
    roles: roles.rows.map((r) => ({ role: r.role, organisationId: r.organisation_id, organisationName: r.name })),
  };
}

export async function revokeRole(db: Queryable, userId: string, role: Role, organisationId: string | null): Promise<boolean> {
  const { rowCount } = await db.query(`delete from user_roles where user_id = $1 and role = $2 and organisation_id is not distinct from $3`, [
    userId,
    role,
    organisationId,
  ]);
  return (rowCount ?? 0) > 0;
}

export async function unlockUser(db: Queryable, userId: string): Promise<void> {
  await db.query('update users set failed_sign_ins = 0, locked_until = null where id = $1', [userId]);
  await db.query('delete from sign_in_failures where address = (select lower(email) from users where id = $1)', [userId]);
}

// ---- audit log ------------------------------------------------------------

export interface AuditFilter {
  action?: string;
  from?: string;
  to?: string;
  organisationId?: string;
  page: number;
}

export interface AuditEntry {
  id: string;
  at: Date;
  actorEmail: string | null;
  action: string;
  organisationName: string | null;
  subjectType: string | null;
  subjectId: string | null;
  detail: Record<string, unknown>;
  ip: string | null;
}

export const AUDIT_PER_PAGE = 50;

/** The audit log, newest first. Dates are London calendar days, inclusive. */
export async function searchAudit(db: Queryable, filter: AuditFilter): Promise<{ entries: AuditEntry[]; total: number }> {
  const clauses: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, value: unknown) => {
    params.push(value);
    clauses.push(sql.replace('?', `$${params.length}`));
  };
  if (filter.action)
    add(filter.action.endsWith('*') ? 'a.action like ?' : 'a.action = ?', filter.action.endsWith('*') ? `${filter.action.slice(0, -1)}%` : filter.action);
  if (filter.from) add(`a.at >= (?::date)::timestamp at time zone 'Europe/London'`, filter.from);
  if (filter.to) add(`a.at < ((?::date) + 1)::timestamp at time zone 'Europe/London'`, filter.to);
  if (filter.organisationId) add('a.organisation_id = ?::uuid', filter.organisationId);
  const where = clauses.length ? `where ${clauses.join(' and ')}` : '';
  const total = await db.query<{ n: number }>(`select count(*)::int as n from audit_log a ${where}`, params);
  const { rows } = await db.query<{
    id: string;
    at: Date;
    email: string | null;
    action: string;
    org: string | null;
    subject_type: string | null;
    subject_id: string | null;
    detail: Record<string, unknown>;
    ip: string | null;
  }>(
    `select a.id, a.at, u.email, a.action, o.name as org, a.subject_type, a.subject_id, a.detail, a.ip
     from audit_log a left join users u on u.id = a.actor_user_id left join member_organisations o on o.id = a.organisation_id
     ${where} order by a.at desc, a.id desc limit ${AUDIT_PER_PAGE} offset ${(filter.page - 1) * AUDIT_PER_PAGE}`,
    params,
  );
  return {
    total: total.rows[0].n,
    entries: rows.map((r) => ({
      id: String(r.id),
      at: r.at,
      actorEmail: r.email,
      action: r.action,
      organisationName: r.org,
      subjectType: r.subject_type,
      subjectId: r.subject_id,
      detail: r.detail,
      ip: r.ip,
    })),
  };
}

export async function auditActions(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<{ action: string }>('select distinct action from audit_log order by action');
  return rows.map((r) => r.action);
}

/** A leaver's unused ways into an account gone (data protection): invitations to their addresses and their password reset links. */
export async function forgetInvitationsAndResets(client: PoolClient, addresses: string[], userId: string | null): Promise<void> {
  if (userId) await client.query('delete from password_reset_tokens where user_id = $1', [userId]);
  if (addresses.length) await client.query('delete from invitations where lower(email) = any($1::text[])', [addresses]);
}
