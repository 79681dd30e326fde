-- The partnership's own logo (PNG), printed on certificates.
alter table partnership add column logo_png bytea;
