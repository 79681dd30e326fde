-- Evidence stays append-only: a correction or withdrawal is a new row naming
-- the one it replaces. Two things are kept up to date alongside, by the
-- trigger below, in the same transaction as the insert, so compliance never
-- needs an anti-join over the whole table (issue 6 point 8, issue 10):
--
-- 1. evidence.replaced_at: when a later entry replaced this one (that entry's
--    recorded_at). Set once; nothing else about the original row changes.
--    "Current" is `replaced_at is null and not withdrawn`; evidence as it
--    stood at the end of a past day is `recorded_at < end and
--    (replaced_at is null or replaced_at >= end) and not withdrawn`.
-- 2. current_evidence: one row per person listing their current entries, so
--    an organisation's compliance reads one row per person. Each entry is 82
--    characters: competency id (36), achieved on (YYYY-MM-DD, 10), evidence
--    id (36). It is derived data: `select rebuild_current_evidence()`
--    rebuilds both from the evidence rows (needed after a bulk load with
--    triggers off, e.g. COPY under session_replication_role = replica).
alter table evidence add column replaced_at timestamptz;
create index evidence_current_staff on evidence (staff_id) include (competency_id, achieved_on) where replaced_at is null and not withdrawn;

create table current_evidence (
  staff_id uuid primary key references staff(id) on delete cascade,
  items text not null default ''
);

create function evidence_item(e evidence) returns text language sql stable as $$
  select e.competency_id::text || to_char(e.achieved_on, 'YYYY-MM-DD') || e.id::text
$$;

create function evidence_track_current() returns trigger language plpgsql as $$
declare
  replaced evidence;
begin
  if new.replaces_id is not null then
    update evidence set replaced_at = new.recorded_at where id = new.replaces_id and replaced_at is null returning * into replaced;
    if found then
      update current_evidence set items = replace(items, evidence_item(replaced), '') where staff_id = replaced.staff_id;
    end if;
  end if;
  -- Checked afresh, not from new.replaced_at: rows of one COPY may arrive after the entries replacing them.
  if not new.withdrawn and not exists (select 1 from evidence r where r.replaces_id = new.id) then
    insert into current_evidence (staff_id, items) values (new.staff_id, evidence_item(new))
      on conflict (staff_id) do update set items = current_evidence.items || excluded.items;
  end if;
  return new;
end;
$$;

create trigger evidence_tracked after insert on evidence for each row execute function evidence_track_current();

create function rebuild_current_evidence() returns void language plpgsql as $$
begin
  update evidence e set replaced_at = r.recorded_at from evidence r where r.replaces_id = e.id and e.replaced_at is distinct from r.recorded_at;
  delete from current_evidence;
  insert into current_evidence (staff_id, items)
  select staff_id, string_agg(evidence_item(evidence), '' order by id) from evidence where replaced_at is null and not withdrawn group by staff_id;
end;
$$;

select rebuild_current_evidence();
