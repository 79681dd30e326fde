import type { ReceivedAttribute } from './attributes';
import type { CacheItem, CacheProvider } from '@node-saml/node-saml';
import type { Pool, PoolClient } from 'pg';

type Queryable = Pool | PoolClient;

export interface IdentityProvider {
  organisationId: string;
  slug: string;
  organisationName: string;
  emailDomains: string[];
  enabled: boolean;
  idpEntryPoint: string;
  idpEntityId: string;
  idpCertificates: string[];
  spEntityId: string | null;
  attributes: AttributeNames;
  /** What must carry a valid signature. */
  signingRequired: SigningRequired;
  /** Accept unsolicited (IdP-initiated) responses. */
  allowIdpInitiated: boolean;
  /** The attribute holding a stable id for the person; empty means the NameID. */
  subjectAttribute: string;
  /** Where the IdP's metadata is fetched again on a schedule; null when it was pasted, uploaded or typed in. */
  metadataUrl: string | null;
  metadataRefreshedAt: Date | null;
  metadataProblem: string | null;
  /** The IdP's HTTP-Redirect single logout URL; null when it offers none. */
  idpLogoutUrl: string | null;
}

export type SigningRequired = 'either' | 'assertion' | 'response' | 'both';
export const SIGNING_REQUIRED: readonly SigningRequired[] = ['either', 'assertion', 'response', 'both'];

export interface AttributeNames {
  email: string;
  givenName: string;
  surname: string;
  displayName: string;
  jobTitle: string;
  team: string;
  staffNumber: string;
}

interface Row {
  organisation_id: string;
  slug: string;
  name: string;
  email_domains: string[];
  enabled: boolean;
  idp_entry_point: string;
  idp_entity_id: string;
  idp_certificates: string[];
  sp_entity_id: string | null;
  attr_email: string;
  attr_given_name: string;
  attr_surname: string;
  attr_display_name: string;
  attr_job_title: string;
  attr_team: string;
  attr_staff_number: string;
  signing_required: SigningRequired;
  allow_idp_initiated: boolean;
  attr_subject: string;
  metadata_url: string | null;
  metadata_refreshed_at: Date | null;
  metadata_problem: string | null;
  idp_logout_url: string | null;
}

function toProvider(r: Row): IdentityProvider {
  return {
    organisationId: r.organisation_id,
    slug: r.slug,
    organisationName: r.name,
    emailDomains: r.email_domains,
    enabled: r.enabled,
    idpEntryPoint: r.idp_entry_point,
    idpEntityId: r.idp_entity_id,
    idpCertificates: r.idp_certificates,
    spEntityId: r.sp_entity_id,
    attributes: {
      email: r.attr_email,
      givenName: r.attr_given_name,
      surname: r.attr_surname,
      displayName: r.attr_display_name,
      jobTitle: r.attr_job_title,
      team: r.attr_team,
      staffNumber: r.attr_staff_number,
    },
    signingRequired: r.signing_required,
    allowIdpInitiated: r.allow_idp_initiated,
    subjectAttribute: r.attr_subject,
    metadataUrl: r.metadata_url,
    metadataRefreshedAt: r.metadata_refreshed_at,
    metadataProblem: r.metadata_problem,
    idpLogoutUrl: r.idp_logout_url,
  };
}

const SELECT = `select p.*, o.slug, o.name, o.email_domains from saml_identity_providers p join member_organisations o on o.id = p.organisation_id`;

export interface ProviderInput {
  enabled: boolean;
  idpEntryPoint: string;
  idpEntityId: string;
  idpCertificates: string[];
  spEntityId: string | null;
  attributes: AttributeNames;
  signingRequired?: SigningRequired;
  allowIdpInitiated?: boolean;
  subjectAttribute?: string;
  metadataUrl: string | null;
  idpLogoutUrl: string | null;
}

/** Identity provider configuration. Partnership administrators only, so no organisation scope. */
export function createSsoStore(pool: Pool) {
  return {
    async forSlug(slug: string): Promise<IdentityProvider | undefined> {
      const { rows } = await pool.query<Row>(`${SELECT} where o.slug = $1`, [slug]);
      return rows[0] ? toProvider(rows[0]) : undefined;
    },
    async list(): Promise<IdentityProvider[]> {
      const { rows } = await pool.query<Row>(`${SELECT} order by o.name`);
      return rows.map(toProvider);
    },
    async enabledOrganisations(): Promise<{ slug: string; name: string }[]> {
      const { rows } = await pool.query<{ slug: string; name: string }>(
        `select o.slug, o.name from saml_identity_providers p join member_organisations o on o.id = p.organisation_id where p.enabled order by o.name`,
      );
      return rows;
    },
    /** The organisation whose SSO serves this email's domain, if any. */
    async enabledForEmailDomain(domain: string): Promise<string | undefined> {
      const { rows } = await pool.query<{ slug: string }>(
        `select o.slug from saml_identity_providers p join member_organisations o on o.id = p.organisation_id
         where p.enabled and $1 = any(select lower(d) from unnest(o.email_domains) d) order by o.name limit 1`,
        [domain.toLowerCase()],
      );
      return rows[0]?.slug;
    },
    async save(organisationId: string, input: ProviderInput): Promise<void> {
      const a = input.attributes;
      await pool.query(
        `insert into saml_identity_providers (organisation_id, enabled, idp_entry_point, idp_entity_id, idp_certificates, sp_entity_id,
           attr_email, attr_given_name, attr_surname, attr_display_name, attr_job_title, attr_team, attr_staff_number,
           signing_required, allow_idp_initiated, attr_subject)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
         on conflict (organisation_id) do update set enabled = excluded.enabled, idp_entry_point = excluded.idp_entry_point,
           idp_entity_id = excluded.idp_entity_id, idp_certificates = excluded.idp_certificates, sp_entity_id = excluded.sp_entity_id,
           attr_email = excluded.attr_email, attr_given_name = excluded.attr_given_name, attr_surname = excluded.attr_surname,
           attr_display_name = excluded.attr_display_name, attr_job_title = excluded.attr_job_title, attr_team = excluded.attr_team,
           attr_staff_number = excluded.attr_staff_number, signing_required = excluded.signing_required,
           allow_idp_initiated = excluded.allow_idp_initiated, attr_subject = excluded.attr_subject, updated_at = now()`,
        [
          organisationId,
          input.enabled,
          input.idpEntryPoint,
          input.idpEntityId,
          input.idpCertificates,
          input.spEntityId,
          a.email,
          a.givenName,
          a.surname,
          a.displayName,
          a.jobTitle,
          a.team,
          a.staffNumber,
          input.signingRequired ?? 'either',
          input.allowIdpInitiated ?? false,
          input.subjectAttribute ?? '',
        ],
      );
      // Saving by hand starts the metadata schedule afresh (or stops it when the URL is cleared).
      await pool.query(
        `update saml_identity_providers set metadata_url = $2, idp_logout_url = $3, metadata_problem = null,
           metadata_refreshed_at = case when $2::text is null then null else now() end where organisation_id = $1`,
        [organisationId, input.metadataUrl, input.idpLogoutUrl],
      );
    },
    /** Providers whose metadata is fetched from a URL, for the scheduled refresh. */
    async withMetadataUrl(): Promise<IdentityProvider[]> {
      const { rows } = await pool.query<Row>(`${SELECT} where p.metadata_url is not null order by o.name`);
      return rows.map(toProvider);
    },
    /** A scheduled refresh's result: new certificates and endpoints, or why it failed (keeping what is in use). */
    async refreshedFromMetadata(
      organisationId: string,
      result: { idpEntryPoint: string; idpCertificates: string[]; idpLogoutUrl: string | null } | { problem: string },
    ): Promise<void> {
      if ('problem' in result) {
        await pool.query('update saml_identity_providers set metadata_problem = $2 where organisation_id = $1', [organisationId, result.problem]);
        return;
      }
      await pool.query(
        `update saml_identity_providers set idp_entry_point = $2, idp_certificates = $3, idp_logout_url = $4, metadata_problem = null,
           metadata_refreshed_at = now(), updated_at = now() where organisation_id = $1`,
        [organisationId, result.idpEntryPoint, result.idpCertificates, result.idpLogoutUrl],
      );
    },
    async recordLastResponse(organisationId: string, last: LastResponseInput): Promise<void> {
      await pool.query(
        `insert into saml_last_responses (organisation_id, received_at, outcome, problem, name_id, name_id_format, attributes)
         values ($1, now(), $2, $3, $4, $5, $6)
         on conflict (organisation_id) do update set received_at = now(), outcome = excluded.outcome, problem = excluded.problem,
           name_id = excluded.name_id, name_id_format = excluded.name_id_format, attributes = excluded.attributes`,
        [organisationId, last.outcome, last.problem ?? null, last.nameId ?? null, last.nameIdFormat ?? null, JSON.stringify(last.attributes ?? [])],
      );
    },
    async lastResponse(organisationId: string): Promise<LastResponse | undefined> {
      const { rows } = await pool.query<{
        received_at: Date;
        outcome: string;
        problem: string | null;
        name_id: string | null;
        name_id_format: string | null;
        attributes: ReceivedAttribute[];
      }>('select received_at, outcome, problem, name_id, name_id_format, attributes from saml_last_responses where organisation_id = $1', [organisationId]);
      const r = rows[0];
      return (
        r && { receivedAt: r.received_at, outcome: r.outcome, problem: r.problem, nameId: r.name_id, nameIdFormat: r.name_id_format, attributes: r.attributes }
      );
    },
    /**
     * Remembers an assertion id until it expires. False when it was already
     * used: the same response posted twice (or by two instances) signs in once.
     */
    async claimAssertion(assertionId: string, organisationId: string, expiresAt: Date): Promise<boolean> {
      await pool.query('delete from saml_used_assertions where expires_at < now()');
      const { rows } = await pool.query(
        `insert into saml_used_assertions (assertion_id, organisation_id, expires_at) values ($1, $2, $3)
         on conflict (assertion_id) do nothing returning assertion_id`,
        [assertionId, organisationId, expiresAt],
      );
      return rows.length === 1;
    },
  };
}
export interface LastResponseInput {
  outcome: 'signed-in' | 'refused';
  problem?: string;
  nameId?: string;
  nameIdFormat?: string;
  attributes?: ReceivedAttribute[];
}
export interface LastResponse {
  receivedAt: Date;
  outcome: string;
  problem: string | null;
  nameId: string | null;
  nameIdFormat: string | null;
  attributes: ReceivedAttribute[];
}

export type SsoStore = ReturnType<typeof createSsoStore>;

/**
 * passport-saml's InResponseTo cache in PostgreSQL, so a response is accepted
 * by whichever instance receives it, after a restart too, and only once.
 * Each request id belongs to the organisation that started it: a response
 * posted to another organisation's ACS finds nothing.
 */
export function createPgCacheProvider(pool: Queryable, expiryMs: number, organisationId: string): CacheProvider {
  return {
    async saveAsync(key: string, value: string): Promise<CacheItem | null> {
      const { rows } = await pool.query<{ created_at: Date }>(
        'insert into saml_request_cache (request_id, value, organisation_id) values ($1, $2, $3) on conflict (request_id) do nothing returning created_at',
        [key, value, organisationId],
      );
      if (!rows[0]) return null;
      return { value, createdAt: rows[0].created_at.getTime() };
    },
    async getAsync(key: string): Promise<string | null> {
      const { rows } = await pool.query<{ value: string }>(
        `select value from saml_request_cache where request_id = $1 and organisation_id = $3 and created_at > now() - make_interval(secs => $2)`,
        [key, expiryMs / 1000, organisationId],
      );
      return rows[0]?.value ?? null;
    },
    async removeAsync(key: string | null): Promise<string | null> {
      if (!key) return null;
      const { rows } = await pool.query<{ value: string }>('delete from saml_request_cache where request_id = $1 and organisation_id = $2 returning value', [
        key,
        organisationId,
      ]);
      return rows[0]?.value ?? null;
    },
  };
}

export interface SpKey {
  id: number;
  state: 'current' | 'next' | 'retired';
  privateKey: string;
  certificate: string;
  createdAt: Date;
}

/** This service's own SAML keys, newest first within each state. */
export async function spKeys(pool: Queryable): Promise<SpKey[]> {
  const { rows } = await pool.query<{ id: number; state: SpKey['state']; private_key: string; certificate: string; created_at: Date }>(
    `select id, state, private_key, certificate, created_at from saml_sp_keys
     where state <> 'retired' or retired_at > now() - interval '1 day'
     order by case state when 'current' then 0 when 'next' then 1 else 2 end, id desc`,
  );
  return rows.map((r) => ({ id: r.id, state: r.state, privateKey: r.private_key, certificate: r.certificate, createdAt: r.created_at }));
}

export async function pruneRequestCache(pool: Queryable, expiryMs: number): Promise<void> {
  await pool.query('delete from saml_request_cache where created_at < now() - make_interval(secs => $1)', [expiryMs / 1000]);
  await pool.query('delete from saml_used_assertions where expires_at < now()');
  // A retired key of ours decrypts in-flight responses for a day after a switch, then is gone.
  await pool.query(`delete from saml_sp_keys where state = 'retired' and retired_at < now() - interval '1 day'`);
  // A last response is for diagnosing a mapping now, not a record of who signed in (the audit log is).
  await pool.query(`delete from saml_last_responses where received_at < now() - interval '30 days'`);
  await pool.query('delete from saml_sessions s where not exists (select 1 from sessions where sid = s.session_id)');
}
