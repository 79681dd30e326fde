-- Documents from external training, uploaded by the person or their lead.
-- The file is kept in the database (bytea) so backups hold everything; the
-- evidence rows are written when a lead verifies the document.
create table evidence_documents (
  id uuid primary key default gen_random_uuid(),
  staff_id uuid not null references staff(id) on delete cascade,
  title text not null check (length(title) between 1 and 300),
  filename text not null,
  content_type text not null check (content_type in ('application/pdf', 'image/jpeg', 'image/png', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document')),
  size_bytes int not null check (size_bytes between 1 and 10485760),
  content bytea not null,
  achieved_on date,
  uploaded_by uuid references users(id) on delete set null,
  uploaded_at timestamptz not null default now(),
  verified_by uuid references users(id) on delete set null,
  verified_at timestamptz,
  rejected_reason text
);
create index evidence_documents_staff on evidence_documents (staff_id, uploaded_at desc);

-- How a lead or trainer signed a competency off (Appendix C's evidence examples
-- include observed practice, supervision and reflective discussion).
alter table evidence add column sign_off_kind text check (sign_off_kind in ('observed-practice', 'supervision', 'discussion'));
