-- Staff groups follow the framework, which may have up to 12.
alter table staff drop constraint staff_group_number_check;
alter table staff add constraint staff_group_number_check check (group_number between 1 and 12);
alter table job_role_mappings drop constraint job_role_mappings_group_number_check;
alter table job_role_mappings add constraint job_role_mappings_group_number_check check (group_number between 1 and 12);
