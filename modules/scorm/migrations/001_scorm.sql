-- A SCORM package, known by the identifier in its manifest. Uploading the same
-- identifier again adds a version; attempts keep the version they started on.
create table scorm_packages (
  id uuid primary key default gen_random_uuid(),
  identifier text not null unique,
  course_id uuid references courses(id) on delete set null,
  created_at timestamptz not null default now()
);

create table scorm_package_versions (
  id uuid primary key default gen_random_uuid(),
  package_id uuid not null references scorm_packages(id) on delete cascade,
  version int not null,
  scorm_version text not null check (scorm_version in ('1.2', '2004-2', '2004-3', '2004-4')),
  title text not null,
  -- The parsed manifest: organisations, items, SCOs with launch addresses and mastery scores.
  manifest jsonb not null,
  file_count int not null,
  total_bytes bigint not null,
  imported_by uuid references users(id) on delete set null,
  imported_at timestamptz not null default now(),
  unique (package_id, version)
);

-- One learner's go at a course, on the package version it started with.
create table scorm_attempts (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references users(id) on delete cascade,
  -- The staff record it counts for (null for members of the public).
  staff_id uuid references staff(id) on delete set null,
  course_id uuid not null references courses(id) on delete cascade,
  package_version_id uuid not null references scorm_package_versions(id),
  status text not null default 'not attempted'
    check (status in ('not attempted', 'incomplete', 'completed', 'passed', 'failed')),
  score numeric,
  time_seconds int not null default 0,
  started_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  completed_at timestamptz,
  -- Set once the completion has been recorded as evidence.
  evidence_recorded_at timestamptz
);
create index scorm_attempts_user on scorm_attempts (user_id, course_id, started_at desc);
create index scorm_attempts_course on scorm_attempts (course_id);

-- The run-time data of each SCO in an attempt, as the module last committed it.
create table scorm_sco_states (
  attempt_id uuid not null references scorm_attempts(id) on delete cascade,
  sco_identifier text not null,
  cmi jsonb not null default '{}',
  -- Highest commit sequence number accepted; older ones arriving late are ignored.
  last_sequence bigint not null default -1,
  -- Seconds per player session (keyed by the session id the player page was given).
  session_seconds jsonb not null default '{}',
  updated_at timestamptz not null default now(),
  primary key (attempt_id, sco_identifier)
);
