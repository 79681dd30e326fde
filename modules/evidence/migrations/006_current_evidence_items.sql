-- What other modules may read of each person's current evidence in SQL, when they need it in a join:
-- they join this view, never the table, so this module can change its table
-- while the view keeps its columns. PostgreSQL expands a view like this into the
-- query that uses it, so a join to it is planned exactly as a join to the
-- table, indexes and all. Writes go through the module (modules/evidence/api.ts).
create view current_evidence_items as select staff_id, items from current_evidence;
