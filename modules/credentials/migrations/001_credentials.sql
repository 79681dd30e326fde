-- The partnership's signing keys for Open Badges credentials (Ed25519, kept
-- like the SAML service provider's keys). One key signs; retired keys stay
-- published so credentials signed before a rotation still verify.
create table credential_keys (
  id uuid primary key default gen_random_uuid(),
  state text not null check (state in ('current', 'retired')),
  public_key_multibase text not null,
  secret_key_multibase text not null,
  created_at timestamptz not null default now(),
  retired_at timestamptz
);
create unique index credential_keys_one_current on credential_keys (state) where state = 'current';

-- Each certificate's place in a Bitstring Status List, given when its
-- credential is first downloaded. The place is random within a list, so a
-- list says nothing about who was certified when. When a certificate is
-- deleted (a leaver's record erased) its place stays, set, so a credential
-- already handed out no longer verifies.
create table credential_status_entries (
  list_number int not null check (list_number > 0),
  list_index int not null check (list_index >= 0),
  certificate_id uuid unique references certificates(id) on delete set null,
  created_at timestamptz not null default now(),
  primary key (list_number, list_index)
);
