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
  /** Computed for its current stamp, on or before the day asked about, and holding past it. */
  fresh: boolean;
  frameworkId: string | null;
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
 * `s` (joined on k.staff_id = s.id) with the day as $3. The caller checks the
 * framework the result was worked out with.
 */
export const KEPT_COLUMNS = `k.stamp as "keptStamp", k.framework_id as "keptFrameworkId",
  coalesce(${holds('$3')}, false) as "keptFresh",
  k.status as "keptStatus", k.next_expiry as "keptNextExpiry", k.competencies as "keptCompetencies"`;

export interface KeptColumns {
  keptStamp: number | null;
  keptFrameworkId: string | null;
  keptFresh: boolean;
  keptStatus: ComplianceStatus | null;
  keptNextExpiry: string | null;
  keptCompetencies: string | null;
}

/** A row read with KEPT_COLUMNS, with those columns gathered into `kept` (in place: this runs for every member of staff of an organisation). */
export function withKept<T extends KeptColumns>(row: T): Omit<T, keyof KeptColumns> & { kept: KeptRow } {
  const kept: KeptRow = {
    stamp: row.keptStamp,
    fresh: row.keptFresh,
    frameworkId: row.keptFrameworkId,
    status: row.keptStatus,
    nextExpiry: row.keptNextExpiry,
    competencies: row.keptCompetencies,
  };
  return Object.assign(row, { kept });
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
      evidenceIds: [],
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
export async function keepResults(pool: Pool, organisationId: string, day: string, frameworkId: string | null, results: ResultToKeep[]): Promise<void> {
  if (!results.length) return;
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
    await pool.query(
      `update kept_compliance k set computed_stamp = u.stamp, computed_on = $7::date, framework_id = $8::uuid, fresh_until = u.fresh_until,
              status = u.status, next_expiry = u.next_expiry, competencies = u.competencies,
              group_number = s.group_number, start_date = s.start_date, leaving_date = s.leaving_date, staff_created_at = s.created_at
         from ${input} join staff_members s on s.id = u.staff_id
        -- If any of the staff details copied here changed since the result was worked out, the stamp moved and nothing is written.
        where k.staff_id = u.staff_id and k.stamp = u.stamp
          -- A row locked by a change not yet committed is moving on anyway: skip it rather than wait.
          and k.staff_id in (select staff_id from kept_compliance where staff_id = any($1::uuid[]) for update skip locked)`,
      [...columns(existing), day, frameworkId],
    );
  }
  if (missing.length) {
    // A row made meanwhile by a trigger (their evidence changed) wins: on conflict, nothing is written.
    await pool.query(
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
  }
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
export async function settleOutOfPost(pool: Pool, organisationId: string, end: Date, day: string, frameworkId: string | null): Promise<void> {
  await pool.query(
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

/**
 * Everyone in post on the day ($2, ending at $1) counted by organisation,
 * group and status from the kept results alone; and the organisations where
 * someone in post has no kept result that holds (they must be worked out
 * again; in post judged from the staff row, as their kept copy may be out of
 * date). A staff row without any kept row (added while triggers were off) is
 * given one first, so it shows up as not yet worked out.
 */
export async function countKept(
  pool: Pool,
  end: Date,
  day: string,
  frameworkId: string | null,
  filled = false,
): Promise<{ counts: { organisationId: string; groupNumber: number | null; status: ComplianceStatus; n: number }[]; stale: Set<string> }> {
  const inPost = inPostSql('k', '$1', '$2');
  const [staff, counts] = await Promise.all([
    // Staff are counted on their own (an index-only scan); the kept rows are counted by the
    // aggregate below, which reads them all anyway. Counting both here cost a second full scan
    // of kept_compliance, as long as half the aggregate's own time, on the same two cores.
    pool.query<{ n: number }>('select count(*)::int as n from staff_members'),
    // Counted with filters rather than a where clause: the planner cannot estimate them and, with them
    // in the where clause, sorts 200,000 rows to group them instead of hashing (twice as slow).
    // Not holding: someone in post per the copy of their details (right while the stamp has not moved),
    // or anyone whose stamp has moved (their copy may be out of date). People not in post are settled as
    // holding when their organisation is worked out (settleOutOfPost), so they do not count here.
    pool.query<{ organisationId: string; groupNumber: number | null; status: ComplianceStatus | null; n: number; stale: number; kept: number }>(
      `select k.organisation_id as "organisationId", k.group_number as "groupNumber", k.status,
              count(*) filter (where ${holds('$2', '$3')} and ${inPost})::int as n,
              count(*) filter (where not coalesce(${holds('$2', '$3')}, false)
                                 and (k.computed_stamp is distinct from k.stamp or k.framework_id is distinct from $3::uuid or k.status is null or ${inPost}))::int as stale,
              count(*)::int as kept
         from kept_compliance k group by 1, 2, 3`,
      [end, day, frameworkId],
    ),
  ]);
  const kept = counts.rows.reduce((sum, r) => sum + r.kept, 0);
  // Someone without a kept row (their rows deleted, which is always safe, or a restore that left them out).
  if (staff.rows[0].n > kept && !filled) {
    await pool.query('insert into kept_compliance (staff_id, organisation_id) select id, organisation_id from staff_members on conflict (staff_id) do nothing');
    return countKept(pool, end, day, frameworkId, true);
  }
  const stale = new Set(counts.rows.filter((r) => r.stale > 0).map((r) => r.organisationId));
  return { counts: counts.rows.filter((r): r is typeof r & { status: ComplianceStatus } => r.n > 0 && r.status != null), stale };
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
