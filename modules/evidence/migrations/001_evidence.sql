-- Competency evidence. Never edited or deleted in place: a correction or a
-- withdrawal is a new row naming the one it replaces, so history is kept.
create table evidence (
  id uuid primary key default gen_random_uuid(),
  staff_id uuid not null references staff(id) on delete cascade,
  competency_id uuid not null references competencies(id),
  achieved_on date not null,
  source text not null check (source in ('elearning', 'face-to-face', 'sign-off', 'external-document', 'prior-learning')),
  -- what produced it: a SCORM attempt id, a session id, a document id ...
  source_ref text,
  course_id uuid references courses(id) on delete set null,
  evidence_example text,
  note text,
  recorded_by uuid references users(id) on delete set null,
  verified_by uuid references users(id) on delete set null,
  verified_at timestamptz,
  replaces_id uuid references evidence(id),
  withdrawn boolean not null default false,
  change_reason text,
  recorded_at timestamptz not null default now(),
  check (replaces_id is null or change_reason is not null)
);
create index evidence_staff on evidence (staff_id, achieved_on desc);
create index evidence_competency on evidence (competency_id);
-- An entry is replaced at most once: corrections form a chain, not a tree.
create unique index evidence_replaced_once on evidence (replaces_id) where replaces_id is not null;
-- The same completion recorded twice (a retried commit, a re-marked register) is one entry.
create unique index evidence_source_once on evidence (staff_id, competency_id, source, source_ref)
  where source_ref is not null and replaces_id is null;
