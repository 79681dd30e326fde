import type { PoolClient } from 'pg';
import { normaliseEmail } from '../../server/auth/users';
import { type GroupLookup, mappedGroup, provisionStaffRecord } from '../staff/api';
import type { SsoPerson } from './saml';

export type ProvisionResult =
  | { ok: true; userId: string; staffId: string; created: boolean; linked: 'identity' | 'new-account' | 'existing-account' }
  | { ok: false; reason: 'email-in-another-organisation' | 'account-disabled' | 'account-not-linkable' | 'email-outside-domains'; detail: string };

/** Who the organisation's IdP says signed in: the pair that identifies them for good. */
export interface SsoIdentity {
  organisationId: string;
  idpEntityId: string;
  subject: string;
  /** 'nameid' or the stable id attribute's name */
  source: string;
  emailDomains: string[];
}

/** True when the email is at one of the domains (or a subdomain). No domains: nothing is within them. */
export function emailWithinDomains(email: string, domains: string[]): boolean {
  const domain = email.split('@').pop()?.toLowerCase() ?? '';
  return domains.some((d) => domain === d.toLowerCase() || domain.endsWith(`.${d.toLowerCase()}`));
}

/**
 * Why an existing account (found by email) may not be joined to an SSO
 * identity on first sign-in, or null when it may: it holds a password (its
 * owner proved something other than the IdP, and it may be a stranger's
 * pre-registration), or a role beyond learner/trainer in this organisation
 * (an IdP must never become a route into an administrator's or another
 * organisation's lead's account), or its email is outside the organisation's
 * domains.
 */
export async function whyNotLinkable(client: PoolClient, userId: string, email: string, identity: SsoIdentity): Promise<string | null> {
  if (!emailWithinDomains(email, identity.emailDomains)) return `the account's email ${email} is outside the organisation's email domains`;
  const user = await client.query<{ has_password: boolean }>('select password_hash is not null as has_password from users where id = $1', [userId]);
  if (user.rows[0]?.has_password) return "the account has a password (it was not made by this organisation's single sign-on)";
  const roles = await client.query<{ role: string; organisation_id: string | null }>('select role, organisation_id from user_roles where user_id = $1', [
    userId,
  ]);
  const beyond = roles.rows.filter(
    (r) =>
      !(
        (r.role === 'learner' && (r.organisation_id === null || r.organisation_id === identity.organisationId)) ||
        (r.role === 'trainer' && r.organisation_id === identity.organisationId)
      ),
  );
  if (beyond.length) return `the account holds ${beyond.map((r) => r.role + (r.organisation_id ? ` (organisation ${r.organisation_id})` : '')).join(', ')}`;
  const other = await client.query<{ subject: string }>('select subject from sso_identities where user_id = $1 and organisation_id = $2 limit 1', [
    userId,
    identity.organisationId,
  ]);
  if (other.rows[0]) return "the account is already linked to another identity at this organisation's IdP";
  return null;
}

/**
 * Just-in-time provisioning from a verified assertion. The account is found
 * through the (IdP, subject) pair recorded on first link, never through the
 * email the IdP sends. On a first sign-in a new account is made, or an
 * existing one with the same email is joined only when whyNotLinkable allows.
 * The staff record in this organisation is then created or brought up to
 * date. A person whose email belongs to staff of another organisation is
 * never merged.
 */
export async function provisionFromSso(
  client: PoolClient,
  identity: SsoIdentity,
  person: SsoPerson,
  lookupGroup: GroupLookup = mappedGroup,
): Promise<ProvisionResult> {
  const organisationId = identity.organisationId;
  const email = normaliseEmail(person.email);
  let linked: 'identity' | 'new-account' | 'existing-account' = 'identity';
  const known = await client.query<{ user_id: string; disabled: boolean }>(
    `select i.user_id, u.disabled from sso_identities i join users u on u.id = i.user_id
     where i.organisation_id = $1 and i.idp_entity_id = $2 and i.subject = $3 for update of i`,
    [organisationId, identity.idpEntityId, identity.subject],
  );
  let userId = known.rows[0]?.user_id;
  if (known.rows[0]?.disabled) return { ok: false, reason: 'account-disabled', detail: `user ${userId} is disabled` };
  if (!userId) {
    // First sign-in: the email must be the organisation's own, whoever it belongs to.
    if (!emailWithinDomains(email, identity.emailDomains)) {
      return {
        ok: false,
        reason: 'email-outside-domains',
        detail: `email ${email} is outside the organisation's email domains (${identity.emailDomains.join(', ') || 'none'})`,
      };
    }
    const existing = await client.query<{ id: string; disabled: boolean }>('select id, disabled from users where lower(email) = $1 for update', [email]);
    if (existing.rows[0]) {
      if (existing.rows[0].disabled) return { ok: false, reason: 'account-disabled', detail: `user ${existing.rows[0].id} is disabled` };
      const why = await whyNotLinkable(client, existing.rows[0].id, email, identity);
      if (why) return { ok: false, reason: 'account-not-linkable', detail: `an account with the email ${email} exists and was not joined: ${why}` };
      userId = existing.rows[0].id;
      linked = 'existing-account';
    } else linked = 'new-account';
  }

  const elsewhere = await client.query<{ organisation_id: string }>(
    `select organisation_id from staff_members
     where organisation_id <> $1 and (leaving_date is null or leaving_date > current_date)
       and (lower(email) = $2 or ($3::uuid is not null and user_id = $3::uuid)) limit 1`,
    [organisationId, email, userId ?? null],
  );
  if (elsewhere.rows[0]) {
    return { ok: false, reason: 'email-in-another-organisation', detail: `${email} is staff of organisation ${elsewhere.rows[0].organisation_id}` };
  }

  if (!userId) {
    const { rows } = await client.query<{ id: string }>('insert into users (email, display_name) values ($1, $2) returning id', [email, person.name]);
    userId = rows[0].id;
  } else {
    await client.query('update users set display_name = $2 where id = $1', [userId, person.name]);
  }
  await client.query('update users set last_sign_in_at = now(), failed_sign_ins = 0 where id = $1', [userId]);
  await client.query(
    `insert into sso_identities (organisation_id, idp_entity_id, subject, subject_source, user_id) values ($1, $2, $3, $4, $5)
     on conflict (organisation_id, idp_entity_id, subject) do update set last_seen_at = now()`,
    [organisationId, identity.idpEntityId, identity.subject, identity.source, userId],
  );

  const record = await provisionStaffRecord(client, { organisationId, userId, email, person, lookupGroup });
  return { ok: true, userId, ...record, linked };
}
