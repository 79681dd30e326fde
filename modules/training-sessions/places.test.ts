import { expect } from 'chai';
import { SMTPServer } from 'smtp-server';
import type { Mailer } from '../../server/mail';
import { DEMO_PASSWORD } from '../../server/demo';
import { startTestServer, TestAgent, type TestServer } from '../../test/support/server';
import { OFFER_SUBJECT, REMINDER_SUBJECT, runPlacesJob } from './messages';
import { bookPlace, cancelBooking, createSession, markRegister } from './store';

interface Received {
  to: string[];
  subject: string;
  body: string;
}

/** Undo quoted-printable soft breaks and escapes, so links can be matched whole. */
function decodeQp(s: string): string {
  return s.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16)));
}

const PUBLIC_URL = 'http://training.vale.test';
const DAY = 86400_000;

describe('sessions that fill: reminders, offers of freed places, substitutes, no-shows and charges', function () {
  this.timeout(120_000);
  let server: TestServer;
  let smtp: SMTPServer;
  let mailer: Mailer;
  const received: Received[] = [];
  let courseId: string;
  let council: string;
  /** Council staff with test email addresses, and one person from another organisation. */
  let people: { id: string; email: string; name: string }[];
  let outsider: { id: string; organisation_id: string };
  const all = { kind: 'all' } as const;

  before(async () => {
    smtp = new SMTPServer({
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData(stream, session, cb) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          const [head, ...rest] = raw.split(/\r?\n\r?\n/);
          const subject = (head.match(/^Subject: (.*(?:\r?\n[ \t].*)*)/m)?.[1] ?? '').replace(/\r?\n[ \t]/g, ' ');
          received.push({ to: session.envelope.rcptTo.map((r) => r.address), subject, body: decodeQp(rest.join('\n\n')) });
          cb();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    const port = (smtp.server.address() as { port: number }).port;
    server = await startTestServer({ demo: true, config: { smtpUrl: `smtp://127.0.0.1:${port}`, publicUrl: PUBLIC_URL } });
    const pool = server.product.database.pool;
    mailer = server.product.mailer;
    courseId = (await pool.query(`select id from courses where slug = 'responding-to-domestic-abuse'`)).rows[0].id;
    await pool.query('delete from course_prerequisites where course_id = $1', [courseId]);
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

  after(async () => {
    await server?.close();
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
  });

  async function newSession(capacity: number, startsInDays: number, chargePence: number | null = null) {
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

  const job = (now = new Date()) =>
    runPlacesJob({ pool: server.product.database.pool, database: server.product.database, mailer, config: server.product.config }, now);

  async function deliver(): Promise<Received[]> {
    const before = received.length;
    await mailer.deliverQueued();
    return received.slice(before);
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
    expect((await job(later)).offers).to.equal(1);
    const next = await deliver();
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
    const { rows } = await db.pool.query(`select staff_id, status, cancel_reason from session_bookings where session_id = $1 order by booked_at`, [sessionId]);
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
    const { rows } = await db.pool.query(`select staff_id, status, cancel_reason from session_bookings where session_id = $1 and staff_id = any($2::uuid[]) order by booked_at, status`, [
      sessionId,
      [a.id, b.id],
    ]);
    expect(rows.map((r) => [r.staff_id, r.status, r.cancel_reason])).to.have.deep.members([
      [a.id, 'cancelled', 'substituted'],
      [b.id, 'booked', null],
    ]);
    const audit = await db.pool.query(`select detail from audit_log where action = 'training-session.substituted' and detail->>'sessionId' = $1`, [sessionId]);
    expect(audit.rows[0].detail).to.include({ replacedStaffId: a.id, staffId: b.id });
  });

  it('records no-shows per organisation and charges places per the booking terms, in a CSV by organisation', async () => {
    const db = server.product.database;
    const pool = db.pool;
    const sessionId = await newSession(10, 10, 4500);
    const [attends, noShow, lateCancel, earlyCancel, substituted, colleague] = people;
    const ids: Record<string, string> = {};
    for (const p of [attends, noShow, lateCancel, earlyCancel, substituted, outsider]) ids[p.id] = (await bookPlace(db, all, { sessionId, staffId: p.id, bookedBy: null })).bookingId;

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
    expect(noShows.text).to.contain(noShow.name).and.contain('1 place not attended out of 3 booked');
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
    expect((await admin.postForm('/admin/booking-terms', { reminderDays: '3', offerHours: '48', lateCancellationDays: '0', chargeNoShows: 'no' })).status).to.equal(302);
    const after = await (await admin.request('GET', '/training-sessions/charges?format=csv')).text();
    expect(after).to.contain(attends.name).and.not.contain(noShow.name).and.not.contain(lateCancel.name);
    await admin.get('/admin/booking-terms');
    await admin.postForm('/admin/booking-terms', { reminderDays: '3', offerHours: '48', lateCancellationDays: '7', chargeNoShows: 'yes' });
  });
});
