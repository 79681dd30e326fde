import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { addUser, TestAgent, type TestServer } from '../support/server';
import type { Who } from './access-expectations';

/** The demo partnership as the security and accessibility sweeps use it: one signed-in agent per role, and real ids. */

export const DEMO_PASSWORD = 'demo-learning-2026';
export const COURSE = 'domestic-abuse-awareness';
export const WHO: Who[] = ['anonymous', 'learner', 'trainer', 'org-lead', 'partnership-admin', 'board-member'];
export const DEMO_EMAILS: Record<Exclude<Who, 'anonymous'>, string> = {
  learner: 'learner@valecounty.example',
  trainer: 'trainer@vale-partnership.example',
  'org-lead': 'lead@valecounty.example',
  'partnership-admin': 'admin@vale-partnership.example',
  'board-member': 'board@vale-partnership.example',
};

/** One organisation's ids: "own" is the demo learner at Vale County Council, "other" a Vale Constabulary officer. */
export interface Ids {
  slug: string;
  staffId: string;
  userId: string;
  evidenceId: string;
  certificateId: string;
  bookingId: string;
  attemptId: string;
}
/** Ids that are the whole partnership's rather than one organisation's. */
export interface Shared {
  sessionId: string;
  versionId: string;
  launchPath: string;
  /** The first SCO of that package, for a well-formed commit. */
  scoId: string;
}
export interface DemoFixture {
  agents: Record<Who, TestAgent>;
  own: Ids;
  other: Ids;
  shared: Shared;
}

/** A route's path with its parameters filled from `ids`. */
export function fill(route: string, ids: Ids, shared: Shared): string {
  const path = route.split(' ')[1];
  const under = (...prefixes: string[]) => prefixes.some((p) => path.startsWith(p));
  const id = under('/staff', '/api/v1/staff', '/admin/people')
    ? ids.staffId
    : under('/certificates', '/my-certificates')
      ? ids.certificateId
      : under('/admin/users')
        ? ids.userId
        : under('/training-sessions')
          ? shared.sessionId
          : under('/scorm/attempts')
            ? ids.attemptId
            : randomUUID();
  return path
    .replace(':slug', under('/courses') ? COURSE : ids.slug)
    .replace(':evidenceId', ids.evidenceId)
    .replace(':bookingId', ids.bookingId)
    .replace(':versionId', shared.versionId)
    .replace('*path', shared.launchPath)
    .replace(/:(documentId|batchId|token|code)\b/, () => randomUUID())
    .replace(/:id\b/, id)
    .replace(':file', 'report.pdf')
    .replace(':number', '1')
    .replace(':version', '1')
    .replace(':action', 'retire');
}

/** Signs in every role, and makes the records the ids point at (an attempt and a booking each for two people). */
export async function demoFixture(server: TestServer): Promise<DemoFixture> {
  const pool = server.product.database.pool;
  const one = async (sql: string, params: unknown[] = []) => (await pool.query<{ id: string }>(sql, params)).rows[0]?.id;
  const agents = {} as Record<Who, TestAgent>;
  await Promise.all(
    WHO.map(async (who) => {
      agents[who] = new TestAgent(server.url);
      if (who === 'anonymous') await agents[who].get('/sign-in');
      else await agents[who].signIn(DEMO_EMAILS[who], DEMO_PASSWORD);
    }),
  );
  // A Vale Constabulary officer who signs in too, so their attempt and booking are real.
  const officerStaffId = (await one(
    `select s.id from staff s join organisations o on o.id = s.organisation_id
      where o.slug = 'vale-police' and s.leaving_date is null and exists (select 1 from evidence e where e.staff_id = s.id)
        and exists (select 1 from certificates c where c.staff_id = s.id) order by s.name limit 1`,
  ))!;
  const officer = await addUser(server, 'learner', { email: 'officer@valepolice.example' });
  await pool.query('update staff set user_id = $1 where id = $2', [officer.id, officerStaffId]);
  const officerAgent = new TestAgent(server.url);
  await officerAgent.signIn(officer.email);

  const versionId = (await one('select id from scorm_package_versions order by imported_at limit 1'))!;
  const { rows: manifest } = await pool.query<{ manifest: { scos?: { launch?: string; identifier?: string }[] } }>(
    'select manifest from scorm_package_versions where id = $1',
    [versionId],
  );
  const shared: Shared = {
    sessionId: (await one(`select id from training_sessions where starts_at > now() order by starts_at limit 1`))!,
    versionId,
    launchPath: String(manifest[0].manifest.scos?.[0]?.launch ?? 'index.html').split(/[?#]/)[0],
    scoId: String(manifest[0].manifest.scos?.[0]?.identifier ?? ''),
  };

  const idsOf = async (agent: TestAgent, staffId: string, slug: string): Promise<Ids> => {
    await agent.get(`/courses/${COURSE}`);
    await agent.postForm(`/courses/${COURSE}/attempts`, {});
    // Booked directly: whether the booking rules let this person book is not what the sweeps are about.
    await pool.query(`insert into session_bookings (session_id, staff_id, status) values ($1, $2, 'booked')`, [shared.sessionId, staffId]);
    return {
      slug,
      staffId,
      userId: (await one('select user_id as id from staff where id = $1', [staffId]))!,
      evidenceId: (await one('select id from evidence where staff_id = $1 order by recorded_at limit 1', [staffId])) ?? randomUUID(),
      certificateId: (await one('select id from certificates where staff_id = $1 limit 1', [staffId])) ?? randomUUID(),
      bookingId: (await one('select id from session_bookings where staff_id = $1', [staffId]))!,
      attemptId: (await one('select id from scorm_attempts where staff_id = $1', [staffId]))!,
    };
  };
  const samStaffId = (await one(`select s.id from staff s join users u on u.id = s.user_id where u.email = $1`, [DEMO_EMAILS.learner]))!;
  // The demo learner is new: give them a piece of evidence and a certificate, copied from a colleague's, so their own ids are real.
  await pool.query(
    `insert into evidence (staff_id, competency_id, achieved_on, source, note)
     select $1, e.competency_id, e.achieved_on, 'sign-off', 'Discussed in supervision' from evidence e join staff s on s.id = e.staff_id
      where s.organisation_id = (select organisation_id from staff where id = $1) and e.staff_id <> $1 limit 1`,
    [samStaffId],
  );
  await pool.query(
    `insert into certificates (code, kind, staff_id, organisation_id, course_id, group_number, achievement_key, achievement, competencies, person_name, organisation_name, partnership_name, issued_on, expires_on)
     select 'SAMTAY10R00', kind, $1, organisation_id, course_id, group_number, achievement_key || '-sam', achievement, competencies, 'Sam Taylor', organisation_name, partnership_name, issued_on, expires_on
       from certificates where organisation_id = (select organisation_id from staff where id = $1) limit 1`,
    [samStaffId],
  );
  const own = await idsOf(agents.learner, samStaffId, 'vale-county-council');
  const other = await idsOf(officerAgent, officerStaffId, 'vale-police');
  for (const [name, value] of Object.entries({ ...own, ...shared })) expect(value, `demo data for the sweeps: ${name}`).to.be.a('string').and.not.equal('');
  return { agents, own, other, shared };
}
