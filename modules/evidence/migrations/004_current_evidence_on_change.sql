-- Evidence is not edited in place, but a data fix or the merge of two staff
-- records might still change or delete a row. When that happens, the
-- current_evidence rows of the people concerned are recomputed from their
-- evidence in the same statement, so compliance never reads a stale list.
create function refresh_current_evidence(ids uuid[]) returns void language plpgsql as $$
begin
  delete from current_evidence where staff_id = any(ids);
  insert into current_evidence (staff_id, items)
  select e.staff_id, string_agg(evidence_item(e), '' order by e.id)
    from evidence e join staff s on s.id = e.staff_id
   where e.staff_id = any(ids) and e.replaced_at is null and not e.withdrawn
   group by e.staff_id;
end;
$$;

create function evidence_retrack_current() returns trigger language plpgsql as $$
begin
  if tg_op = 'DELETE' then
    perform refresh_current_evidence(array[old.staff_id]);
    return old;
  end if;
  perform refresh_current_evidence(array[old.staff_id, new.staff_id]);
  return new;
end;
$$;

create trigger evidence_retracked after update of staff_id, competency_id, achieved_on, withdrawn, replaces_id on evidence
  for each row execute function evidence_retrack_current();
create trigger evidence_retracked_on_delete after delete on evidence
  for each row execute function evidence_retrack_current();
