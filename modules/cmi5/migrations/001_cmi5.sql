-- A cmi5 course package, known by the course id in its cmi5.xml. Importing the
-- same id again adds a version; registrations keep the version they started on.
create table cmi5_packages (
  id uuid primary key default gen_random_uuid(),
  identifier text not null,
  course_id uuid references courses(id) on delete set null,
  created_at timestamptz not null default now()
);
create index cmi5_packages_identifier on cmi5_packages (identifier);

create table cmi5_package_versions (
  id uuid primary key default gen_random_uuid(),
  package_id uuid not null references cmi5_packages(id) on delete cascade,
  version int not null,
  title text not null,
  -- The parsed course structure: the course, its blocks and AUs with their urls and moveOn.
  structure jsonb not null,
  -- False for a cmi5.xml uploaded alone, whose AUs all live at outside addresses.
  has_files boolean not null,
  file_count int not null default 0,
  total_bytes bigint not null default 0,
  imported_by uuid references users(id) on delete set null,
  imported_at timestamptz not null default now(),
  unique (package_id, version)
);

-- A learner's enrolment in a cmi5 course: its id is the xAPI registration.
create table cmi5_registrations (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references users(id) on delete cascade,
  -- The staff record it counts for (null for members of the public).
  staff_id uuid references staff(id) on delete set null,
  course_id uuid not null references courses(id) on delete cascade,
  package_version_id uuid not null references cmi5_package_versions(id),
  status text not null default 'not attempted'
    check (status in ('not attempted', 'incomplete', 'completed', 'passed', 'failed')),
  score numeric,
  started_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- When every AU met its moveOn criteria (the course was satisfied).
  satisfied_at timestamptz,
  evidence_recorded_at timestamptz
);
create index cmi5_registrations_user on cmi5_registrations (user_id, course_id, started_at desc);

-- What each AU recorded in a registration (by the publisher's AU id).
create table cmi5_au_states (
  registration_id uuid not null references cmi5_registrations(id) on delete cascade,
  au_id text not null,
  completed_at timestamptz,
  passed_at timestamptz,
  failed_at timestamptz,
  progress int,
  score numeric,
  satisfied_at timestamptz,
  primary key (registration_id, au_id)
);

-- One launch of an AU. Its id is the cmi5 session id; the fetch key and the
-- token are kept as hashes only.
create table cmi5_sessions (
  id uuid primary key default gen_random_uuid(),
  registration_id uuid not null references cmi5_registrations(id) on delete cascade,
  au_id text not null,
  launch_mode text not null check (launch_mode in ('Normal', 'Browse', 'Review')),
  -- Where the AU sends the learner when it ends (LMS.LaunchData returnURL): a page of the
  -- content origin that tells the player page which framed it.
  return_url text,
  fetch_key_hash text not null unique,
  fetched_at timestamptz,
  token_hash text unique,
  -- cmi5 defined verbs the AU has sent in this session.
  verbs text[] not null default '{}',
  launched_at timestamptz not null default now(),
  initialized_at timestamptz,
  last_statement_at timestamptz,
  terminated_at timestamptz,
  abandoned_at timestamptz
);
create index cmi5_sessions_registration on cmi5_sessions (registration_id, launched_at desc);

-- Every statement recorded: the AU's and those the LMS issues (launched, abandoned, satisfied).
create table cmi5_statements (
  id uuid primary key,
  registration_id uuid not null references cmi5_registrations(id) on delete cascade,
  session_id uuid references cmi5_sessions(id) on delete cascade,
  verb text not null,
  statement jsonb not null,
  stored timestamptz not null default now()
);
create index cmi5_statements_registration on cmi5_statements (registration_id, stored);

-- xAPI documents: State (per learner), agent profiles (per learner) and
-- activity profiles (per package). LMS.LaunchData is never stored here: it is
-- made from the session when asked for, so no AU can change it.
create table cmi5_documents (
  owner text not null,
  kind text not null check (kind in ('state', 'activity-profile', 'agent-profile')),
  activity_id text not null default '',
  registration text not null default '',
  document_id text not null,
  content bytea not null,
  content_type text not null,
  updated_at timestamptz not null default now(),
  primary key (owner, kind, activity_id, registration, document_id)
);
