-- After a bulk load (a staff import, a new framework version) every affected
-- organisation's kept results are worked out again by a background job
-- (working-out.ts), so that no person's first page view pays for it. One row
-- per piece of work: which organisations, how far it has got, and what failed.
-- Work asked for before a run starts joins that run rather than queueing another.
create table compliance_working_out (
  id bigserial primary key,
  reason text not null,
  organisation_ids uuid[] not null,
  done int not null default 0,
  failed int not null default 0,
  -- [{ "organisation": name, "error": message }], for the administrator.
  failures jsonb not null default '[]',
  requested_at timestamptz not null default now(),
  started_at timestamptz,
  finished_at timestamptz
);
create index compliance_working_out_unfinished on compliance_working_out (id) where finished_at is null;
