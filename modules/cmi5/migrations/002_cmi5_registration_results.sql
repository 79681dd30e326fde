-- What other modules may read of people's cmi5 registrations in SQL, when they need it in a join:
-- they join this view, never the table, so this module can change its table
-- while the view keeps its columns. PostgreSQL expands a view like this into the
-- query that uses it, so a join to it is planned exactly as a join to the
-- table, indexes and all. Writes go through the module (modules/cmi5/api.ts).
create view cmi5_registration_results as
  select id, user_id, staff_id, course_id, package_version_id, status, score, started_at, updated_at, satisfied_at, evidence_recorded_at
    from cmi5_registrations;
