/**
 * Compliance results kept in the database between requests (migrations 001
 * and 002 of this module say when a kept result stops counting). This file
 * is the only place that reads or writes them; service.ts decides when.
 */
import type { Pool } from 'pg';
import type { CompetencyResult, CompetencyStatus, ComplianceResult, ComplianceStatus, Requirement } from './engine';

/** A person's kept result as read, with the stamp it must still have when a new one is written back. */
export interface KeptRow {
  /** Null when the person has no row yet (added while triggers were off, e.g. a bulk load). */
  stamp: number | null;
  /** Computed for its current stamp with the framework asked about, on or before the day asked about, and holding past it. */
  fresh: boolean;
  status: ComplianceStatus | null;
  nextExpiry: string | null;
  competencies: string | null;
}

/**
 * In post on a day, as SQL: started by then (or, with no start date, on the
 * system before the day ended) and not yet left. `t` is a staff row, or a
 * kept result by the staff details it was worked out with; `day` and `end`
 * are statement parameters for the day and the instant it ends.
 */
export function inPostSql(t: 's' | 'k', end: string, day: string): string {
  const created = t === 'k' ? 'staff_created_at' : 'created_at';
  return `((${t}.leaving_date is null or ${t}.leaving_date > ${day}::date) and (${t}.start_date <= ${day}::date or (${t}.start_date is null and ${t}.${created} < ${end})))`;
}

/**
 * Whether the kept result `k` is current (computed for its stamp) and holds
 * on the day given as a statement parameter ('$2'), worked out with the
 * framework given as a parameter when one is.
 */
function holds(day: string, framework?: string): string {
  return `(k.computed_stamp = k.stamp and k.status is not null and k.computed_on <= ${day}::date
    and (k.fresh_until is null or k.fresh_until > ${day}::date)${framework ? ` and k.framework_id = ${framework}::uuid` : ''})`;
}

/**
 * The kept columns of `kept_compliance k`, for a statement that reads staff
 * `s` (joined on k.staff_id = s.id) with the day as $3 and the framework as
 * $4, in the order keptAt reads them.
 */
export const KEPT_COLUMNS = `k.stamp, ${keptHolds('$3', '$4')}, k.status, k.next_expiry, k.competencies`;

/** Whether a kept result `k` (perhaps missing, from an outer join) holds on the day, worked out with the framework: never null. */
export function keptHolds(day: string, framework: string): string {
  return `coalesce(${holds(day)} and k.framework_id is not distinct from ${framework}::uuid, false)`;
}

/** The kept result in a row read in array mode with KEPT_COLUMNS from column `at` on. */
export function keptAt(row: unknown[], at: number): KeptRow {
  return {
    stamp: row[at] as number | null,
    fresh: row[at + 1] as boolean,
    status: row[at + 2] as ComplianceStatus | null,
    nextExpiry: row[at + 3] as string | null,
    competencies: row[at + 4] as string | null,
  };
}

/** One result to keep: who, the stamp read before their evidence was, and what the engine said until when. */
export interface ResultToKeep {
  staffId: string;
  stamp: number | null;
  result: ComplianceResult;
  freshUntil: string | null;
}

const LETTER: Record<CompetencyStatus, string> = { met: 'm', 'due-soon': 'd', expired: 'e', missing: 'x' };
const STATUS_OF: Record<string, CompetencyStatus> = { m: 'met', d: 'due-soon', e: 'expired', x: 'missing' };
const NO_DAY = ' '.repeat(10);

/** Per requirement, in the order of the person's group's requirements: a status letter and the expiry day. */
export function packCompetencies(competencies: CompetencyResult[]): string {
  let out = '';
  for (const c of competencies) out += LETTER[c.status] + (c.expires ?? NO_DAY);
  return out;
}

/**
 * The evidence ids of every organisation-wide result: none, shared rather
 * than an empty list per competency of every person (a large organisation
 * has hundreds of thousands), and frozen, so a caller that added to it
 * would fail loudly.
 */
export const NO_EVIDENCE_IDS: string[] = Object.freeze([]) as unknown as string[];

/**
 * The per-competency results back from packCompetencies, against the same
 * requirements (the group and framework are part of what keeps a row
 * fresh). Evidence ids are not kept: organisation-wide results carry none.
 * Null when the packed text does not fit the requirements.
 */
export function unpackCompetencies(packed: string, requirements: Requirement[]): CompetencyResult[] | null {
  if (packed.length !== requirements.length * 11) return null;
  const out: CompetencyResult[] = new Array(requirements.length);
  for (let i = 0; i < requirements.length; i++) {
    const r = requirements[i];
    const status = STATUS_OF[packed[i * 11]];
    if (!status) return null;
    const day = packed.slice(i * 11 + 1, i * 11 + 11);
    out[i] = {
      lineage: r.lineage,
      competencyId: r.competencyId,
      number: r.number,
      groupNumber: r.groupNumber,
      text: r.text,
      met: status === 'met' || status === 'due-soon',
      evidenceIds: NO_EVIDENCE_IDS,
      expires: day === NO_DAY ? null : day,
      status,
    };
  }
  return out;
}

/**
 * Writes results back for the day. A row whose stamp has moved since it was
 * read (its evidence, group or settings changed meanwhile) is left alone, so
 * it is worked out again next time; a person with no row gets one.
 */
export async function keepResults(pool: Pool, organisationId: string, day: string, frameworkId: string | null, results: ResultToKeep[]): Promise<string[]> {
  const written: string[] = [];
  if (!results.length) return written;
  const existing = results.filter((r) => r.stamp != null);
  const missing = results.filter((r) => r.stamp == null);
  const columns = (list: ResultToKeep[]) => [
    list.map((r) => r.staffId),
    list.map((r) => r.stamp),
    list.map((r) => r.result.status),
    list.map((r) => r.result.nextExpiry),
    list.map((r) => packCompetencies(r.result.competencies)),
    list.map((r) => r.freshUntil),
  ];
  const input = `unnest($1::uuid[], $2::bigint[], $3::text[], $4::date[], $5::text[], $6::date[]) as u(staff_id, stamp, status, next_expiry, competencies, fresh_until)`;
  if (existing.length) {
    const xid = await writtenBy(
      pool,
      // A row locked by a change not yet committed is moving on anyway: skip it rather than wait. Locked once,
      // as its own step: as a subquery of the join, a planner that expected one row re-ran it for every row
      // (at 24,000 people, minutes rather than milliseconds).
      `with locked as materialized (select staff_id from kept_compliance where staff_id = any($1::uuid[]) for update skip locked)
       update kept_compliance k set computed_stamp = u.stamp, computed_on = $7::date, framework_id = $8::uuid, fresh_until = u.fresh_until,
              status = u.status, next_expiry = u.next_expiry, competencies = u.competencies,
              group_number = s.group_number, start_date = s.start_date, leaving_date = s.leaving_date, staff_created_at = s.created_at
         from ${input} join staff_members s on s.id = u.staff_id join locked on locked.staff_id = u.staff_id
        -- If any of the staff details copied here changed since the result was worked out, the stamp moved and nothing is written.
        where k.staff_id = u.staff_id and k.stamp = u.stamp`,
      [...columns(existing), day, frameworkId],
    );
    if (xid) written.push(xid);
  }
  if (missing.length) {
    // A row made meanwhile by a trigger (their evidence changed) wins: on conflict, nothing is written.
    const xid = await writtenBy(
      pool,
      `insert into kept_compliance (staff_id, organisation_id, stamp, computed_stamp, computed_on, framework_id, fresh_until, status, next_expiry, competencies,
                                    group_number, start_date, leaving_date, staff_created_at)
       select n.staff_id, $7::uuid, n.stamp, n.stamp, $8::date, $9::uuid, n.fresh_until, n.status, n.next_expiry, n.competencies,
              n.group_number, n.start_date, n.leaving_date, n.created_at
         from (select u.staff_id, nextval('compliance_stamp') as stamp, u.fresh_until, u.status, u.next_expiry, u.competencies,
                      s.group_number, s.start_date, s.leaving_date, s.created_at
                 from ${input} join staff_members s on s.id = u.staff_id) n
       on conflict (staff_id) do nothing`,
      [...columns(missing), organisationId, day, frameworkId],
    );
    if (xid) written.push(xid);
  }
  return written;
}

/**
 * Runs a statement that writes kept_compliance and answers the id of the
 * transaction that wrote (null when it wrote nothing): the marks it left are
 * the caller's own, which what the caller holds already reflects.
 */
async function writtenBy(pool: Pool, statement: string, values: unknown[]): Promise<string | null> {
  // The count is taken before the id is read, so the id is read once the write has run.
  const { rows } = await pool.query<{ xid: string | null }>(
    `with w as (${statement} returning 1) select pg_current_xact_id_if_assigned()::text as xid from (select count(*) from w) written`,
    values,
  );
  return rows[0]?.xid ?? null;
}

/** Counts kept for a past day, when worked out with this framework. */
export async function loadKeptDays(pool: Pool, organisationId: string, days: string[], frameworkId: string | null): Promise<Map<string, unknown>> {
  const { rows } = await pool.query<{ on_date: string; counts: unknown }>(
    'select on_date, counts from kept_compliance_days where organisation_id = $1 and on_date = any($2::date[]) and framework_id is not distinct from $3::uuid',
    [organisationId, days, frameworkId],
  );
  return new Map(rows.map((r) => [r.on_date, r.counts]));
}

/**
 * Keeps an organisation's counts for a past day. `readAt` is when the
 * computation started reading: if anything reaching that day was recorded
 * since (a trigger dropped the day after readAt), it is not kept.
 */
export async function keepDay(pool: Pool, organisationId: string, day: string, frameworkId: string | null, counts: unknown, readAt: Date): Promise<void> {
  await pool.query(
    `insert into kept_compliance_days (organisation_id, on_date, framework_id, counts, computed_at)
     select $1, $2, $3, $4, $5 where not exists (select 1 from kept_compliance_day_marks m where m.organisation_id = $1 and m.changed_at >= $5)
     on conflict (organisation_id, on_date) do update set framework_id = excluded.framework_id, counts = excluded.counts, computed_at = excluded.computed_at`,
    [organisationId, day, frameworkId, JSON.stringify(counts), readAt],
  );
}

/**
 * Marks the kept rows of the organisation's staff who are not in post on the
 * day (leavers, and people who have not started yet) as holding, with status
 * 'left', so the board's count can tell, from kept_compliance alone, that
 * nobody in the organisation needs working out again. Someone not started
 * yet holds until their start date; a leaver until their details change
 * (which moves the stamp on). Written only while the stamp is the one read.
 */
export async function settleOutOfPost(pool: Pool, organisationId: string, end: Date, day: string, frameworkId: string | null): Promise<string | null> {
  return writtenBy(
    pool,
    `with settle as (
       select k.staff_id, k.stamp, s.group_number, s.start_date, s.leaving_date, s.created_at
         from kept_compliance k join staff_members s on s.id = k.staff_id
        where k.organisation_id = $1 and s.organisation_id = $1
          and not (${inPostSql('s', '$2', '$3')})
          and not coalesce(${holds('$3', '$4')}, false)
        for update of k skip locked)
     update kept_compliance k set computed_stamp = settle.stamp, computed_on = $3::date, framework_id = $4::uuid, status = 'left', next_expiry = null,
            competencies = '', group_number = settle.group_number, start_date = settle.start_date, leaving_date = settle.leaving_date,
            staff_created_at = settle.created_at,
            fresh_until = case when settle.leaving_date <= $3::date then null when settle.start_date > $3::date then settle.start_date else $3::date + 1 end
       from settle where k.staff_id = settle.staff_id and k.stamp = settle.stamp`,
    [organisationId, end, day, frameworkId],
  );
}

/** How long marks a tally has seen are kept, for results held from before them (see countAgain). */
const MARKS_KEPT = '15 minutes';

/** What a server holds of an organisation's results was read at `snapshot` (keptSnapshot), and has since written these transactions itself. */
export interface HeldSince {
  snapshot: string;
  written: string[];
}

/**
 * Whether results read at the held snapshot still hold (nothing written to
 * the organisation's kept results since but the holder's own writes), and
 * a snapshot taken now, before the results are read again, to hold them
 * with. Exact where a stamp is not: a change can take its stamp before a
 * read and commit after it (migration 006).
 */
export async function keptSnapshot(pool: Pool, organisationId: string, held: HeldSince | null): Promise<{ snapshot: string; table: number; holds: boolean }> {
  // A restore empties the table and writes it again without triggers, so without marks; it gives the table new storage.
  const { rows } = await pool.query<{ snapshot: string; table: number; holds: boolean }>(
    `select pg_current_snapshot()::text as snapshot, pg_relation_filenode('kept_compliance')::int as table,
            coalesce($2::pg_snapshot is not null
              and pg_snapshot_xmax($2::pg_snapshot) <= pg_snapshot_xmax(pg_current_snapshot())
              and pg_snapshot_xmin($2::pg_snapshot) > coalesce((select t.trimmed from kept_compliance_tallies t where t.organisation_id = $1), '0')
              and not exists (select 1 from kept_compliance_marks m
                               where m.organisation_id = $1 and not pg_visible_in_snapshot(m.xid, $2::pg_snapshot) and m.xid <> all($3::xid8[])),
            false) as holds`,
    [organisationId, held?.snapshot ?? null, held?.written ?? []],
  );
  return rows[0];
}

/** People in post on a day with a kept result that holds, for one organisation, group and status. */
export interface KeptCount {
  organisationId: string;
  groupNumber: number | null;
  status: ComplianceStatus;
  n: number;
}

interface Tally {
  organisationId: string;
  counts: [number | null, ComplianceStatus, number][];
  kept: number;
  stale: number;
}

/**
 * The organisations' people in post on the day ($2, ending at $1) counted by
 * group and status from the kept results alone; and the organisations where
 * someone in post has no kept result that holds (they must be worked out
 * again; in post judged from the staff row, as their kept copy may be out of
 * date). Each organisation's counts are kept as a tally (migration 006) and
 * counted again only when its kept results have been written since. A staff
 * row without any kept row (added while triggers were off) is given one
 * first, so it shows up as not yet worked out.
 */
export async function countKept(
  pool: Pool,
  organisationIds: string[],
  end: Date,
  day: string,
  frameworkId: string | null,
): Promise<{ counts: KeptCount[]; stale: Set<string> }> {
  const held = await validTallies(pool, organisationIds, day, frameworkId);
  const tallies = [...held];
  const counted = new Set(held.map((t) => t.organisationId));
  const again = organisationIds.filter((id) => !counted.has(id));
  if (again.length) tallies.push(...(await countAgain(pool, again, end, day, frameworkId)));
  const counts: KeptCount[] = [];
  for (const t of tallies) for (const [groupNumber, status, n] of t.counts) counts.push({ organisationId: t.organisationId, groupNumber, status, n });
  return { counts, stale: new Set(tallies.filter((t) => t.stale > 0).map((t) => t.organisationId)) };
}

/**
 * The tallies of the day that still hold: counted with this framework, and
 * nothing written to the organisation's kept results that their snapshot
 * could not see. A snapshot from a higher transaction id than this
 * database has reached came with a restore from another database, where
 * the numbers meant other transactions, so it does not count.
 */
async function validTallies(pool: Pool, organisationIds: string[], day: string, frameworkId: string | null): Promise<Tally[]> {
  const { rows } = await pool.query<Tally>(
    `select t.organisation_id as "organisationId", t.counts, t.kept, t.stale
       from kept_compliance_tallies t
      where t.organisation_id = any($1::uuid[]) and t.on_date = $2::date and t.framework_id is not distinct from $3::uuid
        and pg_snapshot_xmax(t.snap) <= pg_snapshot_xmax(pg_current_snapshot())
        and not exists (select 1 from kept_compliance_marks m where m.organisation_id = t.organisation_id and not pg_visible_in_snapshot(m.xid, t.snap))`,
    [organisationIds, day, frameworkId],
  );
  return rows;
}

/**
 * Counts the organisations' kept results again, in one statement that also
 * keeps each organisation's tally with the statement's snapshot (unless a
 * tally from a newer snapshot got there first) and lets go of the marks
 * that snapshot has seen.
 */
async function countAgain(pool: Pool, organisationIds: string[], end: Date, day: string, frameworkId: string | null, filled = false): Promise<Tally[]> {
  const inPost = inPostSql('k', '$1', '$2');
  const { rows } = await pool.query<Tally & { staff: number }>(
    `with snap as materialized (select pg_current_snapshot() as s),
     -- Counted with filters rather than a where clause: the planner cannot estimate them and, with them
     -- in the where clause, sorts the rows to group them instead of hashing (twice as slow).
     -- Not holding: someone in post per the copy of their details (right while the stamp has not moved),
     -- or anyone whose stamp has moved (their copy may be out of date). People not in post are settled as
     -- holding when their organisation is worked out (settleOutOfPost), so they do not count here.
     counted as (
       select k.organisation_id, k.group_number, k.status,
              count(*) filter (where ${holds('$2', '$3')} and ${inPost})::int as n,
              count(*) filter (where not coalesce(${holds('$2', '$3')}, false)
                                 and (k.computed_stamp is distinct from k.stamp or k.framework_id is distinct from $3::uuid or k.status is null or ${inPost}))::int as stale,
              count(*)::int as kept
         from kept_compliance k where k.organisation_id = any($4::uuid[]) group by 1, 2, 3),
     tallies as (
       select o.id as organisation_id,
              coalesce(jsonb_agg(jsonb_build_array(c.group_number, c.status, c.n)) filter (where c.n > 0 and c.status is not null), '[]') as counts,
              coalesce(sum(c.kept), 0)::int as kept, coalesce(sum(c.stale), 0)::int as stale
         from unnest($4::uuid[]) o(id) left join counted c on c.organisation_id = o.id group by o.id),
     staff_counts as (select organisation_id, count(*)::int as n from staff_members where organisation_id = any($4::uuid[]) group by 1),
     -- Marks committed before the snapshot was taken are counted in it, so no tally kept from now on needs
     -- them (one from an older snapshot is refused below); they are let go of a while later, so that a
     -- result a server holds from just before its own write (a background job's) is not read again at
     -- once (keptSnapshot). A mark from a transaction id this database has not reached came with a
     -- restore from another database.
     seen as (
       select m.organisation_id, m.xid, m.xid < pg_snapshot_xmin(snap.s) as counted
         from kept_compliance_marks m, snap
        where m.organisation_id = any($4::uuid[])
          and ((m.xid < pg_snapshot_xmin(snap.s) and m.marked_at < now() - interval '${MARKS_KEPT}') or m.xid >= pg_snapshot_xmax(snap.s))),
     trimmed as (select organisation_id, max(xid) filter (where counted) as top from seen group by 1),
     kept as (
       insert into kept_compliance_tallies as t (organisation_id, on_date, framework_id, snap, counts, kept, stale, trimmed)
       -- In one order, so two boards counting at once wait for each other rather than deadlock.
       select c.organisation_id, $2::date, $3::uuid, (select s from snap), c.counts, c.kept, c.stale, coalesce(x.top, '0')
         from tallies c left join trimmed x on x.organisation_id = c.organisation_id order by c.organisation_id
       on conflict (organisation_id) do update set on_date = excluded.on_date, framework_id = excluded.framework_id, snap = excluded.snap,
              counts = excluded.counts, kept = excluded.kept, stale = excluded.stale, trimmed = greatest(t.trimmed, excluded.trimmed)
        where pg_snapshot_xmin(t.snap) <= pg_snapshot_xmin(excluded.snap)
       returning organisation_id),
     let_go as (
       delete from kept_compliance_marks m using seen, kept
        where m.organisation_id = seen.organisation_id and m.xid = seen.xid and kept.organisation_id = seen.organisation_id)
     select t.organisation_id as "organisationId", t.counts, t.kept, t.stale, coalesce(s.n, 0) as staff
       from tallies t left join staff_counts s on s.organisation_id = t.organisation_id`,
    [end, day, frameworkId, organisationIds],
  );
  // Someone without a kept row (their rows deleted, which is always safe, or a restore that left them out).
  const short = rows.filter((r) => r.staff > r.kept).map((r) => r.organisationId);
  if (short.length && !filled) {
    await pool.query(
      'insert into kept_compliance (staff_id, organisation_id) select id, organisation_id from staff_members where organisation_id = any($1::uuid[]) on conflict (staff_id) do nothing',
      [short],
    );
    return countAgain(pool, organisationIds, end, day, frameworkId, true);
  }
  return rows;
}

/**
 * After the demo's bulk loads (server/demo.ts bulkLoad, run with triggers off
 * where the database allows), what this module's triggers on staff and
 * evidence would have done, set-based: a kept result row moved on for every
 * member of staff and no kept past day left standing for any organisation.
 * Also right when the triggers did run: it only makes results be worked out
 * afresh.
 */
export async function keptResultsAfterDemoLoad(pool: Pool): Promise<void> {
  await pool.query('select kept_compliance_changed(array(select id from staff_members))');
  await pool.query('select kept_days_reached(o.organisation_id, null) from (select distinct organisation_id from staff_members) o');
}
