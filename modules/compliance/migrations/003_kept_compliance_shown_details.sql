-- A whole organisation's results are also held for a moment in the server's
-- memory, checked on every request against the stamps below (service.ts).
-- The names, job titles and teams shown beside each status come with them,
-- so a change to those moves the stamp on too.
drop trigger kept_compliance_staff_changed on staff;
create trigger kept_compliance_staff_changed after update of group_number, start_date, leaving_date, organisation_id, name, job_title, team on staff
  for each row when (old.group_number is distinct from new.group_number or old.start_date is distinct from new.start_date
                     or old.leaving_date is distinct from new.leaving_date or old.organisation_id is distinct from new.organisation_id
                     or old.name is distinct from new.name or old.job_title is distinct from new.job_title or old.team is distinct from new.team)
  execute function kept_compliance_on_staff();
