-- Face-to-face (or live online) sessions of a course. Group 2 and 3 training
-- is normally face to face and multi-agency (Appendix C).
create table training_sessions (
  id uuid primary key default gen_random_uuid(),
  course_id uuid not null references courses(id),
  starts_at timestamptz not null,
  ends_at timestamptz not null,
  venue text,
  online_url text,
  capacity int not null check (capacity between 1 and 1000),
  trainer_user_id uuid references users(id) on delete set null,
  multi_agency boolean not null default true,
  -- false: only the organisations in training_session_organisations may book
  open_to_all boolean not null default true,
  notes text not null default '',
  cancelled_at timestamptz,
  register_marked_at timestamptz,
  register_marked_by uuid references users(id) on delete set null,
  created_by uuid references users(id) on delete set null,
  created_at timestamptz not null default now(),
  check (ends_at > starts_at),
  check (venue is not null or online_url is not null)
);
create index training_sessions_starts on training_sessions (starts_at);
create index training_sessions_course on training_sessions (course_id);

create table training_session_organisations (
  session_id uuid not null references training_sessions(id) on delete cascade,
  organisation_id uuid not null references organisations(id) on delete cascade,
  primary key (session_id, organisation_id)
);

-- A place on a session, or on its waiting list. Cancelled rows are kept.
create table session_bookings (
  id uuid primary key default gen_random_uuid(),
  session_id uuid not null references training_sessions(id) on delete cascade,
  staff_id uuid not null references staff(id) on delete cascade,
  status text not null check (status in ('booked', 'waiting', 'cancelled')),
  booked_by uuid references users(id) on delete set null,
  booked_at timestamptz not null default now(),
  promoted_at timestamptz,
  cancelled_at timestamptz,
  cancelled_by uuid references users(id) on delete set null,
  attended boolean,
  attendance_marked_at timestamptz
);
create unique index session_bookings_once on session_bookings (session_id, staff_id) where status <> 'cancelled';
create index session_bookings_session on session_bookings (session_id, status, booked_at);
create index session_bookings_staff on session_bookings (staff_id);
