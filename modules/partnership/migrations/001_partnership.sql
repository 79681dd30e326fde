-- Installations made before this module owned its table have it already (the
-- core's first migrations made it), hence "if not exists": a new database and
-- an older one end with the same schema.

-- The partnership itself: one row. Its name and logo appear on certificates,
-- its support links on every page.
create table if not exists partnership (
  id int primary key default 1 check (id = 1),
  name text not null,
  area_name text not null,
  support_links jsonb not null default '[]',
  small_number_threshold int not null default 5 check (small_number_threshold between 1 and 100),
  updated_at timestamptz not null default now()
);

-- The partnership's own logo (PNG), printed on certificates.
alter table partnership add column if not exists logo_png bytea;
