-- Each kept result also records the group, start and leaving dates and
-- creation time of the person it was worked out for (copied from staff when
-- it is written; any change to them moves the stamp on, so a result that is
-- still current has them right). The board's partnership-wide counts can
-- then be one pass over kept_compliance alone, without joining 200,000 staff
-- rows (service.countsForOrganisations). Results kept before this migration
-- lack them, so every result is worked out again once.
alter table kept_compliance add column group_number int, add column start_date date, add column leaving_date date, add column staff_created_at timestamptz;
update kept_compliance set stamp = nextval('compliance_stamp');
