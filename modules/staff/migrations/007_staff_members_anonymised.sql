-- When a leaver's personal details were removed (data protection anonymises
-- leavers past the retention period through this module, which sets it): the
-- staff record's own column, so others read it from staff_members like the
-- rest. Installations that already have it (the data-protection module added
-- it first) keep it as it is, hence "if not exists".
alter table staff add column if not exists anonymised_at timestamptz;

create or replace view staff_members as
  select id, organisation_id, user_id, name, email, job_title, team, staff_number, start_date, leaving_date, is_volunteer,
         group_number, group_source, created_at, updated_at, anonymised_at
    from staff;
