-- Where the quick-exit control (button, Escape twice, Shift three times) takes
-- a learner: a busy, ordinary site that says nothing about abuse. Each
-- partnership chooses its own (a local news or weather page, say).
alter table partnership add column exit_url text not null default 'https://www.bbc.co.uk/weather'
  check (exit_url ~ '^https://[^\s]+$');
