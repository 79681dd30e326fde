-- API tokens expire, carry a scope, and remember the roles they were made
-- under: a token stops working when one of those roles is taken away.
alter table api_tokens add column scope text not null default 'full' check (scope in ('read', 'full'));
alter table api_tokens add column expires_at timestamptz;
alter table api_tokens add column roles jsonb not null default '[]';
alter table api_tokens add column revoked_reason text;
-- Tokens made before expiry existed run out 90 days from now, not at once.
update api_tokens set expires_at = greatest(created_at, now()) + interval '90 days' where expires_at is null;
alter table api_tokens alter column expires_at set not null;
create index api_tokens_user on api_tokens (user_id);
