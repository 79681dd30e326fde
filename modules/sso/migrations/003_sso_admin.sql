-- Identity provider metadata imported from a URL is fetched again on a schedule, so a
-- certificate rollover at the IdP needs no administrator.
alter table saml_identity_providers
  add column metadata_url text check (metadata_url ~ '^https?://'),
  add column metadata_refreshed_at timestamptz,
  -- Why the last scheduled refresh failed (null when it worked); the settings in use stay as they were.
  add column metadata_problem text,
  -- The IdP's HTTP-Redirect SingleLogoutService; null when it offers none.
  add column idp_logout_url text check (idp_logout_url ~ '^https?://');

-- Only the email attribute is required: the others may be left blank.
alter table saml_identity_providers alter column attr_given_name set default '';
alter table saml_identity_providers alter column attr_surname set default '';
alter table saml_identity_providers alter column attr_display_name set default '';
alter table saml_identity_providers alter column attr_job_title set default '';
alter table saml_identity_providers alter column attr_team set default '';
alter table saml_identity_providers alter column attr_staff_number set default '';

-- The last response each organisation's IdP sent, for its administrators to check the
-- attribute mapping: NameID, attribute names and values, and what became of it.
-- Never the signature or certificates. Replaced by the next response.
create table saml_last_responses (
  organisation_id uuid primary key references organisations(id) on delete cascade,
  received_at timestamptz not null default now(),
  outcome text not null,
  problem text,
  name_id text,
  name_id_format text,
  attributes jsonb not null default '[]'
);

-- Sessions signed in through an IdP, so a LogoutRequest from it ends them (single logout),
-- whichever browser or server it reaches.
create table saml_sessions (
  session_id text primary key,
  organisation_id uuid not null references organisations(id) on delete cascade,
  name_id text not null,
  name_id_format text,
  session_index text,
  created_at timestamptz not null default now()
);
create index saml_sessions_name_id on saml_sessions (organisation_id, name_id);
