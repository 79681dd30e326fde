-- How long a leaver's personal details are kept after their leaving date, in
-- months. Null: the LEAVER_RETENTION_MONTHS environment variable, else 72 (6 years).
alter table partnership add column if not exists leaver_retention_months int check (leaver_retention_months between 1 and 1200);

-- When a leaver's personal details were removed; the row stays so counts do not change.
alter table staff add column if not exists anonymised_at timestamptz;
