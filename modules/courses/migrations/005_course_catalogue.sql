-- What other modules may read of the course catalogue in SQL, when they need it in a join:
-- they join these views, never the tables, so this module can change its
-- tables while the views keep their columns. PostgreSQL expands a view like
-- these into the query that uses it, so a join to one is planned exactly as a
-- join to its table, indexes and all. Writes go through the module
-- (modules/courses/api.ts).
create view course_catalogue as
  select id, slug, title, description, audience, delivery, group_numbers, pass_mark, validity_months, content_warning, status, created_at, updated_at,
         finished_attempt, requires_evaluation, evaluation_follow_up_weeks, owner_organisation_id, recognition
    from courses;
create view course_catalogue_competencies as select course_id, competency_lineage from course_competencies;
create view course_catalogue_prerequisites as select course_id, prerequisite_course_id from course_prerequisites;
