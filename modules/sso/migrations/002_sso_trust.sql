-- Who an SSO identity is: the organisation's IdP and the subject it asserts
-- (its NameID, or a stable id attribute the organisation chose), recorded on
-- first link. Later sign-ins find the account only through this pair, never
-- through an email address the IdP sends.
create table sso_identities (
  organisation_id uuid not null references organisations(id) on delete cascade,
  idp_entity_id text not null,
  subject text not null check (length(subject) between 1 and 1024),
  -- 'nameid' or the attribute name the subject was read from
  subject_source text not null,
  user_id uuid not null references users(id) on delete cascade,
  linked_at timestamptz not null default now(),
  last_seen_at timestamptz not null default now(),
  primary key (organisation_id, idp_entity_id, subject)
);
create index sso_identities_user on sso_identities (user_id);

alter table saml_identity_providers
  -- What must carry a valid signature: 'either' (at least one of the two), 'assertion', 'response' or 'both'.
  add column signing_required text not null default 'either' check (signing_required in ('either', 'assertion', 'response', 'both')),
  -- Accept unsolicited (IdP-initiated) responses, e.g. an Entra ID "My Apps" tile.
  add column allow_idp_initiated boolean not null default false,
  -- The attribute that carries a stable, never-reassigned id; empty means the NameID.
  add column attr_subject text not null default '';

-- A sign-in request belongs to the organisation that started it, so a request
-- id from one organisation cannot be answered in another's response.
alter table saml_request_cache add column organisation_id uuid references organisations(id) on delete cascade;

-- This service's own SAML keys (encryption of assertions to us). 'current' is
-- published and used; 'next' is published too, so IdPs can pick it up before
-- the switch; 'retired' keys are kept only to decrypt what was already in flight.
create table saml_sp_keys (
  id serial primary key,
  state text not null check (state in ('current', 'next', 'retired')),
  private_key text not null,
  certificate text not null,
  created_at timestamptz not null default now(),
  retired_at timestamptz
);
create unique index saml_sp_keys_one_current on saml_sp_keys (state) where state in ('current', 'next');
