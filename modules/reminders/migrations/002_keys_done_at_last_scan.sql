-- The dedupe keys of every reminder due at an organisation's last scan that
-- was queued by then (the scan's own and earlier ones). The next day's scan
-- finds most of the same reminders due (a step lasts weeks, an escalation
-- until the person catches up) and need not look each one up among every
-- reminder ever queued: only keys not listed here are looked up. A key listed
-- here was queued, so trusting it can only hold a message back that was sent
-- already. One key per line (a text array takes far longer to read and write
-- at a few thousand keys; a key that held a line break would only be looked
-- up again). Rewritten by each scan; nothing else reads it.
alter table reminder_scan_runs add column done_keys text;
