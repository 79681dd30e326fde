-- How many staff and volunteers each organisation says it has in each staff
-- group, including people not yet on the system, so coverage can be shown
-- against the whole workforce and not only those registered.
create table board_declared_headcount (
  organisation_id uuid not null references organisations(id) on delete cascade,
  group_number int not null check (group_number between 1 and 9),
  staff int not null check (staff between 0 and 1000000),
  volunteers int not null check (volunteers between 0 and 1000000),
  updated_by uuid references users(id) on delete set null,
  updated_at timestamptz not null default now(),
  primary key (organisation_id, group_number)
);

-- Today's board figures, worked out by a background job (counts only, no
-- names), so the dashboard answers at once however many staff there are.
-- stale is set when evidence is recorded; the job refreshes soon after.
create table board_figures_cache (
  id int primary key check (id = 1),
  figures jsonb not null,
  computed_at timestamptz not null,
  stale boolean not null default false
);

-- The figures as reported for each quarter. Once taken a quarter is never
-- changed, except by an explicit, audited retake.
create table board_snapshots (
  quarter text primary key check (quarter ~ '^[0-9]{4}-Q[1-4]$'),
  period_end date not null,
  figures jsonb not null,
  taken_at timestamptz not null default now(),
  taken_by uuid references users(id) on delete set null,
  retakes int not null default 0
);

-- The partnership's own small-number threshold (null: BOARD_SUPPRESSION_THRESHOLD or 5).
create table board_settings (
  id int primary key check (id = 1),
  suppression_threshold int check (suppression_threshold between 2 and 50),
  updated_at timestamptz not null default now()
);
