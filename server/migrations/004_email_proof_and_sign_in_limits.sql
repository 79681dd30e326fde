-- When the person proved they read mail at this address (by opening a link sent
-- to it: registration, invitation, password reset, sign-in link). Nothing tied
-- to an address (a training passport found by it, an SSO link by email) is
-- shown or linked while this is null.
alter table users add column email_verified_at timestamptz;

-- Accounts made before addresses were proven. Self-registered members of the
-- public (a partnership-wide learner role and nothing else) never proved
-- theirs; everyone else was invited, made by an administrator or signed in
-- through their organisation.
update users u set email_verified_at = coalesce(u.last_sign_in_at, u.created_at)
 where not (
   exists (select 1 from user_roles r where r.user_id = u.id and r.role = 'learner' and r.organisation_id is null)
   and not exists (select 1 from user_roles r where r.user_id = u.id and not (r.role = 'learner' and r.organisation_id is null))
 );

-- Failed password sign-ins, by the address typed (whether or not it has an
-- account, so the limits say nothing about who has one) and the network
-- address they came from. Successes are not counted.
create table sign_in_failures (
  address text not null,
  ip text not null,
  at timestamptz not null default now()
);
create index sign_in_failures_address on sign_in_failures (address, at);
create index sign_in_failures_at on sign_in_failures (at);

-- Self-registration waits here until the link emailed to the address is
-- opened: no account exists before. A request for an address that already
-- has an account keeps a row without a token (the owner is told by email
-- instead), so requests per address can be counted either way.
create table registration_requests (
  id uuid primary key default gen_random_uuid(),
  token_hash text unique,
  email text not null,
  name text not null,
  password_hash text,
  ip text,
  expires_at timestamptz not null,
  used_at timestamptz,
  created_at timestamptz not null default now()
);
create index registration_requests_email on registration_requests (lower(email), created_at);
