-- The course catalogue: e-learning modules and face-to-face courses alike.
create table courses (
  id uuid primary key default gen_random_uuid(),
  slug text not null unique check (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
  title text not null check (length(title) between 1 and 300),
  description text not null default '',
  audience text not null default 'professionals' check (audience in ('professionals', 'public')),
  delivery text not null check (delivery in ('elearning', 'face-to-face', 'blended')),
  group_numbers int[] not null default '{}',
  pass_mark numeric check (pass_mark between 0 and 100),
  validity_months int check (validity_months between 1 and 240),
  content_warning text,
  status text not null default 'published' check (status in ('draft', 'published', 'retired')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- Which competencies a course evidences, by lineage so it survives new framework versions.
create table course_competencies (
  course_id uuid not null references courses(id) on delete cascade,
  competency_lineage text not null,
  primary key (course_id, competency_lineage)
);

-- Group 2 training follows Group 1 awareness (Appendix C).
create table course_prerequisites (
  course_id uuid not null references courses(id) on delete cascade,
  prerequisite_course_id uuid not null references courses(id) on delete cascade,
  primary key (course_id, prerequisite_course_id),
  check (course_id <> prerequisite_course_id)
);
