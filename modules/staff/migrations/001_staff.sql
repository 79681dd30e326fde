-- Every member of staff (and volunteer) of every member organisation.
create table staff (
  id uuid primary key default gen_random_uuid(),
  organisation_id uuid not null references organisations(id),
  user_id uuid references users(id) on delete set null,
  name text not null check (length(name) between 1 and 200),
  email text,
  job_title text not null default '',
  team text not null default '',
  staff_number text,
  start_date date,
  leaving_date date,
  is_volunteer boolean not null default false,
  -- The current LDF group (null while the job title is not yet mapped) and how it was decided.
  group_number int check (group_number between 1 and 9),
  group_source text check (group_source in ('partnership-mapping', 'organisation-mapping', 'lead-override', 'import', 'sso')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index staff_org on staff (organisation_id);
create index staff_org_group on staff (organisation_id, group_number) where leaving_date is null;
create index staff_user on staff (user_id);
create unique index staff_org_email on staff (organisation_id, lower(email)) where email is not null;
create unique index staff_org_number on staff (organisation_id, staff_number) where staff_number is not null;

-- Every change of a person's group: who, when, why.
create table staff_group_history (
  id bigserial primary key,
  staff_id uuid not null references staff(id) on delete cascade,
  group_number int,
  previous_group_number int,
  source text not null,
  reason text,
  changed_by uuid references users(id) on delete set null,
  changed_at timestamptz not null default now()
);
create index staff_group_history_staff on staff_group_history (staff_id, changed_at);

-- Job title to group. organisation_id null is the partnership default (from
-- the framework's example roles); an organisation's own row overrides it.
create table job_role_mappings (
  id uuid primary key default gen_random_uuid(),
  organisation_id uuid references organisations(id) on delete cascade,
  job_title_key text not null,
  job_title text not null,
  group_number int not null check (group_number between 1 and 9),
  created_by uuid references users(id) on delete set null,
  created_at timestamptz not null default now()
);
create unique index job_role_mappings_unique on job_role_mappings (coalesce(organisation_id, '00000000-0000-0000-0000-000000000000'), job_title_key);
