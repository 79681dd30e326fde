-- Declared headcounts follow the framework's groups, which may number up to 12.
alter table board_declared_headcount drop constraint board_declared_headcount_group_number_check;
alter table board_declared_headcount add constraint board_declared_headcount_group_number_check check (group_number between 1 and 12);
