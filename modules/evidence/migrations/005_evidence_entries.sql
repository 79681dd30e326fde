-- What other modules may read of the evidence of people's training in SQL, when they need it in a join:
-- they join these views, never the tables, so this module can change its
-- tables while the views keep their columns. PostgreSQL expands a view like
-- these into the query that uses it, so a join to one is planned exactly as a
-- join to its table, indexes and all. Writes go through the module
-- (modules/evidence/api.ts).
create view evidence_entries as
  select id, staff_id, competency_id, achieved_on, source, source_ref, course_id, evidence_example, note, recorded_by, verified_by, verified_at,
         replaces_id, withdrawn, change_reason, recorded_at, sign_off_kind, replaced_at
    from evidence;
