-- What other modules may read of the member organisations in SQL, when they
-- need them in a join (a list of staff with their organisation's name, the
-- board's figures by sector): they join this view, never the table, so this
-- module can change its table while the view keeps its columns. PostgreSQL
-- expands a view like this one into the query that uses it, so a join to it
-- is planned exactly as a join to the table. Writes go through the module
-- (modules/organisations/api.ts).
create view member_organisations as
  select id, slug, name, sector, in_area, email_domains, refresher_months, induction_days, due_soon_days, uses_rcn_intercollegiate, reminder_policy
    from organisations;
