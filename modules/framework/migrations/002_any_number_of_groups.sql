-- A partnership's framework may have up to 12 staff groups (Wales's national
-- framework has six), and keeps the introduction its document gives.
alter table staff_groups drop constraint staff_groups_number_check;
alter table staff_groups add constraint staff_groups_number_check check (number between 1 and 12);
alter table frameworks add column introduction text not null default '';
