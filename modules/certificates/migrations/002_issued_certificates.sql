-- What other modules may read of the certificates issued in SQL, when they need it in a join:
-- they join this view, never the table, so this module can change its table
-- while the view keeps its columns. PostgreSQL expands a view like this into the
-- query that uses it, so a join to it is planned exactly as a join to the
-- table, indexes and all. Writes go through the module (modules/certificates/api.ts).
create view issued_certificates as
  select id, code, kind, staff_id, organisation_id, course_id, group_number, achievement_key, achievement, competencies, person_name,
         organisation_name, partnership_name, issued_on, expires_on, status, revoked_reason, revoked_by, revoked_at, replaces_id, replaced_by,
         reissue_reason, issued_by, created_at
    from certificates;
