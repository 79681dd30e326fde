-- In-house training recognised by the partnership. An organisation submits
-- its own course (a courses row with owner_organisation_id and recognition
-- 'submitted'), mapped to LDF competencies with a justification for each; a
-- partnership administrator reviews it against the training standards; once
-- approved, completions the organisation records become evidence.
create table course_recognitions (
  course_id uuid primary key references courses(id) on delete cascade,
  organisation_id uuid not null references organisations(id),
  learning_outcomes text not null check (length(learning_outcomes) between 1 and 10000),
  submitted_by uuid references users(id) on delete set null,
  submitted_at timestamptz not null default now(),
  reviewed_by uuid references users(id) on delete set null,
  reviewed_at timestamptz,
  review_comments text,
  -- the training standards the reviewer found the course meets (ids from standards.ts)
  standards_met text[] not null default '{}'
);
create index course_recognitions_org on course_recognitions (organisation_id);

-- Why the course evidences each competency it is mapped to.
create table course_recognition_mappings (
  course_id uuid not null references courses(id) on delete cascade,
  competency_lineage text not null,
  justification text not null check (length(justification) between 1 and 2000),
  primary key (course_id, competency_lineage)
);

-- A person who completed the in-house course, as the organisation recorded it.
create table in_house_completions (
  id uuid primary key default gen_random_uuid(),
  course_id uuid not null references courses(id) on delete cascade,
  staff_id uuid not null references staff(id) on delete cascade,
  completed_on date not null,
  recorded_by uuid references users(id) on delete set null,
  recorded_at timestamptz not null default now(),
  unique (course_id, staff_id, completed_on)
);
create index in_house_completions_staff on in_house_completions (staff_id);
