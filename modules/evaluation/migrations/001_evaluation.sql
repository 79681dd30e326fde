-- Evaluation before the certificate. A learner rates their confidence (1-5)
-- in each competency a course meets before starting it and again after
-- completing it; some weeks later they are asked how it changed their
-- practice. Ratings are kept per person for the learner; the board sees only
-- averages over enough people that no one can be picked out.
create table course_evaluations (
  id uuid primary key default gen_random_uuid(),
  staff_id uuid not null references staff(id) on delete cascade,
  course_id uuid not null references courses(id) on delete cascade,
  stage text not null check (stage in ('before', 'after')),
  -- for an 'after' rating: the completion (the day it was achieved) it follows
  completed_on date,
  rated_at timestamptz not null default now(),
  follow_up_due_on date,
  follow_up_sent_at timestamptz,
  follow_up_answer text check (length(follow_up_answer) <= 5000),
  follow_up_answered_at timestamptz,
  check ((stage = 'after') = (completed_on is not null))
);
-- One rating before a course per person; one after each completion.
create unique index course_evaluations_before_once on course_evaluations (staff_id, course_id) where stage = 'before';
create unique index course_evaluations_after_once on course_evaluations (staff_id, course_id, completed_on) where stage = 'after';
create index course_evaluations_follow_up on course_evaluations (follow_up_due_on) where follow_up_sent_at is null and follow_up_due_on is not null;

create table evaluation_ratings (
  evaluation_id uuid not null references course_evaluations(id) on delete cascade,
  competency_lineage text not null,
  confidence int not null check (confidence between 1 and 5),
  primary key (evaluation_id, competency_lineage)
);
