-- Password reset links: only a hash of the token is kept; each works once and expires.
create table password_reset_tokens (
  token_hash text primary key,
  user_id uuid not null references users(id) on delete cascade,
  expires_at timestamptz not null,
  used_at timestamptz,
  created_at timestamptz not null default now()
);
create index password_reset_tokens_user on password_reset_tokens (user_id);

-- Invitations for new local users: the invitee follows the link and sets a password.
create table invitations (
  id uuid primary key default gen_random_uuid(),
  token_hash text not null unique,
  email text not null,
  name text not null,
  organisation_id uuid references organisations(id) on delete cascade,
  role text not null check (role in ('learner', 'trainer', 'org-lead', 'partnership-admin', 'board-member')),
  invited_by uuid references users(id) on delete set null,
  expires_at timestamptz not null,
  accepted_at timestamptz,
  accepted_user_id uuid references users(id) on delete set null,
  created_at timestamptz not null default now()
);
create index invitations_email on invitations (lower(email));
