-- Evaluation before the certificate: a course may ask learners to rate their
-- confidence in each of its competencies before and after, and a follow-up
-- question some weeks later (modules/evaluation).
alter table courses add column requires_evaluation boolean not null default false;
alter table courses add column evaluation_follow_up_weeks int not null default 6 check (evaluation_follow_up_weeks between 1 and 52);

-- In-house training an organisation runs itself, recognised by the partnership
-- against the training standards (modules/course-recognition). Null owner: a
-- partnership course.
alter table courses add column owner_organisation_id uuid references organisations(id);
alter table courses add column recognition text check (recognition in ('submitted', 'approved', 'rejected'));
alter table courses add check ((owner_organisation_id is null) = (recognition is null));
create index courses_owner on courses (owner_organisation_id) where owner_organisation_id is not null;
