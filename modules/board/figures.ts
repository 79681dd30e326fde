import type { Pool } from 'pg';
import { countsForOrganisations, loadPublishedFramework } from '../compliance/api';

/**
 * The board's figures for one day, before any suppression: counts only,
 * never a name or an id of a person. These are what a snapshot keeps, so a
 * past quarter reads the same however staff records change later.
 */

export const MEASURES = ['onSystem', 'compliant', 'dueSoon', 'overdue', 'inInduction', 'notStarted'] as const;
export type Measure = (typeof MEASURES)[number];
export const STATUS_MEASURES = MEASURES.slice(1) as Exclude<Measure, 'onSystem'>[];

const MEASURE_OF_STATUS: Record<string, Exclude<Measure, 'onSystem'> | undefined> = {
  compliant: 'compliant',
  'due-soon': 'dueSoon',
  overdue: 'overdue',
  'in-induction': 'inInduction',
  'not-started': 'notStarted',
};

export type GroupCounts = Record<Measure, number>;

export interface OrganisationFigures {
  slug: string;
  name: string;
  sector: string;
  inArea: boolean;
  /** Group number -> counts of people in that group (people whose group is not decided are not in any). */
  groups: Record<string, GroupCounts>;
  /** Group number -> headcount the organisation declared (staff plus volunteers); absent when not declared. */
  declared: Record<string, number>;
  /** People whose staff group is not yet decided (not counted in any group). */
  unmapped: number;
}

export interface RawFigures {
  asOf: string;
  periodStart: string;
  periodEnd: string;
  computedAt: string;
  groups: number[];
  organisations: OrganisationFigures[];
  elearning: { completions: number; byCourse: { title: string; completions: number }[] };
  faceToFace: { sessionsRun: number; placesFilled: number; agenciesRepresented: number };
}

export function emptyCounts(): GroupCounts {
  return { onSystem: 0, compliant: 0, dueSoon: 0, overdue: 0, inInduction: 0, notStarted: 0 };
}

/** Declared headcount per organisation id and group. */
export async function loadDeclared(pool: Pool): Promise<Map<string, Record<string, number>>> {
  const { rows } = await pool.query<{ organisation_id: string; group_number: number; total: number }>(
    'select organisation_id, group_number, staff + volunteers as total from board_declared_headcount',
  );
  const out = new Map<string, Record<string, number>>();
  for (const r of rows) {
    const entry = out.get(r.organisation_id) ?? {};
    entry[String(r.group_number)] = Number(r.total);
    out.set(r.organisation_id, entry);
  }
  return out;
}

/**
 * Works out the figures for `asOf` (a London day) and the period
 * `periodStart`..`asOf` (e-learning completions and face-to-face sessions).
 * Counts of people by status come from the compliance module (countsForOrganisations: kept results, one aggregate).
 */
export async function computeFigures(pool: Pool, asOf: string, periodStart: string, now = new Date()): Promise<RawFigures> {
  const [framework, orgs, declared] = await Promise.all([
    loadPublishedFramework(pool),
    pool.query<{ id: string; slug: string; name: string; sector: string; in_area: boolean }>(
      'select id, slug, name, sector, in_area from member_organisations order by name',
    ),
    loadDeclared(pool),
  ]);
  const groups = [...new Set(framework.groups.map((g) => g.number))].sort((a, b) => a - b);
  const countsOf = await countsForOrganisations(pool, asOf);
  const organisations: OrganisationFigures[] = orgs.rows.map((org) => {
    const byGroup: Record<string, GroupCounts> = Object.fromEntries(groups.map((g) => [String(g), emptyCounts()]));
    let unmapped = 0;
    for (const [group, byStatus] of Object.entries(countsOf.get(org.id)?.byGroup ?? {})) {
      for (const [status, n] of Object.entries(byStatus)) {
        if (!n) continue;
        if (status === 'unmapped' || group === 'unmapped') {
          unmapped += n;
          continue;
        }
        const measure = MEASURE_OF_STATUS[status];
        if (!measure) continue; // left, or outside the framework (RCN intercollegiate)
        byGroup[group] ??= emptyCounts();
        byGroup[group].onSystem += n;
        byGroup[group][measure] += n;
      }
    }
    return { slug: org.slug, name: org.name, sector: org.sector, inArea: org.in_area, groups: byGroup, declared: declared.get(org.id) ?? {}, unmapped };
  });
  const [elearning, faceToFace] = await Promise.all([elearningIn(pool, periodStart, asOf), faceToFaceIn(pool, periodStart, asOf)]);
  return { asOf, periodStart, periodEnd: asOf, computedAt: now.toISOString(), groups, organisations, elearning, faceToFace };
}

/** E-learning modules completed (completed or passed) within the period, London days inclusive. */
async function elearningIn(pool: Pool, from: string, to: string): Promise<RawFigures['elearning']> {
  const { rows } = await pool.query<{ title: string; n: number }>(
    `select c.title, count(*)::int as n
       from scorm_attempt_results a join course_catalogue c on c.id = a.course_id
      where a.status in ('completed', 'passed') and a.completed_at is not null
        and (a.completed_at at time zone 'Europe/London')::date between $1::date and $2::date
      group by c.title order by c.title`,
    [from, to],
  );
  return { completions: rows.reduce((n, r) => n + r.n, 0), byCourse: rows.map((r) => ({ title: r.title, completions: r.n })) };
}

/**
 * Face-to-face sessions run (not cancelled, started within the period), the
 * places filled on them (booked, and not marked absent) and how many
 * organisations those people came from.
 */
async function faceToFaceIn(pool: Pool, from: string, to: string): Promise<RawFigures['faceToFace']> {
  const { rows } = await pool.query<{ sessions: number; places: number; agencies: number }>(
    `with run as (
       select id from training_session_list
        where cancelled_at is null and (starts_at at time zone 'Europe/London')::date between $1::date and $2::date
     )
     select (select count(*)::int from run) as sessions,
            count(b.id)::int as places,
            count(distinct s.organisation_id)::int as agencies
       from training_session_bookings b join run on run.id = b.session_id join staff_members s on s.id = b.staff_id
      where b.status = 'booked' and b.attended is not false`,
    [from, to],
  );
  return { sessionsRun: rows[0]?.sessions ?? 0, placesFilled: rows[0]?.places ?? 0, agenciesRepresented: rows[0]?.agencies ?? 0 };
}
