-- A training passport: when a person's email (or account) appears in a second
-- organisation of the partnership, their earlier record may follow them, but
-- only with their consent. One row per earlier record and new record.
create table passport_transfers (
  id uuid primary key default gen_random_uuid(),
  from_staff_id uuid not null references staff(id) on delete cascade,
  to_staff_id uuid not null references staff(id) on delete cascade,
  status text not null default 'pending' check (status in ('pending', 'shared', 'declined', 'withdrawn')),
  created_at timestamptz not null default now(),
  decided_at timestamptz,
  decided_by uuid references users(id) on delete set null,
  unique (from_staff_id, to_staff_id),
  check (from_staff_id <> to_staff_id)
);
create index passport_transfers_to on passport_transfers (to_staff_id);
