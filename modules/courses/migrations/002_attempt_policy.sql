-- What a learner may do after finishing an e-learning course: look back over it, or also start again.
alter table courses add column finished_attempt text not null default 'review-or-retake'
  check (finished_attempt in ('review-only', 'review-or-retake'));
