-- One SAML identity provider per organisation, configured by a partnership administrator.
create table saml_identity_providers (
  organisation_id uuid primary key references organisations(id) on delete cascade,
  enabled boolean not null default false,
  idp_entry_point text not null check (idp_entry_point ~ '^https?://'),
  idp_entity_id text not null,
  -- PEM (or bare base64) certificates; more than one during a certificate rollover.
  idp_certificates text[] not null default '{}',
  -- null means the default `${PUBLIC_URL}/auth/saml/<slug>/metadata`
  sp_entity_id text,
  attr_email text not null default 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
  attr_given_name text not null default 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname',
  attr_surname text not null default 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname',
  attr_display_name text not null default 'http://schemas.microsoft.com/identity/claims/displayname',
  attr_job_title text not null default 'jobtitle',
  attr_team text not null default 'department',
  attr_staff_number text not null default 'employeeid',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- Outstanding AuthnRequest ids (passport-saml's InResponseTo cache), shared by every instance.
create table saml_request_cache (
  request_id text primary key,
  value text not null,
  created_at timestamptz not null default now()
);
create index saml_request_cache_created on saml_request_cache (created_at);

-- Assertion ids already used, kept until the assertion would have expired anyway.
create table saml_used_assertions (
  assertion_id text primary key,
  organisation_id uuid references organisations(id) on delete cascade,
  expires_at timestamptz not null,
  used_at timestamptz not null default now()
);
create index saml_used_assertions_expires on saml_used_assertions (expires_at);
