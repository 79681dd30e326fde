-- An organisation's compliance counts as of a past day (the self-assessment's
-- last four quarter ends), kept once worked out: each is a whole
-- organisation computed as things stood then, several seconds for a large
-- one, and the answer for a past day does not change when evidence is
-- recorded today. It can change when something is recorded or corrected
-- with an earlier date, so the triggers below drop the kept days such a
-- change reaches. They run as the change commits (deferred), and note the
-- time in kept_compliance_day_marks: a computation that started reading
-- before then does not keep what it worked out (a long import committing
-- while a lead looks at the page cannot leave figures that miss it).
-- Derived data: deleting rows is always safe, and the partnership export
-- leaves both tables out.
create table kept_compliance_days (
  organisation_id uuid not null references organisations(id) on delete cascade,
  on_date date not null,
  framework_id uuid,
  -- OrganisationCompliance.counts: total, byStatus, byGroup
  counts jsonb not null,
  computed_at timestamptz not null default now(),
  primary key (organisation_id, on_date)
);

create table kept_compliance_day_marks (
  organisation_id uuid primary key references organisations(id) on delete cascade,
  changed_at timestamptz not null
);

create function london_day(t timestamptz) returns date language sql immutable as $$
  select (t at time zone 'Europe/London')::date
$$;

-- Drops the organisation's kept days from `from_day` on (every day when null).
create function kept_days_reached(organisation uuid, from_day date) returns void language sql as $$
  delete from kept_compliance_days where organisation_id = organisation and (from_day is null or on_date >= from_day);
  insert into kept_compliance_day_marks (organisation_id, changed_at) select id, clock_timestamp() from organisations where id = organisation
    on conflict (organisation_id) do update set changed_at = excluded.changed_at;
$$;

-- Evidence counts for a past day when it was recorded by the end of it, so it
-- reaches the days from the one it was recorded on. A correction sets
-- replaced_at on the entry it replaces to its own recorded_at.
create function kept_days_on_evidence() returns trigger language plpgsql as $$
declare
  org uuid;
  since date;
begin
  if tg_op = 'INSERT' then
    since := london_day(new.recorded_at);
  elsif tg_op = 'DELETE' then
    since := london_day(old.recorded_at);
  elsif (old.staff_id, old.competency_id, old.achieved_on, old.withdrawn, old.recorded_at, old.replaces_id)
        is not distinct from (new.staff_id, new.competency_id, new.achieved_on, new.withdrawn, new.recorded_at, new.replaces_id) then
    since := london_day(least(old.replaced_at, new.replaced_at));
  else
    since := london_day(least(old.recorded_at, new.recorded_at));
  end if;
  if since is null or since >= london_day(now()) then
    return null;
  end if;
  for org in select organisation_id from staff where id in (old.staff_id, new.staff_id) loop
    perform kept_days_reached(org, since);
  end loop;
  return null;
end;
$$;
create constraint trigger kept_days_evidence after insert or update or delete on evidence
  deferrable initially deferred for each row execute function kept_days_on_evidence();

-- Someone added with an earlier start date was in post on days already past;
-- a change of start or leaving date or organisation can reach any past day.
create function kept_days_on_staff() returns trigger language plpgsql as $$
begin
  if tg_op = 'INSERT' then
    perform kept_days_reached(new.organisation_id, coalesce(new.start_date, london_day(new.created_at)));
    return null;
  end if;
  perform kept_days_reached(old.organisation_id, null);
  if tg_op = 'UPDATE' and new.organisation_id <> old.organisation_id then
    perform kept_days_reached(new.organisation_id, null);
  end if;
  return null;
end;
$$;
create constraint trigger kept_days_staff_added after insert on staff
  deferrable initially deferred for each row execute function kept_days_on_staff();
create constraint trigger kept_days_staff_changed after update of start_date, leaving_date, organisation_id, created_at on staff
  deferrable initially deferred for each row when (old.start_date is distinct from new.start_date or old.leaving_date is distinct from new.leaving_date
                     or old.organisation_id is distinct from new.organisation_id or old.created_at is distinct from new.created_at)
  execute function kept_days_on_staff();
create constraint trigger kept_days_staff_removed after delete on staff
  deferrable initially deferred for each row execute function kept_days_on_staff();

-- A group change counts for past days from the day it was recorded.
create function kept_days_on_group_change() returns trigger language plpgsql as $$
declare
  org uuid;
begin
  select organisation_id into org from staff where id = new.staff_id;
  if org is not null and london_day(new.changed_at) < london_day(now()) then
    perform kept_days_reached(org, london_day(new.changed_at));
  end if;
  return null;
end;
$$;
create constraint trigger kept_days_group_change after insert or update on staff_group_history
  deferrable initially deferred for each row execute function kept_days_on_group_change();

create function kept_days_on_settings() returns trigger language plpgsql as $$
begin
  perform kept_days_reached(new.id, null);
  return null;
end;
$$;
create constraint trigger kept_days_settings_changed after update of refresher_months, due_soon_days, induction_days, uses_rcn_intercollegiate on organisations
  deferrable initially deferred for each row when (old.refresher_months is distinct from new.refresher_months or old.due_soon_days is distinct from new.due_soon_days
                     or old.induction_days is distinct from new.induction_days or old.uses_rcn_intercollegiate is distinct from new.uses_rcn_intercollegiate)
  execute function kept_days_on_settings();
