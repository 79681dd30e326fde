-- Certificates for a completed course or a whole LDF group. What the paper
-- says (name, organisation, achievement, competencies, partnership) is kept
-- as issued, so a later rename or move of employer does not change a
-- certificate someone already holds; a reissue does.
create table certificates (
  id uuid primary key default gen_random_uuid(),
  -- 11 Crockford base32 characters without dashes (10 random + check)
  code text not null unique check (code ~ '^[0-9A-HJKMNP-TV-Z]{11}$'),
  kind text not null check (kind in ('course', 'framework')),
  staff_id uuid not null references staff(id) on delete cascade,
  organisation_id uuid not null references organisations(id),
  course_id uuid references courses(id) on delete set null,
  group_number int,
  -- what makes two certificates the same achievement: the course and the day
  -- it was completed, or the group and the day it was first fully evidenced
  achievement_key text not null,
  achievement text not null,
  competencies jsonb not null default '[]',
  person_name text not null,
  organisation_name text not null,
  partnership_name text not null,
  issued_on date not null,
  expires_on date,
  status text not null default 'valid' check (status in ('valid', 'revoked')),
  revoked_reason text,
  revoked_by uuid references users(id) on delete set null,
  revoked_at timestamptz,
  -- a reissue is a new certificate naming the one it replaces; the old code
  -- then resolves to the newest certificate in the chain
  replaces_id uuid references certificates(id),
  replaced_by uuid references certificates(id),
  reissue_reason text,
  issued_by uuid references users(id) on delete set null,
  created_at timestamptz not null default now(),
  check (status <> 'revoked' or revoked_reason is not null),
  check (replaces_id is null or reissue_reason is not null)
);
-- Two completions arriving at once (a retried SCORM commit and a register
-- marked at the same moment) make one certificate: the second insert waits
-- for the first and then does nothing.
create unique index certificates_one_per_achievement on certificates (staff_id, kind, achievement_key) where replaces_id is null;
-- A certificate is reissued at most once: reissues form a chain, not a tree.
create unique index certificates_replaced_once on certificates (replaces_id) where replaces_id is not null;
create index certificates_staff on certificates (staff_id, issued_on desc);
create index certificates_org on certificates (organisation_id, issued_on desc);
