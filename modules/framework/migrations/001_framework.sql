-- The Learning Development Framework is data: versions, staff groups, their
-- numbered competencies, evidence examples and learning opportunities.
create table frameworks (
  id uuid primary key default gen_random_uuid(),
  name text not null,
  version int not null check (version >= 1),
  status text not null check (status in ('draft', 'published', 'superseded')),
  based_on uuid references frameworks(id),
  source_note text,
  created_at timestamptz not null default now(),
  created_by uuid references users(id),
  published_at timestamptz,
  published_by uuid references users(id),
  unique (name, version)
);
-- One published framework at a time: the one compliance is measured against.
create unique index frameworks_one_published on frameworks ((true)) where status = 'published';

create table staff_groups (
  id uuid primary key default gen_random_uuid(),
  framework_id uuid not null references frameworks(id) on delete cascade,
  number int not null check (number between 1 and 9),
  name text not null,
  level text not null,
  summary text not null default '',
  description text not null default '',
  -- earlier groups whose competencies this group also needs (Group 2 includes Group 1)
  includes_groups int[] not null default '{}',
  example_roles text[] not null default '{}',
  unique (framework_id, number)
);

-- A competency row belongs to one framework version. `lineage` stays the same
-- when a competency is carried into a new version unchanged or reworded, so
-- evidence recorded against version 1 still counts under version 2.
create table competencies (
  id uuid primary key default gen_random_uuid(),
  framework_id uuid not null references frameworks(id) on delete cascade,
  group_number int not null,
  number int not null check (number >= 1),
  text text not null,
  lineage text not null,
  retired boolean not null default false,
  unique (framework_id, group_number, number),
  foreign key (framework_id, group_number) references staff_groups (framework_id, number) on delete cascade
);
create index competencies_lineage on competencies (lineage);

create table evidence_examples (
  id uuid primary key default gen_random_uuid(),
  framework_id uuid not null references frameworks(id) on delete cascade,
  group_number int not null,
  position int not null,
  heading text,
  text text not null,
  foreign key (framework_id, group_number) references staff_groups (framework_id, number) on delete cascade
);

create table learning_opportunities (
  id uuid primary key default gen_random_uuid(),
  framework_id uuid not null references frameworks(id) on delete cascade,
  group_number int not null,
  position int not null,
  -- 'delivery' (how the learning is given), 'theme' (in-depth topic), 'resource'
  kind text not null check (kind in ('delivery', 'theme', 'resource')),
  text text not null,
  foreign key (framework_id, group_number) references staff_groups (framework_id, number) on delete cascade
);
