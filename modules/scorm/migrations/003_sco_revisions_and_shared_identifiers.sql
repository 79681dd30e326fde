-- Commits are ordered by the server: each SCO's state carries a revision the
-- server counts up, and the player page that wrote it last. A page whose
-- commit is based on an older revision another page has since written is
-- told it is behind, instead of either page's progress being dropped.
alter table scorm_sco_states add column revision bigint not null default 0;
alter table scorm_sco_states add column last_session text;
-- The highest sequence stored from each page (keyed by its session id), so a
-- page's own late arrival never overwrites what that page sent after it.
alter table scorm_sco_states add column session_sequences jsonb not null default '{}';

-- Two different courses may come from packages that share a manifest
-- identifier (authoring tools reuse them): a package is an identifier within
-- the course it was confirmed for, and versions are counted per package.
alter table scorm_packages drop constraint scorm_packages_identifier_key;
create index scorm_packages_identifier on scorm_packages (identifier);
