-- The partnership itself: one row. Its name and logo appear on certificates,
-- its support links on every page.
create table partnership (
  id int primary key default 1 check (id = 1),
  name text not null,
  area_name text not null,
  support_links jsonb not null default '[]',
  small_number_threshold int not null default 5 check (small_number_threshold between 1 and 100),
  updated_at timestamptz not null default now()
);

-- Member organisations of the partnership. Refresher intervals, induction
-- period and the reminder window are per organisation (Appendix C leaves
-- "how often refresher opportunities are available" to each organisation).
create table organisations (
  id uuid primary key default gen_random_uuid(),
  slug text not null unique check (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
  name text not null check (length(name) between 1 and 200),
  sector text not null check (sector in ('local-authority', 'health', 'police', 'probation', 'housing', 'education', 'voluntary', 'other')),
  in_area boolean not null default true,
  email_domains text[] not null default '{}',
  -- months a piece of evidence stays current, by staff group number
  refresher_months jsonb not null default '{"1": 36, "2": 36, "3": 36, "4": 36}',
  induction_days int not null default 90 check (induction_days between 0 and 730),
  due_soon_days int not null default 60 check (due_soon_days between 0 and 365),
  -- health organisations working to the RCN intercollegiate documents instead of the LDF
  uses_rcn_intercollegiate boolean not null default false,
  reminder_policy jsonb not null default '{}',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- Licences for organisations outside the area (the e-learning is charged there).
create table organisation_licences (
  id uuid primary key default gen_random_uuid(),
  organisation_id uuid not null references organisations(id) on delete cascade,
  starts_on date not null,
  ends_on date not null,
  seats int not null check (seats >= 0),
  created_at timestamptz not null default now(),
  check (ends_on >= starts_on)
);
create index organisation_licences_org on organisation_licences (organisation_id);

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
  organisation_id uuid references organisations(id) on delete cascade,
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
  organisation_id uuid references organisations(id) on delete set null,
  subject_type text,
  subject_id text,
  detail jsonb not null default '{}',
  ip text
);
create index audit_log_at on audit_log (at desc);
create index audit_log_action on audit_log (action, at desc);
