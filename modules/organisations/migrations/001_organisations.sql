-- Installations made before this module owned its tables have them already
-- (the core's first migration made them), hence "if not exists" throughout:
-- a new database and an older one end with the same schema.

-- Member organisations of the partnership. Refresher intervals, induction
-- period and the reminder window are per organisation (Appendix C leaves
-- "how often refresher opportunities are available" to each organisation).
create table if not exists organisations (
  id uuid primary key default gen_random_uuid(),
  slug text not null unique check (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
  name text not null check (length(name) between 1 and 200),
  sector text not null check (sector in ('local-authority', 'health', 'police', 'probation', 'housing', 'education', 'voluntary', 'other')),
  in_area boolean not null default true,
  email_domains text[] not null default '{}',
  -- months a piece of evidence stays current, by staff group number
  refresher_months jsonb not null default '{"1": 36, "2": 36, "3": 36, "4": 36}',
  induction_days int not null default 90 check (induction_days between 0 and 730),
  due_soon_days int not null default 60 check (due_soon_days between 0 and 365),
  -- health organisations working to the RCN intercollegiate documents instead of the LDF
  uses_rcn_intercollegiate boolean not null default false,
  reminder_policy jsonb not null default '{}',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- Licences for organisations outside the area (the e-learning is charged there).
create table if not exists organisation_licences (
  id uuid primary key default gen_random_uuid(),
  organisation_id uuid not null references organisations(id) on delete cascade,
  starts_on date not null,
  ends_on date not null,
  seats int not null check (seats >= 0),
  created_at timestamptz not null default now(),
  check (ends_on >= starts_on)
);
create index if not exists organisation_licences_org on organisation_licences (organisation_id);

-- The core's tables name an organisation (a lead's role, an audit entry, an
-- email) but migrate before any module, so the keys to this module's table
-- are added here, under the names PostgreSQL gave them when the core made them.
do $$
begin
  if not exists (select 1 from pg_constraint where conname = 'user_roles_organisation_id_fkey') then
    alter table user_roles add constraint user_roles_organisation_id_fkey
      foreign key (organisation_id) references organisations(id) on delete cascade;
  end if;
  if not exists (select 1 from pg_constraint where conname = 'audit_log_organisation_id_fkey') then
    alter table audit_log add constraint audit_log_organisation_id_fkey
      foreign key (organisation_id) references organisations(id) on delete set null;
  end if;
  if not exists (select 1 from pg_constraint where conname = 'outbound_messages_organisation_id_fkey') then
    alter table outbound_messages add constraint outbound_messages_organisation_id_fkey
      foreign key (organisation_id) references organisations(id) on delete set null;
  end if;
end
$$;
