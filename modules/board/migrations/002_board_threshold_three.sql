-- Disclosure control (issue 20): at a threshold of 2 the withheld label could only mean 1,
-- so the smallest threshold is now 3. A partnership that chose 2 gets the nearest allowed.
update board_settings set suppression_threshold = 3 where suppression_threshold = 2;
alter table board_settings drop constraint if exists board_settings_suppression_threshold_check;
alter table board_settings add constraint board_settings_suppression_threshold_check check (suppression_threshold between 3 and 50);
