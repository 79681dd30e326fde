-- Statuses kept between requests (issue 9: the lead's pages in under 300 ms
-- at 24,000 staff; issue 10: the reminder scan of the whole partnership in
-- under 10 s). Working out a large organisation's compliance afresh takes
-- about 0.4 s per 10,000 staff; reading it back takes a fraction of that.
--
-- One row per member of staff: the result of the compliance engine for the
-- day computed_on (status, next expiry, and per requirement of their group in
-- order: a status letter and the expiry day), and fresh_until, the first day
-- on which the calendar alone could change it (engine.resultHoldsUntil).
--
-- Anything else that changes the answer moves the row's stamp on, in the
-- same transaction as the change, by the triggers below: their evidence
-- (through current_evidence), their group, start or leaving date or
-- organisation, and their organisation's refresher, due-soon, induction or
-- RCN settings. A new framework version is caught by framework_id. A kept
-- result is used only while computed_stamp = stamp; whoever computes a row
-- again writes it back only if the stamp has not moved since they read it,
-- so a result worked out from data that has since changed is never kept.
--
-- It is derived data, like current_evidence: deleting every row is always
-- safe (they are worked out again on the next read), and the partnership
-- export leaves it out.
create sequence compliance_stamp;

create table kept_compliance (
  staff_id uuid primary key references staff(id) on delete cascade,
  organisation_id uuid not null,
  stamp bigint not null default nextval('compliance_stamp'),
  computed_stamp bigint,
  computed_on date,
  framework_id uuid,
  fresh_until date,
  status text,
  next_expiry date,
  -- 11 characters per requirement: m (met), d (due soon), e (expired) or x (missing), then the expiry day or 10 spaces
  competencies text
);
create index kept_compliance_organisation on kept_compliance (organisation_id);

insert into kept_compliance (staff_id, organisation_id) select id, organisation_id from staff;

-- Moves the stamp of the people named on (a row is made for anyone without one).
create function kept_compliance_changed(ids uuid[]) returns void language sql as $$
  insert into kept_compliance (staff_id, organisation_id)
  select s.id, s.organisation_id from staff s where s.id = any(ids)
  on conflict (staff_id) do update set stamp = nextval('compliance_stamp'), organisation_id = excluded.organisation_id
$$;

create function kept_compliance_on_evidence() returns trigger language plpgsql as $$
begin
  if tg_op = 'DELETE' then
    perform kept_compliance_changed(array[old.staff_id]);
    return old;
  elsif tg_op = 'UPDATE' then
    perform kept_compliance_changed(array[old.staff_id, new.staff_id]);
  else
    perform kept_compliance_changed(array[new.staff_id]);
  end if;
  return new;
end;
$$;
create trigger kept_compliance_evidence after insert or update or delete on current_evidence
  for each row execute function kept_compliance_on_evidence();

create function kept_compliance_on_staff() returns trigger language plpgsql as $$
begin
  perform kept_compliance_changed(array[new.id]);
  return new;
end;
$$;
create trigger kept_compliance_staff_added after insert on staff
  for each row execute function kept_compliance_on_staff();
create trigger kept_compliance_staff_changed after update of group_number, start_date, leaving_date, organisation_id on staff
  for each row when (old.group_number is distinct from new.group_number or old.start_date is distinct from new.start_date
                     or old.leaving_date is distinct from new.leaving_date or old.organisation_id is distinct from new.organisation_id)
  execute function kept_compliance_on_staff();

create function kept_compliance_on_settings() returns trigger language plpgsql as $$
begin
  update kept_compliance set stamp = nextval('compliance_stamp') where organisation_id = new.id;
  return new;
end;
$$;
create trigger kept_compliance_settings_changed after update of refresher_months, due_soon_days, induction_days, uses_rcn_intercollegiate on organisations
  for each row when (old.refresher_months is distinct from new.refresher_months or old.due_soon_days is distinct from new.due_soon_days
                     or old.induction_days is distinct from new.induction_days or old.uses_rcn_intercollegiate is distinct from new.uses_rcn_intercollegiate)
  execute function kept_compliance_on_settings();
