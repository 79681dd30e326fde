import { expect } from 'chai';
import { addUser, startTestServer, TestAgent, type TestServer } from '../../test/support/server';
import { recordCourseCompletion } from '../evidence/record';
import { bookPlace, cancelBooking, createSession, markRegister, missingPrerequisites } from './store';

describe('face-to-face training sessions', function () {
  // Starting the product with the demo partnership is the slow part on a busy machine.
  this.timeout(120_000);
  let server: TestServer;
  let courseId: string;
  let awarenessId: string;
  let staff: { id: string; organisation_id: string; sector: string }[];
  const all = { kind: 'all' } as const;

  before(async () => {
    server = await startTestServer({ demo: true });
    const pool = server.product.database.pool;
    // These tests set up each person's evidence themselves.
    await pool.query(`delete from evidence where source_ref like 'demo:%'`);
    courseId = (await pool.query(`select id from courses where slug = 'responding-to-domestic-abuse'`)).rows[0].id;
    awarenessId = (
      await pool.query(
        `insert into courses (slug, title, delivery, group_numbers) values ('da-awareness-test', 'Awareness (test course)', 'elearning', '{1}')
         on conflict (slug) do update set title = excluded.title returning id`,
      )
    ).rows[0].id;
    // The catalogue may give this course prerequisites; the prerequisite test sets its own.
    await pool.query('delete from course_prerequisites where course_id = $1', [courseId]);
    staff = (
      await pool.query(
        `select id, organisation_id, sector from (
           select s.id, s.organisation_id, o.sector, o.slug, row_number() over (partition by s.organisation_id order by s.name) as rn
             from staff s join organisations o on o.id = s.organisation_id where s.user_id is null) x
          where rn <= 2 order by rn, slug limit 8`,
      )
    ).rows;
  });
  after(() => server?.close());

  async function newSession(capacity: number, startsInDays = 10) {
    const startsAt = new Date(Date.now() + startsInDays * 86400_000);
    return createSession(server.product.database, {
      courseId,
      startsAt,
      endsAt: new Date(startsAt.getTime() + 6 * 3600_000),
      venue: 'Vale Civic Centre',
      onlineUrl: null,
      capacity,
      trainerUserId: null,
      multiAgency: true,
      organisationIds: [],
      createdBy: null,
    });
  }

  it('never exceeds capacity, even when people book at the same moment, and puts the rest on a waiting list', async () => {
    const sessionId = await newSession(3);
    const results = await Promise.all(staff.slice(0, 6).map((s) => bookPlace(server.product.database, all, { sessionId, staffId: s.id, bookedBy: null })));
    expect(results.filter((r) => r.status === 'booked')).to.have.length(3);
    expect(results.filter((r) => r.status === 'waiting')).to.have.length(3);
    const { rows } = await server.product.database.pool.query(`select count(*) as n from session_bookings where session_id = $1 and status = 'booked'`, [sessionId]);
    expect(rows[0].n).to.equal(3);
  });

  it('cancelling a place offers it to the first person on the waiting list; cancelling from the list offers nothing', async () => {
    const sessionId = await newSession(1);
    const db = server.product.database;
    const first = await bookPlace(db, all, { sessionId, staffId: staff[0].id, bookedBy: null });
    const second = await bookPlace(db, all, { sessionId, staffId: staff[1].id, bookedBy: null });
    const third = await bookPlace(db, all, { sessionId, staffId: staff[2].id, bookedBy: null });
    expect([first.status, second.status, third.status]).to.deep.equal(['booked', 'waiting', 'waiting']);
    expect((await cancelBooking(db, all, { bookingId: third.bookingId, cancelledBy: null })).offers).to.deep.equal([]);
    expect((await cancelBooking(db, all, { bookingId: first.bookingId, cancelledBy: null })).offers.map((o) => o.staffId)).to.deep.equal([staff[1].id]);
    // A cancelled person may book again, and goes to the back of the queue while the place is held for the person offered it.
    expect((await bookPlace(db, all, { sessionId, staffId: staff[0].id, bookedBy: null })).status).to.equal('waiting');
    let refused = '';
    await bookPlace(db, all, { sessionId, staffId: staff[1].id, bookedBy: null }).catch((e) => (refused = e.message));
    expect(refused).to.match(/Already booked/);
  });

  it('a lead can book their own staff but not another organisation’s', async () => {
    const sessionId = await newSession(5);
    const own = staff[0];
    const other = staff.find((s) => s.organisation_id !== own.organisation_id)!;
    const scope = { kind: 'organisations' as const, organisationIds: [own.organisation_id] };
    expect((await bookPlace(server.product.database, scope, { sessionId, staffId: own.id, bookedBy: null })).status).to.equal('booked');
    let status = 0;
    await bookPlace(server.product.database, scope, { sessionId, staffId: other.id, bookedBy: null }).catch((e) => (status = e.status));
    expect(status).to.equal(404);
    // The same through the session page, as the council's lead.
    const pool = server.product.database.pool;
    const council = (await pool.query(`select id from organisations where slug = 'vale-county-council'`)).rows[0].id;
    const [mine, theirs] = (
      await pool.query(`select s.id from staff s where s.user_id is null and (s.organisation_id = $1) = $2 limit 1`, [council, true])
    ).rows.concat((await pool.query(`select s.id from staff s where s.organisation_id <> $1 limit 1`, [council])).rows);
    const lead = new TestAgent(server.url);
    await lead.signIn('lead@valecounty.example', 'demo-learning-2026');
    const page = await lead.get(`/training-sessions/${sessionId}`);
    expect(page.text).to.contain('Book a member of your staff').and.contain(`value="${mine.id}"`).and.not.contain(`value="${theirs.id}"`);
    expect((await lead.postForm(`/training-sessions/${sessionId}/book`, { staffId: mine.id })).status).to.equal(302);
    expect((await lead.postForm(`/training-sessions/${sessionId}/book`, { staffId: theirs.id })).status).to.equal(404);
    const { rows } = await pool.query(`select status from session_bookings where session_id = $1 and staff_id = $2`, [sessionId, mine.id]);
    expect(rows.map((r) => r.status)).to.deep.equal(['booked']);
  });

  it('respects prerequisites: Group 2 training follows Group 1 awareness', async () => {
    const pool = server.product.database.pool;
    await pool.query('insert into course_prerequisites (course_id, prerequisite_course_id) values ($1, $2) on conflict do nothing', [courseId, awarenessId]);
    await pool.query(
      `insert into course_competencies (course_id, competency_lineage)
       select $1, c.lineage from competencies c join frameworks f on f.id = c.framework_id and f.status = 'published' where c.group_number = 1 on conflict do nothing`,
      [awarenessId],
    );
    const sessionId = await newSession(5);
    const person = staff[5];
    expect(await missingPrerequisites(pool, person.id, courseId)).to.deep.equal(['Awareness (test course)']);
    let message = '';
    await bookPlace(server.product.database, all, { sessionId, staffId: person.id, bookedBy: null }).catch((e) => (message = e.message));
    expect(message).to.match(/Complete Awareness \(test course\)/);
    await server.product.database.transaction(async (client) => {
      await recordCourseCompletion(client, server.product.events, { staffId: person.id, courseId: awarenessId, achievedOn: '2026-01-10', source: 'elearning', sourceRef: 'attempt-1', recordedBy: null });
    });
    try {
      expect((await bookPlace(server.product.database, all, { sessionId, staffId: person.id, bookedBy: null })).status).to.equal('booked');
    } finally {
      await pool.query('delete from course_prerequisites where course_id = $1', [courseId]);
    }
  });

  it('the register records face-to-face evidence for attendees only, once, and figures count organisations and sectors', async () => {
    const db = server.product.database;
    const sessionId = await newSession(10);
    const people = [staff[0], staff[3], staff.find((s) => s.sector !== staff[0].sector)!];
    for (const p of people) await bookPlace(db, all, { sessionId, staffId: p.id, bookedBy: null });
    await db.pool.query(`update training_sessions set starts_at = now() - interval '3 hours', ends_at = now() - interval '1 hour' where id = $1`, [sessionId]);
    const attended = [people[0].id, people[2].id];
    const first = await markRegister(db, server.product.events, { sessionId, attendedStaffIds: attended, markedBy: null });
    const again = await markRegister(db, server.product.events, { sessionId, attendedStaffIds: attended, markedBy: null });
    expect(first.attended).to.equal(2);
    expect(first.evidenceIds.length).to.be.greaterThan(0);
    expect(again.evidenceIds).to.have.length(0);
    const { rows } = await db.pool.query(`select distinct staff_id from evidence where source = 'face-to-face' and source_ref = $1`, [`session:${sessionId}`]);
    expect(rows.map((r) => r.staff_id).sort()).to.deep.equal([...attended].sort());

    const admin = new TestAgent(server.url);
    await admin.signIn('admin@vale-partnership.example', 'demo-learning-2026');
    const page = await admin.get(`/training-sessions/${sessionId}`);
    expect(page.status).to.equal(200);
    const orgCount = new Set([people[0], people[2]].map((p) => p.organisation_id)).size;
    expect(page.text).to.contain(`2 people from ${orgCount} organisation`);
    expect(page.text).to.contain('2 sectors');
  });

  it('a learner books and cancels through the pages, and a trainer creates a session with London times', async () => {
    const learner = new TestAgent(server.url);
    await learner.signIn('learner@valecounty.example', 'demo-learning-2026');
    const sessionId = await newSession(2);
    await learner.get(`/training-sessions/${sessionId}`);
    expect((await learner.postForm(`/training-sessions/${sessionId}/book`, {})).status).to.equal(302);
    const booked = await learner.get(`/training-sessions/${sessionId}`);
    expect(booked.text).to.contain('You have a place on this session');
    const bookingId = booked.text.match(/bookings\/([0-9a-f-]+)\/cancel/)![1];
    expect((await learner.postForm(`/training-sessions/${sessionId}/bookings/${bookingId}/cancel`, {})).status).to.equal(302);
    expect((await learner.get(`/training-sessions/${sessionId}`)).text).to.contain('Book a place');
    expect((await learner.get('/training-sessions/new')).status).to.equal(403);

    const trainer = await addUser(server, 'trainer');
    const agent = new TestAgent(server.url);
    await agent.signIn(trainer.email);
    await agent.get('/training-sessions/new');
    const invalid = await agent.postForm('/training-sessions', { courseId, date: '2099-07-01', startTime: '09:30', endTime: '09:00', capacity: '0' });
    expect(invalid.status).to.equal(400);
    const text = await invalid.text();
    expect(text).to.contain('govuk-error-summary').and.contain('Enter an end time after the start time').and.contain('Enter a venue or an online link');
    const created = await agent.postForm('/training-sessions', { courseId, date: '2099-07-01', startTime: '09:30', endTime: '16:00', venue: 'Civic Centre', capacity: '12', multiAgency: 'yes' });
    expect(created.status).to.equal(302);
    const id = created.headers.get('location')!.split('/').pop();
    const { rows } = await server.product.database.pool.query('select starts_at from training_sessions where id = $1', [id]);
    expect(new Date(rows[0].starts_at).toISOString()).to.equal('2099-07-01T08:30:00.000Z'); // 9:30 British Summer Time
  });
});
