-- Every change of a person's staff group also goes to the audit log, whichever
-- way it was made (lead override, mapping, CSV import, single sign-on), in the
-- same transaction as the change.
create function audit_staff_group_change() returns trigger language plpgsql as $$
begin
  insert into audit_log (actor_user_id, action, organisation_id, subject_type, subject_id, detail)
  select new.changed_by, 'staff.group-changed', s.organisation_id, 'staff', new.staff_id::text,
         jsonb_build_object('from', new.previous_group_number, 'to', new.group_number, 'source', new.source, 'reason', new.reason)
    from staff s where s.id = new.staff_id;
  return new;
end;
$$;

create trigger staff_group_history_audited after insert on staff_group_history
  for each row execute function audit_staff_group_change();
