-- What other modules may read of the partnership in SQL, when they need it in
-- a query of their own (its name on a certificate): they read this view,
-- never the table, so this module can change its table while the view keeps
-- its columns. Writes go through the module (modules/partnership/api.ts).
create view partnership_profile as
  select id, name, area_name, support_links, small_number_threshold, updated_at from partnership;
