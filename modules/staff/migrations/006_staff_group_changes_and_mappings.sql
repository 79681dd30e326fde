-- What other modules may read of staff groups over time and the job title mappings in SQL, when they need it in a join:
-- they join these views, never the tables, so this module can change its tables
-- while the views keep their columns. PostgreSQL expands a view like this into the
-- query that uses it, so a join to it is planned exactly as a join to the
-- table, indexes and all. Writes go through the module (modules/staff/api.ts).
create view staff_group_changes as
  select id, staff_id, group_number, previous_group_number, source, reason, changed_by, changed_at from staff_group_history;
create view job_title_mappings as
  select id, organisation_id, job_title_key, job_title, group_number, created_by, created_at from job_role_mappings;
