-- Who holds a role for an organisation (its leads, for the reminder scan's
-- escalations and digests and the organisation's page): looked up by role and
-- organisation. The only index had the user first, so each lookup read every
-- grant, once per organisation per daily scan.
create index user_roles_by_role on user_roles (role, organisation_id);
