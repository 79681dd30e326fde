-- A CSV import waiting for the lead to confirm it: the checked rows are kept
-- here (nothing touches staff until confirmation), keyed by id, with the
-- file's hash so a second upload of the same file can be recognised.
create table staff_import_batches (
  id uuid primary key default gen_random_uuid(),
  organisation_id uuid not null references organisations(id) on delete cascade,
  file_name text not null default '',
  file_hash text not null,
  full_list boolean not null default false,
  parsed jsonb not null,
  status text not null default 'previewed' check (status in ('previewed', 'applied', 'discarded')),
  summary jsonb,
  created_by uuid references users(id) on delete set null,
  created_at timestamptz not null default now(),
  applied_by uuid references users(id) on delete set null,
  applied_at timestamptz
);
create index staff_import_batches_org on staff_import_batches (organisation_id, created_at);
