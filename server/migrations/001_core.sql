create table users (
  id uuid primary key default gen_random_uuid(),
  email text not null check (length(email) between 3 and 320),
  display_name text not null,
  password_hash text,
  disabled boolean not null default false,
  failed_sign_ins int not null default 0,
  locked_until timestamptz,
  created_at timestamptz not null default now(),
  last_sign_in_at timestamptz
);
create unique index users_email_key on users (lower(email));

-- A person can hold several roles; org-lead (and trainer, when tied to one
-- organisation) names the organisation it applies to.
create table user_roles (
  user_id uuid not null references users(id) on delete cascade,
  role text not null check (role in ('learner', 'trainer', 'org-lead', 'partnership-admin', 'board-member')),
  -- references organisations (the organisations module adds the key)
  organisation_id uuid,
  granted_at timestamptz not null default now(),
  granted_by uuid references users(id)
);
create unique index user_roles_unique on user_roles (user_id, role, coalesce(organisation_id, '00000000-0000-0000-0000-000000000000'));

-- API bearer tokens: only a hash is stored, the token itself is shown once.
create table api_tokens (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references users(id) on delete cascade,
  token_hash text not null unique,
  label text not null default 'cli',
  created_at timestamptz not null default now(),
  last_used_at timestamptz,
  revoked_at timestamptz
);

-- express-session store (connect-pg-simple's layout).
create table sessions (
  sid varchar not null primary key,
  sess json not null,
  expire timestamp(6) not null
);
create index sessions_expire on sessions (expire);

-- Who did what: sign-ins, role, group and configuration changes.
create table audit_log (
  id bigserial primary key,
  at timestamptz not null default now(),
  actor_user_id uuid references users(id) on delete set null,
  action text not null,
  -- references organisations (the organisations module adds the key)
  organisation_id uuid,
  subject_type text,
  subject_id text,
  detail jsonb not null default '{}',
  ip text
);
create index audit_log_at on audit_log (at desc);
create index audit_log_action on audit_log (action, at desc);
