-- Each organisation's counts for the board (by group and status, from its
-- kept results) kept between requests, so the partnership-wide figures read
-- a row per organisation rather than every kept result: at national scale
-- that pass over a million rows was most of the board's live figure
-- (issue 26). Derived data: deleting rows is always safe, and the
-- partnership export leaves both tables out.
--
-- A tally is counted from kept_compliance in one statement and stores that
-- statement's snapshot. Every statement that writes kept_compliance notes,
-- per organisation it touched, its transaction id in kept_compliance_marks
-- (the triggers below). A tally still holds while every mark of its
-- organisation is visible in its snapshot: a change committed after the
-- tally was counted, or still running while it was, leaves a mark the
-- snapshot cannot see. Timestamps or a sequence could not tell that: a
-- transaction can take its number before a tally is counted and commit
-- after it. The whole-organisation results a server holds in memory
-- (service.ts) are checked against the same marks.
create table kept_compliance_tallies (
  organisation_id uuid primary key,
  -- The day counted and the framework version the kept results were checked against.
  on_date date not null,
  framework_id uuid,
  snap pg_snapshot not null,
  -- [[group number or null, status, people], ...] for people in post with a kept result that holds.
  counts jsonb not null,
  -- Kept rows counted, and how many of them did not hold (the organisation must be worked out again).
  kept int not null,
  stale int not null,
  -- The newest transaction whose marks were let go of once this tally had seen them (marks are
  -- let go of only by the statement that keeps a tally). A result held in memory since before
  -- that transaction cannot tell whether it saw it, so it is read again.
  trimmed xid8 not null default '0'
);

create table kept_compliance_marks (
  organisation_id uuid not null,
  xid xid8 not null,
  marked_at timestamptz not null default clock_timestamp(),
  primary key (organisation_id, xid)
);

-- One mark per organisation and transaction, however many rows it writes.
create function kept_compliance_mark() returns trigger language plpgsql as $$
begin
  if tg_op = 'INSERT' then
    insert into kept_compliance_marks (organisation_id, xid)
      select distinct organisation_id, pg_current_xact_id() from kept_new on conflict do nothing;
  elsif tg_op = 'DELETE' then
    insert into kept_compliance_marks (organisation_id, xid)
      select distinct organisation_id, pg_current_xact_id() from kept_old on conflict do nothing;
  else
    insert into kept_compliance_marks (organisation_id, xid)
      select distinct organisation_id, pg_current_xact_id() from (select organisation_id from kept_new union select organisation_id from kept_old) t
      on conflict do nothing;
  end if;
  return null;
end;
$$;
create trigger kept_compliance_marked_insert after insert on kept_compliance
  referencing new table as kept_new for each statement execute function kept_compliance_mark();
create trigger kept_compliance_marked_update after update on kept_compliance
  referencing old table as kept_old new table as kept_new for each statement execute function kept_compliance_mark();
create trigger kept_compliance_marked_delete after delete on kept_compliance
  referencing old table as kept_old for each statement execute function kept_compliance_mark();

create function kept_compliance_truncated() returns trigger language plpgsql as $$
begin
  delete from kept_compliance_tallies;
  return null;
end;
$$;
create trigger kept_compliance_truncated after truncate on kept_compliance
  for each statement execute function kept_compliance_truncated();
