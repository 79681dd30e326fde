import { expect } from 'chai';
import pg from 'pg';
import { PRODUCT_TYPES } from '../../server/db';
import { createLogger } from '../../server/logger';
import { createMailer, type Mailer } from '../../server/mail';
import { addDays, addMonths, complianceForStaff } from '../compliance/api';
import { DEMO_PASSWORD } from '../../server/demo';
import { addUser, type TestServer, startTestServer, TestAgent } from '../../test/support/server';
import { type ReceivedMail, startSmtpReceiver } from '../../test/support/smtp';
import { londonDay } from './rules';
import { runScan, type ScanDeps } from './scan';
import { subjectRevealsProgress } from '../safety/api';

const PUBLIC_URL = 'http://training.vale.test';

describe('refresher reminders: scans, outbox and email', function () {
  this.timeout(180_000);
  let server: TestServer;
  let smtp: Awaited<ReturnType<typeof startSmtpReceiver>>;
  let received: ReceivedMail[];
  let rejected: Set<string>;
  let pool: pg.Pool;
  let deps: ScanDeps;
  /** Without SMTP (the embedded default) messages stay in the outbox as 'held'. */
  let outboxOnly: ScanDeps;
  let partnership: string;
  const today = londonDay(new Date());
  const morning = (day: string) => new Date(`${day}T10:00:00Z`);

  before(async () => {
    smtp = await startSmtpReceiver();
    ({ received, rejected } = smtp);
    server = await startTestServer({ demo: true, config: { smtpUrl: smtp.url, publicUrl: PUBLIC_URL } });
    pool = server.product.database.pool;
    deps = { pool, mailer: server.product.mailer, config: server.product.config };
    const quiet = createLogger({ env: 'test', logLevel: 'silent' });
    outboxOnly = { ...deps, mailer: createMailer({ mailFrom: server.product.config.mailFrom }, pool, quiet) };
    partnership = (await pool.query<{ name: string }>('select name from partnership')).rows[0].name;
  });

  after(async () => {
    await server?.close();
    await smtp?.close();
  });

  async function staffId(email: string): Promise<string> {
    return (await pool.query<{ id: string }>('select id from staff where lower(email) = lower($1)', [email])).rows[0].id;
  }

  /** Gives a person evidence for everything they need, lapsing on `expires`. */
  async function trainUntil(id: string, expires: string): Promise<void> {
    const person = (await complianceForStaff(pool, { kind: 'all' }, id, today))!;
    const { rows } = await pool.query<{ months: string | null }>(
      'select o.refresher_months->>$2 as months from staff s join organisations o on o.id = s.organisation_id where s.id = $1',
      [id, String(person.groupNumber)],
    );
    const achieved = addMonths(expires, -Number(rows[0].months ?? 36));
    for (const c of person.competencies) {
      await pool.query(
        `insert into evidence (staff_id, competency_id, achieved_on, source, source_ref) values ($1, $2, $3, 'external-document', 'reminder-test')`,
        [id, c.competencyId, achieved],
      );
    }
  }

  it('over a year of daily scans, sends each step exactly once per person', async () => {
    const org = 'vale-county-council';
    const sam = await staffId('learner@valecounty.example');
    const expires = addDays(today, 150);
    await trainUntil(sam, expires);
    for (let i = 0; i < 365; i++) await runScan(outboxOnly, { now: morning(addDays(today, i)), organisationSlug: org });

    const { rows } = await pool.query<{ staff_id: string; kind: string; due_date: string; step: string; n: number }>(
      `select r.staff_id, r.kind, r.due_date, r.step, count(m.id)::int as n
         from reminders r join organisations o on o.id = r.organisation_id left join outbound_messages m on m.dedupe_key = r.dedupe_key
        where o.slug = $1 and r.kind <> 'digest' group by 1, 2, 3, 4`,
      [org],
    );
    expect(rows.length).to.be.greaterThan(10);
    expect(rows.every((r) => r.n === 1)).to.equal(true);
    const samSteps = rows.filter((r) => r.staff_id === sam && r.due_date === expires).map((r) => r.step);
    expect(samSteps.filter((s) => s.startsWith('before-')).sort()).to.deep.equal(['before-30', 'before-60', 'before-7']);
    // Overdue from the day it lapsed, then every 30 days to the end of the year, and one escalation to the lead.
    const overdueSteps = samSteps.filter((s) => s.startsWith('overdue-'));
    expect(overdueSteps).to.have.length(Math.floor((364 - 150) / 30) + 1);
    expect(samSteps.filter((s) => s === 'escalated')).to.have.length(1);
    const welcomes = rows.filter((r) => r.kind === 'welcome');
    expect(new Set(welcomes.map((w) => w.staff_id)).size).to.equal(welcomes.length);

    // The council lead's weekly digest: one a week, every Monday, none missed.
    const { rows: digests } = await pool.query<{ step: string }>(
      `select r.step from reminders r join organisations o on o.id = r.organisation_id where o.slug = $1 and r.kind = 'digest' and r.recipient = 'lead@valecounty.example' order by r.step`,
      [org],
    );
    const days = digests.map((d) => d.step);
    expect(days.length).to.be.within(52, 54);
    for (let i = 1; i < days.length; i++) expect(addDays(days[i - 1], 7)).to.equal(days[i]);
    expect(new Date(`${days[0]}T12:00:00Z`).getUTCDay()).to.equal(1);

    // Running any of those days again queues nothing new.
    const before = (await pool.query<{ n: number }>('select count(*)::int as n from outbound_messages')).rows[0].n;
    for (const d of [0, 90, 143, 150, 364]) await runScan(outboxOnly, { now: morning(addDays(today, d)), organisationSlug: org, force: true });
    expect((await pool.query<{ n: number }>('select count(*)::int as n from outbound_messages')).rows[0].n).to.equal(before);
  });

  it('two servers scanning one database at once queue no duplicates', async () => {
    const second = new pg.Pool({ connectionString: server.product.database.url, max: 4, types: PRODUCT_TYPES });
    try {
      const other: ScanDeps = {
        pool: second,
        mailer: createMailer({ mailFrom: 'x@test.example' }, second, createLogger({ env: 'test', logLevel: 'silent' })),
        config: server.product.config,
      };
      const now = morning(today);
      const [a, b] = await Promise.all([
        runScan(outboxOnly, { now, organisationSlug: 'vale-womens-aid', force: true }),
        runScan(other, { now, organisationSlug: 'vale-womens-aid', force: true }),
      ]);
      const keys = [...a.queued, ...b.queued].filter((q) => q.isNew).map((q) => q.key);
      expect(keys.length).to.be.greaterThan(0);
      expect(new Set(keys).size).to.equal(keys.length);
      const { rows } = await pool.query<{ n: number }>(
        `select count(*)::int as n from outbound_messages m join organisations o on o.id = m.organisation_id where o.slug = 'vale-womens-aid'`,
      );
      expect(rows[0].n).to.equal(keys.length);
    } finally {
      await second.end();
    }
  });

  it('a crash between queueing and sending loses nothing and duplicates nothing', async () => {
    const org = 'vale-police';
    // The first process dies part-way through queueing (after three messages) and never delivers.
    const crashing = new pg.Pool({ connectionString: server.product.database.url, max: 2, types: PRODUCT_TYPES });
    const real = createMailer(server.product.config, crashing, createLogger({ env: 'test', logLevel: 'silent' }));
    let left = 3;
    const dying: Mailer = {
      delivers: true,
      deliverQueued: () => Promise.reject(new Error('never reached')),
      async queue(m) {
        if (left-- === 0) throw new Error('process killed');
        return real.queue(m);
      },
    };
    const slug = (await pool.query<{ slug: string }>(`select slug from organisations where slug = $1`, [org])).rows[0]?.slug;
    expect(slug, 'demo organisation').to.equal(org);
    const err = await runScan({ ...deps, pool: crashing, mailer: dying }, { now: morning(today), organisationSlug: org, force: true }).catch((e: Error) => e);
    expect((err as Error).message).to.equal('process killed');
    await crashing.end();
    const orgMessages = () =>
      pool.query<{ to_address: string; status: string; dedupe_key: string }>(
        `select to_address, status, dedupe_key from outbound_messages m join organisations o on o.id = m.organisation_id where o.slug = $1`,
        [org],
      );
    expect((await orgMessages()).rows.map((r) => r.status)).to.deep.equal(['queued', 'queued', 'queued']);

    // A new process runs the scan again and delivers.
    received.length = 0;
    const result = await runScan(deps, { now: morning(today), organisationSlug: org, force: true });
    const all = (await orgMessages()).rows;
    expect(all.length).to.be.greaterThan(3);
    expect(result.queued.filter((q) => q.isNew)).to.have.length(all.length - 3);
    expect(all.every((r) => r.status === 'sent')).to.equal(true);
    const addresses = received.flatMap((r) => r.to);
    expect(addresses.sort()).to.deep.equal(all.map((r) => r.to_address).sort());
    // Every reminder row points at its message, including the three queued before the crash.
    const { rows: unlinked } = await pool.query(
      `select 1 from reminders r join organisations o on o.id = r.organisation_id where o.slug = $1 and r.message_id is null`,
      [org],
    );
    expect(unlinked).to.have.length(0);

    // And again: nothing new is sent.
    received.length = 0;
    await runScan(deps, { now: morning(today), organisationSlug: org, force: true });
    expect(received).to.have.length(0);
  });

  it('emails staff a neutral subject with links to their training, and leads a digest they can stop', async () => {
    const org = 'vale-homes';
    const lead = await addUser(server, 'org-lead', { organisationSlug: org, email: 'lead@valehomes.example', name: 'Lee Lead' });
    await pool.query(`update organisations set reminder_policy = $1 where slug = $2`, [
      JSON.stringify({ digest: { frequency: 'weekly', day: 1, time: '08:00' } }),
      org,
    ]);
    received.length = 0;
    await runScan(deps, { now: morning(today), organisationSlug: org, force: true });
    await server.product.mailer.deliverQueued(1000);
    const reminders = received.filter((r) => r.subject === `Training reminder from ${partnership}`);
    expect(reminders.length).to.be.greaterThan(0);
    // Nothing about anyone's progress in a subject line (a lock screen or a shared inbox shows it).
    for (const r of received) expect(subjectRevealsProgress(r.subject), r.subject).to.equal(false);
    const { rows: staff } = await pool.query<{ email: string; name: string }>(
      `select s.email, s.name from staff s join organisations o on o.id = s.organisation_id where o.slug = $1`,
      [org],
    );
    for (const r of reminders) {
      expect(r.to).to.have.length(1);
      const person = staff.find((p) => p.email.toLowerCase() === r.to[0].toLowerCase());
      expect(person, `${r.to[0]} works at ${org}`).to.not.equal(undefined);
      expect(r.body).to.include(`Dear ${person!.name},`);
      expect(r.body).to.include(`${PUBLIC_URL}/my-training`);
      expect(r.body).to.include(`href="${PUBLIC_URL}/my-training"`);
      expect(r.body.toLowerCase()).to.not.include('unsubscribe');
      expect(r.body.toLowerCase()).to.not.include('stop receiving');
    }

    // Where a course covers what is due, the reminder links straight to it.
    expect(reminders.some((r) => /href="http:\/\/training\.vale\.test\/courses\/[a-z0-9-]+"/.test(r.body))).to.equal(true);

    const digest = received.find((r) => r.subject === `Training digest from ${partnership}`);
    expect(digest, 'a digest for the lead').to.not.equal(undefined);
    expect(digest!.to).to.deep.equal([lead.email]);
    const link = digest!.body.match(/http:\/\/training\.vale\.test(\/reminders\/unsubscribe\?[^\s"<]+)/)?.[1];
    expect(link).to.be.a('string');
    const agent = new TestAgent(server.url);
    const page = await agent.get(link!.replace(/&amp;/g, '&'));
    expect(page.status).to.equal(200);
    const [, u, o, t] = page.text.match(/name="u" value="([^"]+)".*name="o" value="([^"]+)".*name="t" value="([^"]+)"/s)!;
    expect((await agent.postForm('/reminders/unsubscribe', { u, o, t: `${t}x` })).status).to.equal(404);
    expect((await agent.postForm('/reminders/unsubscribe', { u, o, t })).status).to.equal(200);
    // A week later: no digest for the lead who stopped it; reminders still go.
    received.length = 0;
    await runScan(deps, { now: morning(addDays(today, 7)), organisationSlug: org, force: true });
    await server.product.mailer.deliverQueued(1000);
    expect(received.filter((r) => r.subject.startsWith('Training digest'))).to.have.length(0);
  });

  it('retries a failed send with back-off and shows it as failed after the last try', async () => {
    rejected.add('bounces@valecounty.example');
    const id = await server.product.mailer.queue({ to: 'bounces@valecounty.example', subject: 'Training reminder', text: 'x', dedupeKey: 'test:bounce' });
    const gaps: number[] = [];
    for (let i = 0; i < 5; i++) {
      await pool.query('update outbound_messages set next_attempt_at = now() where id = $1', [id]);
      await server.product.mailer.deliverQueued();
      const { rows } = await pool.query<{ status: string; attempts: number; wait: number }>(
        'select status, attempts, extract(epoch from next_attempt_at - now())::float as wait from outbound_messages where id = $1',
        [id],
      );
      expect(rows[0].attempts).to.equal(i + 1);
      expect(rows[0].status).to.equal(i < 4 ? 'queued' : 'failed');
      gaps.push(Math.round(rows[0].wait / 60));
    }
    expect(gaps.slice(0, 4)).to.deep.equal([1, 2, 4, 8]);
    const admin = new TestAgent(server.url);
    await admin.signIn('admin@vale-partnership.example', DEMO_PASSWORD);
    const page = await admin.get('/admin/outbox?status=failed');
    expect(page.status).to.equal(200);
    expect(page.text).to.include('bounces@valecounty.example');
    expect(page.text).to.include('550 mailbox unavailable');
  });

  it('shows staff their reminders, leads their own organisation only, and validates the policy form', async () => {
    const learner = new TestAgent(server.url);
    await learner.signIn('learner@valecounty.example', DEMO_PASSWORD);
    const mine = await learner.get('/my-reminders');
    expect(mine.status).to.equal(200);
    expect(mine.text).to.include('Refresher due');

    const lead = new TestAgent(server.url);
    await lead.signIn('lead@valecounty.example', DEMO_PASSWORD);
    const page = await lead.get('/reminders/vale-county-council');
    expect(page.status).to.equal(200);
    expect(page.text).to.include('Sam Taylor');
    expect(page.text).to.include('Scheduled next');
    expect((await lead.get('/reminders/vale-womens-aid')).status).to.equal(404);
    expect((await lead.get('/admin/outbox')).status).to.equal(403);

    await lead.get('/reminders/vale-county-council/policy');
    const fields = {
      steps: '60, 30, 7',
      overdueRepeatDays: '14',
      escalateAfterDays: '',
      digestFrequency: 'monthly',
      digestDay: '31',
      digestTime: '08:00',
      scanTime: '07:00',
      quietPeriods: '',
    };
    const bad = await lead.postForm('/reminders/vale-county-council/policy', fields);
    expect(bad.status).to.equal(400);
    const text = await bad.text();
    expect(text).to.include('govuk-error-summary');
    expect(text).to.include('href="#digestDay"');
    const good = await lead.postForm('/reminders/vale-county-council/policy', { ...fields, digestDay: '1', quietPeriods: '2026-12-24 to 2027-01-02' });
    expect(good.status).to.equal(302);
    const { rows } = await pool.query<{ reminder_policy: { overdueRepeatDays: number; quietPeriods: unknown[] } }>(
      `select reminder_policy from organisations where slug = 'vale-county-council'`,
    );
    expect(rows[0].reminder_policy.overdueRepeatDays).to.equal(14);
    expect(rows[0].reminder_policy.quietPeriods).to.deep.equal([{ from: '2026-12-24', to: '2027-01-02' }]);

    const admin = new TestAgent(server.url);
    await admin.signIn('admin@vale-partnership.example', DEMO_PASSWORD);
    expect((await admin.get('/reminders')).text).to.include('Partnership defaults');
    await admin.get('/admin/reminder-defaults');
    expect((await admin.postForm('/admin/reminder-defaults', { ...fields, steps: '90, 30', digestDay: '1' })).status).to.equal(302);
    const councilPage = await admin.get('/reminders/vale-homes');
    expect(councilPage.text).to.include('90, 30 days before');
    const { rows: one } = await pool.query<{ id: string; to_address: string }>(
      `select id, to_address from outbound_messages where to_address = 'learner@valecounty.example' limit 1`,
    );
    const message = await admin.get(`/admin/outbox/${one[0].id}`);
    expect(message.text).to.include('Dear Sam Taylor,');
    expect(message.text).to.include('/my-training');
  });
});
