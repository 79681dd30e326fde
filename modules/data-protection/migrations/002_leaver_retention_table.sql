-- How long a leaver's personal details are kept after their leaving date, in
-- months, moves from a column this module had added to the partnership's row
-- into a table of its own, so the partnership module alone changes its table.
-- One row, always there; months null: the LEAVER_RETENTION_MONTHS setting, else 72 (6 years).
create table leaver_retention (
  id int primary key default 1 check (id = 1),
  months int check (months between 1 and 1200)
);
-- An installation's current choice comes with it (none yet on a new one).
insert into leaver_retention (id, months) values (1, (select leaver_retention_months from partnership where id = 1));
alter table partnership drop column leaver_retention_months;
