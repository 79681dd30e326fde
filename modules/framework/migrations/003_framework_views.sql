-- What other modules may read of the framework (its versions, staff groups, competencies and examples of evidence) in SQL, when they need it in a join:
-- they join these views, never the tables, so this module can change its
-- tables while the views keep their columns. PostgreSQL expands a view like
-- these into the query that uses it, so a join to one is planned exactly as a
-- join to its table, indexes and all. Writes go through the module
-- (modules/framework/api.ts).
create view framework_versions as
  select id, name, version, status, based_on, source_note, created_at, created_by, published_at, published_by, introduction from frameworks;
create view framework_competencies as select id, framework_id, group_number, number, text, lineage, retired from competencies;
create view framework_staff_groups as
  select id, framework_id, number, name, level, summary, description, includes_groups, example_roles from staff_groups;
create view framework_evidence_examples as select id, framework_id, group_number, position, heading, text from evidence_examples;
