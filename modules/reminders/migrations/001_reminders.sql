-- The partnership's default reminder policy (one row). An organisation whose
-- reminder_policy is '{}' follows it; any key it sets overrides the default.
create table reminder_defaults (
  id int primary key default 1 check (id = 1),
  policy jsonb not null default '{}',
  updated_at timestamptz not null default now(),
  updated_by uuid references users(id) on delete set null
);
insert into reminder_defaults (id) values (1);

-- One row per reminder queued for a person, keyed like its outbound message
-- (reminder:<staff>:<lineage>:<due date>:<step>, welcome:<staff>), so staff
-- can see their reminders and leads what was sent about whom.
create table reminders (
  dedupe_key text primary key,
  organisation_id uuid not null references organisations(id) on delete cascade,
  staff_id uuid references staff(id) on delete cascade,
  kind text not null check (kind in ('before-expiry', 'overdue', 'escalation', 'welcome', 'digest')),
  lineage text,
  due_date date,
  step text not null,
  recipient text not null,
  summary text not null,
  message_id uuid references outbound_messages(id) on delete set null,
  created_at timestamptz not null default now()
);
create index reminders_staff on reminders (staff_id, created_at desc);
create index reminders_org on reminders (organisation_id, created_at desc);

-- When each organisation's daily scan last ran (London calendar day).
create table reminder_scan_runs (
  organisation_id uuid primary key references organisations(id) on delete cascade,
  last_scan_on date not null,
  last_scan_at timestamptz not null default now(),
  queued int not null default 0
);

-- Leads who asked for no more digests. Statutory reminders cannot be unsubscribed from.
create table reminder_digest_unsubscribes (
  user_id uuid not null references users(id) on delete cascade,
  organisation_id uuid not null references organisations(id) on delete cascade,
  at timestamptz not null default now(),
  primary key (user_id, organisation_id)
);
