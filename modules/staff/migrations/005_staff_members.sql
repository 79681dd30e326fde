-- What other modules may read of the staff records in SQL, when they need
-- them in a join (compliance by organisation, the board's counts, a
-- session's register): they join this view, never the table, so this module
-- can change its table while the view keeps its columns. PostgreSQL expands a
-- view like this one into the query that uses it, so a join to it is planned
-- exactly as a join to the table, indexes and all. Writes go through the
-- module (modules/staff/api.ts).
create view staff_members as
  select id, organisation_id, user_id, name, email, job_title, team, staff_number, start_date, leaving_date, is_volunteer,
         group_number, group_source, created_at, updated_at
    from staff;
