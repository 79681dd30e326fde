import { expect } from 'chai';
import { DEMO_PASSWORD } from '../../server/demo';
import type { Mailer } from '../../server/mail';
import { addUser, startTestServer, TestAgent, type TestServer } from '../../test/support/server';
import { type ReceivedMail, startSmtpReceiver } from '../../test/support/smtp';
import { recordCourseCompletion } from '../evidence/api';
import { OFFER_SUBJECT, REMINDER_SUBJECT, runPlacesJob } from './messages';
import { bookPlace, cancelBooking, createSession, markRegister, missingPrerequisites } from './store';

const PUBLIC_URL = 'http://training.vale.test';
const DAY = 86400_000;

describe('face-to-face training sessions', function () {
  // Starting the product with the demo partnership is the slow part on a busy machine.
  this.timeout(180_000);
  let server: TestServer;
  let smtp: Awaited<ReturnType<typeof startSmtpReceiver>>;
  let courseId: string;
  let awarenessId: string;
  let staff: { id: string; organisation_id: string; sector: string }[];
  const all = { kind: 'all' } as const;

  before(async () => {
    smtp = await startSmtpReceiver();
    server = await startTestServer({ demo: true, config: { smtpUrl: smtp.url, publicUrl: PUBLIC_URL } });
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
  after(async () => {
    await server?.close();
    await smtp?.close();
  });

  async function newSession(capacity: number, startsInDays = 10, chargePence: number | null = null) {
    const startsAt = new Date(Date.now() + startsInDays * DAY);
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
      chargePence,
      createdBy: null,
    });
  }

  it('never exceeds capacity, even when people book at the same moment, and puts the rest on a waiting list', async () => {
    const sessionId = await newSession(3);
    const results = await Promise.all(staff.slice(0, 6).map((s) => bookPlace(server.product.database, all, { sessionId, staffId: s.id, bookedBy: null })));
    expect(results.filter((r) => r.status === 'booked')).to.have.length(3);
    expect(results.filter((r) => r.status === 'waiting')).to.have.length(3);
    const { rows } = await server.product.database.pool.query(`select count(*) as n from session_bookings where session_id = $1 and status = 'booked'`, [
      sessionId,
    ]);
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
      await recordCourseCompletion(client, server.product.events, {
        staffId: person.id,
        courseId: awarenessId,
        achievedOn: '2026-01-10',
        source: 'elearning',
        sourceRef: 'attempt-1',
        recordedBy: null,
      });
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
    expect(text).to.contain('govuk-error-summary').and.contain('The end time must be after the start time').and.contain('Enter a venue or an online link');
    const created = await agent.postForm('/training-sessions', {
      courseId,
      date: '2099-07-01',
      startTime: '09:30',
      endTime: '16:00',
      venue: 'Civic Centre',
      capacity: '12',
      multiAgency: 'yes',
    });
    expect(created.status).to.equal(302);
    const id = created.headers.get('location')!.split('/').pop();
    const { rows } = await server.product.database.pool.query('select starts_at from training_sessions where id = $1', [id]);
    expect(new Date(rows[0].starts_at).toISOString()).to.equal('2099-07-01T08:30:00.000Z'); // 9:30 British Summer Time
  });

  it('a trainer finds their sessions under My sessions; the register says when it opens, opens at the start, and a session that ran earlier today can be recorded', async () => {
    const trainer = await addUser(server, 'trainer');
    const agent = new TestAgent(server.url);
    await agent.signIn(trainer.email);
    expect((await agent.get('/')).text, 'My sessions is in the trainer’s navigation').to.contain('href="/my-sessions"');
    const pool = server.product.database.pool;
    const later = await newSession(5, 3);
    await pool.query('update training_sessions set trainer_user_id = $2 where id = $1', [later, trainer.id]);
    await bookPlace(server.product.database, all, { sessionId: later, staffId: staff[0].id, bookedBy: null });

    // Before the start: a page saying when it opens, not "page not found"; saving is refused.
    const early = await agent.get(`/training-sessions/${later}/register`);
    expect(early.status).to.equal(200);
    expect(early.text).to.contain('The register opens when the session starts').and.not.contain('Save register');
    expect((await agent.get(`/training-sessions/${later}`)).text).to.contain('Opens when the session starts');
    expect((await agent.postForm(`/training-sessions/${later}/register`, { attended: staff[0].id })).status).to.equal(409);

    // From the start it can be taken.
    await pool.query(`update training_sessions set starts_at = now() - interval '1 minute', ends_at = now() + interval '5 hours' where id = $1`, [later]);
    const open = await agent.get(`/training-sessions/${later}/register`);
    expect(open.text).to.contain('Who attended?').and.contain('Save register');
    expect((await agent.get(`/training-sessions/${later}`)).text).to.contain('take the register');
    expect((await agent.postForm(`/training-sessions/${later}/register`, { attended: staff[0].id })).status).to.equal(302);

    // Recorded after it ran, earlier today (London time).
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London' }).format(new Date());
    await agent.get('/training-sessions/new');
    const created = await agent.postForm('/training-sessions', {
      courseId,
      date: today,
      startTime: '00:00',
      endTime: '23:59',
      venue: 'Civic Centre',
      capacity: '12',
      trainerUserId: trainer.id,
      multiAgency: 'yes',
    });
    expect(created.status, 'a session from earlier today is accepted').to.equal(302);
    const yesterday = await agent.postForm('/training-sessions', {
      courseId,
      date: '2020-01-01',
      startTime: '09:30',
      endTime: '16:00',
      venue: 'Civic Centre',
      capacity: '12',
    });
    expect(await yesterday.text()).to.contain('The session must be today or later');

    const mine = await agent.get('/my-sessions');
    expect(mine.status).to.equal(200);
    const recent = mine.text.slice(mine.text.indexOf('data-recent'), mine.text.indexOf('Upcoming'));
    expect(recent).to.contain(`/training-sessions/${later}/register`).and.contain('Register taken').and.contain('1 person booked');
    expect(recent)
      .to.contain(`${created.headers.get('location')}/register`)
      .and.contain('Register not taken');
    expect((await agent.get(`/training-sessions/${later}/register`)).text).to.contain('You took the register on');
  });

  it('the demo has a session that has run, with people booked and its register to take', async () => {
    const { rows } = await server.product.database.pool.query<{ n: number }>(
      `select count(b.*)::int as n from training_sessions ts join users u on u.id = ts.trainer_user_id and u.email = 'trainer@vale-partnership.example'
         join session_bookings b on b.session_id = ts.id and b.status = 'booked'
        where ts.starts_at < now() and ts.register_marked_at is null group by ts.id`,
    );
    expect(rows.length).to.be.at.least(1);
    expect(rows[0].n).to.be.at.least(2);
  });

  describe('sessions that fill: reminders, offers of freed places, substitutes, no-shows and charges', () => {
    let mailer: Mailer;
    let council: string;
    /** Council staff with test email addresses, and one person from another organisation. */
    let people: { id: string; email: string; name: string }[];
    let outsider: { id: string; organisation_id: string };

    before(async () => {
      const pool = server.product.database.pool;
      mailer = server.product.mailer;
      council = (await pool.query(`select id from organisations where slug = 'vale-county-council'`)).rows[0].id;
      const { rows } = await pool.query<{ id: string; name: string }>(
        `select id, name from staff where organisation_id = $1 and user_id is null and (leaving_date is null or leaving_date > current_date) order by name limit 6`,
        [council],
      );
      people = [];
      for (const [i, r] of rows.entries()) {
        const email = `place-${i}@council.test`;
        await pool.query('update staff set email = $2 where id = $1', [r.id, email]);
        people.push({ ...r, email });
      }
      outsider = (await pool.query(`select id, organisation_id from staff where organisation_id <> $1 and user_id is null limit 1`, [council])).rows[0];
    });

    const job = (now = new Date()) =>
      runPlacesJob({ pool: server.product.database.pool, database: server.product.database, mailer, config: server.product.config }, now);

    async function deliver(): Promise<ReceivedMail[]> {
      const before = smtp.received.length;
      await mailer.deliverQueued();
      return smtp.received.slice(before);
    }

    it('offers a freed place to the first person waiting by email, to the next when the offer runs out, and the link books it', async () => {
      const db = server.product.database;
      const sessionId = await newSession(1, 20);
      const [a, b, c] = people;
      const first = await bookPlace(db, all, { sessionId, staffId: a.id, bookedBy: null });
      await bookPlace(db, all, { sessionId, staffId: b.id, bookedBy: null });
      await bookPlace(db, all, { sessionId, staffId: c.id, bookedBy: null });

      // The person booked cancels on the session page.
      const admin = new TestAgent(server.url);
      await admin.signIn('admin@vale-partnership.example', DEMO_PASSWORD);
      await admin.get(`/training-sessions/${sessionId}`);
      expect((await admin.postForm(`/training-sessions/${sessionId}/bookings/${first.bookingId}/cancel`, {})).status).to.equal(302);
      const offered = await deliver();
      expect(offered.map((m) => [m.to[0], m.subject])).to.deep.equal([[b.email, OFFER_SUBJECT]]);
      const bLink = offered[0].body.match(/http:\/\/training\.vale\.test(\/training-sessions\/offers\/[A-Za-z0-9_-]+)/)![1];

      // Nobody answers for two days: the job lapses it and offers the place to the next person.
      const later = new Date(Date.now() + 49 * 3600_000);
      // (The sessions above may have lapsed offers too; only this session's people matter here.)
      expect((await job(later)).offers).to.be.greaterThan(0);
      const next = (await deliver()).filter((m) => [a, b, c].some((p) => p.email === m.to[0]));
      expect(next.map((m) => m.to[0])).to.deep.equal([c.email]);
      const cLink = next[0].body.match(/http:\/\/training\.vale\.test(\/training-sessions\/offers\/[A-Za-z0-9_-]+)/)![1];
      expect((await job(later)).offers, 'running the job again offers nothing new').to.equal(0);

      // The lapsed link says so; the new one accepts the place without signing in.
      const anonymous = new TestAgent(server.url);
      const lapsed = await anonymous.get(bLink);
      expect(lapsed.status).to.equal(410);
      expect(lapsed.text).to.contain('the time to accept it has passed');
      const page = await anonymous.get(cLink);
      expect(page.status).to.equal(200);
      expect(page.text).to.contain('held for you until').and.contain(c.name);
      expect((await anonymous.postForm(cLink, { answer: 'accept' })).status).to.equal(302);
      expect((await anonymous.get(cLink)).text).to.contain('You have a place');
      const { rows } = await db.pool.query(`select staff_id, status, cancel_reason from session_bookings where session_id = $1 order by booked_at`, [
        sessionId,
      ]);
      expect(rows.map((r) => [r.staff_id, r.status, r.cancel_reason])).to.deep.equal([
        [a.id, 'cancelled', 'cancelled'],
        [b.id, 'cancelled', 'offer-lapsed'],
        [c.id, 'booked', null],
      ]);
    });

    it('reminds each booked person once, a few days before, with a subject that says nothing about their training', async () => {
      const db = server.product.database;
      const soon = await newSession(5, 2);
      const later = await newSession(5, 12);
      const [, , , d, e] = people;
      await bookPlace(db, all, { sessionId: soon, staffId: d.id, bookedBy: null });
      await bookPlace(db, all, { sessionId: later, staffId: e.id, bookedBy: null });
      await job();
      await job();
      const sent = (await deliver()).filter((m) => m.subject === REMINDER_SUBJECT);
      expect(sent.map((m) => m.to[0])).to.deep.equal([d.email]);
      expect(sent[0].body).to.contain('Responding to domestic abuse').and.contain('Vale Civic Centre').and.contain(`${PUBLIC_URL}/training-sessions/${soon}`);
    });

    it('lets a lead pass a booked place to a colleague in their own organisation only, and audits it', async () => {
      const db = server.product.database;
      const sessionId = await newSession(3, 15);
      const [a, b] = people;
      const booked = await bookPlace(db, all, { sessionId, staffId: a.id, bookedBy: null });
      const theirs = await bookPlace(db, all, { sessionId, staffId: outsider.id, bookedBy: null });
      const lead = new TestAgent(server.url);
      await lead.signIn('lead@valecounty.example', DEMO_PASSWORD);
      const session = await lead.get(`/training-sessions/${sessionId}`);
      expect(session.text).to.contain(`/bookings/${booked.bookingId}/substitute`).and.not.contain(`/bookings/${theirs.bookingId}/substitute`);
      expect((await lead.get(`/training-sessions/${sessionId}/bookings/${theirs.bookingId}/substitute`)).status).to.equal(404);
      const form = await lead.get(`/training-sessions/${sessionId}/bookings/${booked.bookingId}/substitute`);
      expect(form.text).to.contain(b.name).and.not.contain(`value="${outsider.id}"`);
      const refused = await lead.postForm(`/training-sessions/${sessionId}/bookings/${booked.bookingId}/substitute`, { staffId: outsider.id });
      expect(refused.status).to.equal(400);
      expect(await refused.text()).to.contain('Select the colleague who will take the place');
      expect((await lead.postForm(`/training-sessions/${sessionId}/bookings/${booked.bookingId}/substitute`, { staffId: b.id })).status).to.equal(302);
      const { rows } = await db.pool.query(
        `select staff_id, status, cancel_reason from session_bookings where session_id = $1 and staff_id = any($2::uuid[]) order by booked_at, status`,
        [sessionId, [a.id, b.id]],
      );
      expect(rows.map((r) => [r.staff_id, r.status, r.cancel_reason])).to.have.deep.members([
        [a.id, 'cancelled', 'substituted'],
        [b.id, 'booked', null],
      ]);
      const audit = await db.pool.query(`select detail from audit_log where action = 'training-session.substituted' and detail->>'sessionId' = $1`, [
        sessionId,
      ]);
      expect(audit.rows[0].detail).to.include({ replacedStaffId: a.id, staffId: b.id });
    });

    it('records no-shows per organisation and charges places per the booking terms, in a CSV by organisation', async () => {
      const db = server.product.database;
      const pool = db.pool;
      const sessionId = await newSession(10, 10, 4500);
      const [attends, noShow, lateCancel, earlyCancel, substituted, colleague] = people;
      const ids: Record<string, string> = {};
      for (const p of [attends, noShow, lateCancel, earlyCancel, substituted, outsider])
        ids[p.id] = (await bookPlace(db, all, { sessionId, staffId: p.id, bookedBy: null })).bookingId;

      const admin = new TestAgent(server.url);
      await admin.signIn('admin@vale-partnership.example', DEMO_PASSWORD);
      expect((await admin.get(`/training-sessions/${sessionId}`)).text).to.contain('Each place costs £45.00');

      await admin.get(`/training-sessions/${sessionId}/bookings/${ids[substituted.id]}/substitute`);
      await admin.postForm(`/training-sessions/${sessionId}/bookings/${ids[substituted.id]}/substitute`, { staffId: colleague.id });
      // The session moves into the past; one place was given up nine days before it, one two days before.
      await pool.query(`update training_sessions set starts_at = now() - interval '3 hours', ends_at = now() - interval '1 hour' where id = $1`, [sessionId]);
      await cancelBooking(db, all, { bookingId: ids[earlyCancel.id], cancelledBy: null, now: new Date(Date.now() - 9 * DAY) });
      await cancelBooking(db, all, { bookingId: ids[lateCancel.id], cancelledBy: null, now: new Date(Date.now() - 2 * DAY) });
      await markRegister(db, server.product.events, { sessionId, attendedStaffIds: [attends.id, colleague.id, outsider.id], markedBy: null });

      const noShows = await admin.get('/training-sessions/no-shows');
      expect(noShows.text).to.contain('Vale County Council').and.contain(noShow.name).and.not.contain(attends.name);
      const csv = await (await admin.request('GET', '/training-sessions/charges?format=csv')).text();
      const mine = csv.split('\r\n').filter((l) => l.includes('Vale County Council') && l.includes('Responding'));
      const reasons = (name: string) => mine.filter((l) => l.includes(name)).map((l) => l.split(',').slice(-3, -1).join(','));
      expect(reasons(attends.name)).to.deep.equal(['Attended,4500']);
      expect(reasons(colleague.name)).to.deep.equal(['Attended,4500']);
      expect(reasons(noShow.name)).to.deep.equal(['Did not attend,4500']);
      expect(reasons(lateCancel.name)).to.deep.equal(['Cancelled late,4500']);
      expect(reasons(earlyCancel.name)).to.deep.equal([]);
      expect(reasons(substituted.name)).to.deep.equal([]);

      // A lead sees only their own organisation's charges.
      const lead = new TestAgent(server.url);
      await lead.signIn('lead@valecounty.example', DEMO_PASSWORD);
      const leadCsv = await (await lead.request('GET', '/training-sessions/charges?format=csv')).text();
      expect(leadCsv).to.contain(attends.name);
      const outsiderName = (await pool.query('select name from staff where id = $1', [outsider.id])).rows[0].name;
      expect(csv).to.contain(outsiderName);
      expect(leadCsv).to.not.contain(outsiderName);

      // New terms: no charge for no-shows or cancellations. Bad input keeps the old terms.
      await admin.get('/admin/booking-terms');
      const bad = await admin.postForm('/admin/booking-terms', { reminderDays: '0', offerHours: '48', lateCancellationDays: '0', chargeNoShows: 'no' });
      expect(bad.status).to.equal(400);
      expect(await bad.text()).to.contain('Enter the days before a session to send the reminder, from 1 to 60');
      expect((await pool.query('select charge_no_shows from session_booking_terms')).rows[0].charge_no_shows).to.equal(true);
      expect(
        (await admin.postForm('/admin/booking-terms', { reminderDays: '3', offerHours: '48', lateCancellationDays: '0', chargeNoShows: 'no' })).status,
      ).to.equal(302);
      const after = await (await admin.request('GET', '/training-sessions/charges?format=csv')).text();
      expect(after).to.contain(attends.name).and.not.contain(noShow.name).and.not.contain(lateCancel.name);
      await admin.get('/admin/booking-terms');
      await admin.postForm('/admin/booking-terms', { reminderDays: '3', offerHours: '48', lateCancellationDays: '7', chargeNoShows: 'yes' });
    });
  });
});
