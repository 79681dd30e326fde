-- Every email the product sends, or would send. Without SMTP_URL (the embedded
-- default) this is the outbox administrators read in the browser.
create table outbound_messages (
  id uuid primary key default gen_random_uuid(),
  -- a caller-chosen key that makes a message unique (person, requirement, due date, step)
  dedupe_key text unique,
  to_address text not null,
  subject text not null,
  text_body text not null,
  html_body text,
  category text not null default 'general',
  -- references organisations (the organisations module adds the key)
  organisation_id uuid,
  status text not null default 'queued' check (status in ('queued', 'sent', 'held', 'failed')),
  attempts int not null default 0,
  last_error text,
  next_attempt_at timestamptz not null default now(),
  created_at timestamptz not null default now(),
  sent_at timestamptz
);
create index outbound_messages_status on outbound_messages (status, next_attempt_at);
