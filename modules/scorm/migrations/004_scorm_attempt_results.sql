-- What other modules may read of people's SCORM attempts in SQL, when they need it in a join:
-- they join this view, never the table, so this module can change its table
-- while the view keeps its columns. PostgreSQL expands a view like this into the
-- query that uses it, so a join to it is planned exactly as a join to the
-- table, indexes and all. Writes go through the module (modules/scorm/api.ts).
create view scorm_attempt_results as
  select id, user_id, staff_id, course_id, package_version_id, status, score, time_seconds, started_at, updated_at, completed_at, evidence_recorded_at
    from scorm_attempts;
