import { expect } from 'chai';
import type { Pool } from 'pg';
import { TEST_DB } from '../../test/support/database';
import { addUser, startTestServer, TestAgent, type TestServer } from '../../test/support/server';
import { addDays, type CompetencyResult } from './engine';
import { complianceForOrganisation, complianceForStaff, complianceOfPeopleWanted, countsForOrganisations, londonToday, releaseHeldResults } from './service';
import { isWanted, type PeopleWanted } from './store';

const DEMO_PASSWORD = 'demo-learning-2026';

/** Organisation-wide results carry no evidence ids; one person's do. */
const withoutEvidenceIds = (competencies: CompetencyResult[]) => competencies.map((c) => ({ ...c, evidenceIds: [] }));

describe('compliance service and API', () => {
  let server: TestServer;
  let pool: Pool;
  let council: { id: string; slug: string };
  let police: { id: string; slug: string };
  let learnerStaffId: string;
  const today = londonToday();

  before(async () => {
    server = await startTestServer({ demo: true });
    pool = server.product.database.pool;
    // These tests set up each person's evidence themselves.
    await pool.query(`delete from evidence where source_ref like 'demo:%'`);
    council = (await pool.query(`select id, slug from organisations where slug = 'vale-county-council'`)).rows[0];
    police = (await pool.query(`select id, slug from organisations where slug = 'vale-police'`)).rows[0];
    learnerStaffId = (await pool.query(`select id from staff where email = 'learner@valecounty.example'`)).rows[0].id;
  });
  after(() => server?.close());

  it('computes a few hundred staff in bulk with a handful of queries, the same answer as one at a time', async () => {
    const { rows } = await pool.query<{ id: string }>(
      `insert into organisations (slug, name, sector, due_soon_days) values ('bulk-test', 'Bulk Test', 'housing', 30) returning id`,
    );
    const orgId = rows[0].id;
    // 300 staff across groups 1-4 and unmapped, some new starters, some leavers.
    await pool.query(
      `insert into staff (organisation_id, name, job_title, start_date, leaving_date, group_number)
       select $1, 'Person ' || i, 'Worker', current_date - (i * 11 % 900), case when i % 50 = 0 then current_date - 1 end,
              case when i % 30 = 0 then null else 1 + i % 4 end
         from generate_series(1, 300) i`,
      [orgId],
    );
    // Evidence for every competency of group 1 and 2, achieved at different times.
    await pool.query(
      `insert into evidence (staff_id, competency_id, achieved_on, source, note)
       select s.id, c.id, current_date - ((row_number() over ()) * 7 % 1200)::int, 'prior-learning', 'bulk'
         from staff s cross join competencies c join frameworks f on f.id = c.framework_id and f.status = 'published'
        where s.organisation_id = $1 and c.group_number <= 2 and s.name not like '%7'`,
      [orgId],
    );
    // Corrections and withdrawals (new rows naming the one they replace) for one entry in nine.
    await pool.query(
      `insert into evidence (staff_id, competency_id, achieved_on, source, replaces_id, withdrawn, change_reason)
       select e.staff_id, e.competency_id, e.achieved_on - 400, e.source, e.id, row_number() over (order by e.id) % 3 = 0, 'bulk correction'
         from evidence e join staff s on s.id = e.staff_id where s.organisation_id = $1 and abs(hashtext(e.id::text)) % 9 = 0`,
      [orgId],
    );
    let queries = 0;
    const counting = new Proxy(pool, {
      get(target, prop) {
        if (prop === 'query')
          return (...args: unknown[]) => {
            queries++;
            return (target.query as (...a: unknown[]) => unknown).apply(target, args);
          };
        return Reflect.get(target, prop);
      },
    });
    const result = (await complianceForOrganisation(counting, { kind: 'all' }, orgId, today))!;
    expect(queries).to.be.at.most(11); // a fixed handful, whatever the number of staff (the first time, the results are also kept)
    queries = 0;
    const again = (await complianceForOrganisation(counting, { kind: 'all' }, orgId, today))!;
    expect(queries).to.be.at.most(7); // read back as kept: nobody is worked out again
    expect(again).to.deep.equal(result);
    expect(result.counts.total).to.equal(294); // 6 leavers drop out
    expect(Object.values(result.counts.byStatus).reduce((a, b) => a + b, 0)).to.equal(294);
    expect(result.counts.byGroup.unmapped.unmapped).to.equal(8); // 10 unmapped, 2 of them leavers
    expect(result.counts.byStatus.compliant + result.counts.byStatus['due-soon']).to.be.greaterThan(0);
    expect(result.counts.byStatus.overdue).to.be.greaterThan(0);
    for (const p of result.people.filter((_, i) => i % 37 === 0)) {
      const one = (await complianceForStaff(pool, { kind: 'all' }, p.staffId, today))!;
      expect(one.status).to.equal(p.status);
      expect(withoutEvidenceIds(one.competencies)).to.deep.equal(p.competencies);
    }
  });

  it("reads only the people a caller wants (the reminder scan's), with what the whole organisation says of them, kept or not", async () => {
    const orgId = (await pool.query<{ id: string }>(`select id from organisations where slug = 'bulk-test'`)).rows[0].id;
    const whole = (await complianceForOrganisation(pool, { kind: 'all' }, orgId, today))!;
    const wanted: PeopleWanted = { statuses: ['overdue'], expiringBy: addDays(today, 60), startedFrom: addDays(today, -30) };
    const expected = whole.people.filter((p) => isWanted(wanted, p));
    expect(expected.length).to.be.within(1, whole.people.length - 20);
    // From memory, from what was kept, and with some people's kept results no longer holding (worked out again).
    expect(await complianceOfPeopleWanted(pool, { kind: 'all' }, orgId, today, wanted)).to.deep.equal(expected);
    releaseHeldResults(pool);
    expect(await complianceOfPeopleWanted(pool, { kind: 'all' }, orgId, today, wanted)).to.deep.equal(expected);
    await pool.query(
      `update kept_compliance set stamp = nextval('compliance_stamp') where staff_id in (select id from staff where organisation_id = $1 and name like '%3')`,
      [orgId],
    );
    expect(await complianceOfPeopleWanted(pool, { kind: 'all' }, orgId, today, wanted)).to.deep.equal(expected);
    // Someone not wanted by their kept result who is wanted once worked out again: their evidence is withdrawn.
    const lapsed = whole.people.filter((p) => p.status === 'compliant' && !isWanted(wanted, p) && p.startDate! < addDays(today, -200)).slice(0, 3);
    expect(lapsed).to.have.length(3);
    await pool.query(`delete from evidence where staff_id = any($1::uuid[])`, [lapsed.map((p) => p.staffId)]);
    const some = (await complianceOfPeopleWanted(pool, { kind: 'all' }, orgId, today, wanted))!;
    expect(some.filter((p) => lapsed.some((l) => l.staffId === p.staffId)).map((p) => p.status)).to.deep.equal(['overdue', 'overdue', 'overdue']);
    expect(some).to.have.length(expected.length + 3);
    const { rows } = await pool.query<{ n: number }>(
      'select count(*)::int as n from kept_compliance where organisation_id = $1 and computed_stamp is distinct from stamp',
      [orgId],
    );
    expect(rows[0].n).to.equal(0); // everyone worked out again was kept, wanted or not
    expect(await complianceOfPeopleWanted(pool, { kind: 'all' }, orgId, addDays(today, -400), wanted)).to.deep.equal(
      (await complianceForOrganisation(pool, { kind: 'all' }, orgId, addDays(today, -400)))!.people.filter((p) => isWanted(wanted, p)),
    );
    expect(await complianceOfPeopleWanted(pool, { kind: 'organisations', organisationIds: [police.id] }, orgId, today, wanted)).to.equal(null);
  });

  it('keeps results between requests, and never answers from one that no longer holds', async () => {
    const { rows } = await pool.query<{ id: string }>(
      `insert into organisations (slug, name, sector, due_soon_days) values ('kept-test', 'Kept Test', 'voluntary', 30) returning id`,
    );
    const orgId = rows[0].id;
    const add = async (name: string, group: number) =>
      (
        await pool.query<{ id: string }>(
          `insert into staff (organisation_id, name, job_title, start_date, group_number) values ($1, $2, 'Worker', current_date - 400, $3) returning id`,
          [orgId, name, group],
        )
      ).rows[0].id;
    const trainOn = (staffId: string, daysAgo: number, group = 1) =>
      pool.query(
        `insert into evidence (staff_id, competency_id, achieved_on, source, note)
         select $1, c.id, current_date - $2::int, 'prior-learning', 'kept test' from competencies c join frameworks f on f.id = c.framework_id and f.status = 'published'
          where c.group_number <= $3 and not c.retired`,
        [staffId, daysAgo, group],
      );
    const expiring = await add('Expiring next month', 1);
    await trainOn(expiring, 1044); // 36 months ago less about 50 days: the refresher runs out in about 50 days
    const untrained = await add('Not trained', 1);
    const promoted = await add('Promoted', 1);
    await trainOn(promoted, 100);
    const byName = async (day: string) => {
      const result = (await complianceForOrganisation(pool, { kind: 'all' }, orgId, day))!;
      // Always the same answer as working each person out afresh.
      for (const p of result.people) {
        const one = (await complianceForStaff(pool, { kind: 'all' }, p.staffId, day))!;
        expect([p.name, p.status, p.nextExpiry, p.competencies]).to.deep.equal([one.name, one.status, one.nextExpiry, withoutEvidenceIds(one.competencies)]);
      }
      return Object.fromEntries(result.people.map((p) => [p.name, p.status]));
    };
    expect(await byName(today)).to.deep.equal({ 'Expiring next month': 'compliant', 'Not trained': 'overdue', Promoted: 'compliant' });
    const kept = await pool.query(
      'select count(*)::int as n from kept_compliance k join staff s on s.id = k.staff_id where s.organisation_id = $1 and k.computed_stamp = k.stamp',
      [orgId],
    );
    expect(kept.rows[0].n).to.equal(3);

    // The calendar alone: in a month the first is due soon (30-day window); after that, today's answer again.
    expect((await byName(addDays(today, 30)))['Expiring next month']).to.equal('due-soon');
    expect((await byName(today))['Expiring next month']).to.equal('compliant');
    // New evidence, a change of group, and the organisation's settings each take effect at once.
    await trainOn(untrained, 1);
    await pool.query('update staff set group_number = 2 where id = $1', [promoted]);
    expect(await byName(today)).to.deep.equal({ 'Expiring next month': 'compliant', 'Not trained': 'compliant', Promoted: 'overdue' });
    await pool.query('update organisations set due_soon_days = 90 where id = $1', [orgId]);
    expect((await byName(today))['Expiring next month']).to.equal('due-soon');
    await pool.query(`update organisations set refresher_months = '{"1": 48, "2": 48, "3": 48, "4": 48}' where id = $1`, [orgId]);
    expect((await byName(today))['Expiring next month']).to.equal('compliant');

    // A change made while a result is being worked out is not lost: the result worked out from before it is not kept.
    // (PostgreSQL only: the embedded database runs one transaction at a time, so no read can happen beside an open change.)
    if (TEST_DB !== 'postgres') return;
    await pool.query('delete from kept_compliance where staff_id = $1', [untrained]);
    await pool.query('update kept_compliance set computed_stamp = null where staff_id = $1', [expiring]);
    const client = await pool.connect();
    try {
      await client.query('begin');
      await client.query(`update evidence set withdrawn = true where staff_id = $1`, [expiring]);
      const during = await complianceForOrganisation(pool, { kind: 'all' }, orgId, today); // does not wait for the change
      expect(during!.people.find((p) => p.name === 'Expiring next month')!.status).to.equal('compliant');
      await client.query('commit');
    } finally {
      client.release();
    }
    expect((await byName(today))['Expiring next month']).to.equal('overdue');
  });

  it("the board's counts for every organisation agree with each organisation worked out on its own, kept or not", async () => {
    const { rows: orgs } = await pool.query<{ id: string }>('select id from organisations');
    const each = async (day: string) =>
      new Map(await Promise.all(orgs.map(async (o) => [o.id, (await complianceForOrganisation(pool, { kind: 'all' }, o.id, day))!.counts] as const)));
    // Some people's kept results out of date, as after a bulk load or a change: those organisations are worked out again.
    await pool.query(`update kept_compliance set stamp = nextval('compliance_stamp') where staff_id in (select id from staff order by id limit 5)`);
    expect(await countsForOrganisations(pool, today)).to.deep.equal(await each(today));
    // Everything kept: each organisation's tally, the same answer.
    expect(await countsForOrganisations(pool, today)).to.deep.equal(await each(today));
    // Someone leaves, and someone's kept row is lost (as after a load with triggers off): still the same answer.
    await pool.query(
      'update staff set leaving_date = current_date - 1 where id = (select id from staff where leaving_date is null order by id limit 1 offset 3)',
    );
    await pool.query('delete from kept_compliance where staff_id = (select id from staff where leaving_date is null order by id limit 1 offset 9)');
    expect(await countsForOrganisations(pool, today)).to.deep.equal(await each(today));
    // Someone starting tomorrow is not counted today, and is tomorrow.
    await pool.query(
      `insert into staff (organisation_id, name, job_title, start_date, group_number) select id, 'Starts tomorrow', 'Worker', current_date + 1, 1 from organisations order by slug limit 1`,
    );
    expect(await countsForOrganisations(pool, today)).to.deep.equal(await each(today));
    expect(await countsForOrganisations(pool, today)).to.deep.equal(await each(today));
    const tomorrow = addDays(today, 1);
    expect(await countsForOrganisations(pool, tomorrow)).to.deep.equal(await each(tomorrow));
    // A past day.
    const past = addDays(today, -40);
    expect(await countsForOrganisations(pool, past)).to.deep.equal(await each(past));
  });

  it("the board's tallies are counted again after a restore from another database, whose transaction numbers meant other changes", async () => {
    const { rows: orgs } = await pool.query<{ id: string }>('select id from organisations');
    const each = async () =>
      new Map(await Promise.all(orgs.map(async (o) => [o.id, (await complianceForOrganisation(pool, { kind: 'all' }, o.id, today))!.counts] as const)));
    const right = await countsForOrganisations(pool, today);
    expect(right).to.deep.equal(await each());
    // As a restore from a database that had reached higher transaction numbers leaves them: a council tally that
    // counts nobody, and a mark from a transaction this database has not had.
    await pool.query(`update kept_compliance_tallies set counts = '[]', snap = '4000000000:4000000000:' where organisation_id = $1`, [council.id]);
    await pool.query(`insert into kept_compliance_marks (organisation_id, xid) values ($1, '4000000001')`, [police.id]);
    expect(await countsForOrganisations(pool, today)).to.deep.equal(right);
    // The stray mark is let go of, so the police tally holds again rather than being counted every time.
    const { rows: marks } = await pool.query(`select 1 from kept_compliance_marks where xid = '4000000001'`);
    expect(marks).to.have.length(0);
  });

  it('the board and a held organisation never miss a change that took its stamp before they were read and committed after', async function () {
    // PostgreSQL only: the embedded database runs one transaction at a time, so nothing can be read beside an open change.
    if (TEST_DB !== 'postgres') return this.skip();
    const { rows: people } = await pool.query<{ id: string }>(
      `select id from staff where organisation_id = $1 and leaving_date is null and start_date <= current_date and group_number is not null order by id limit 2`,
      [council.id],
    );
    const [leaving, other] = people.map((p) => p.id);
    const councilCounts = async () => (await countsForOrganisations(pool, today)).get(council.id)!;
    const before = await councilCounts();
    const client = await pool.connect();
    try {
      // A long change: someone leaves; it takes its stamp now and commits last.
      await client.query('begin');
      await client.query('update staff set leaving_date = current_date - 1 where id = $1', [leaving]);
      // Meanwhile another change to the council commits and a lead's page works it out: its stamp is newer.
      await pool.query(`update staff set team = 'Moved team' where id = $1`, [other]);
      expect((await complianceForOrganisation(pool, { kind: 'all' }, council.id, today))!.counts.total).to.equal(before.total);
      // The board counts the council beside the open change: the leaver is still in post.
      expect((await councilCounts()).total).to.equal(before.total);
      await client.query('commit');
    } finally {
      client.release();
    }
    // Once it commits, both the lead's page and the board count one fewer.
    expect((await complianceForOrganisation(pool, { kind: 'all' }, council.id, today))!.counts.total).to.equal(before.total - 1);
    expect((await councilCounts()).total).to.equal(before.total - 1);
  });

  it('answers as of a past day: staff in post then, their group then, evidence recorded and achieved by then, corrections recorded later ignored', async () => {
    const past = addDays(today, -30);
    const { rows } = await pool.query<{ id: string }>(
      `insert into organisations (slug, name, sector) values ('as-of-test', 'As Of Test', 'housing') returning id`,
    );
    const orgId = rows[0].id;
    const person = async (name: string, group: number, startDaysAgo: number, leavingDaysAgo: number | null = null) =>
      (
        await pool.query<{ id: string }>(
          `insert into staff (organisation_id, name, job_title, start_date, leaving_date, group_number, created_at)
           values ($1, $2, 'Worker', current_date - $3::int, current_date - $4::int, $5, now() - interval '3 years') returning id`,
          [orgId, name, startDaysAgo, leavingDaysAgo, group],
        )
      ).rows[0].id;
    const groupOne = (
      await pool.query<{ id: string }>(
        `select c.id from competencies c join frameworks f on f.id = c.framework_id and f.status = 'published' where c.group_number = 1 and not c.retired`,
      )
    ).rows;
    // Evidence for every Group 1 competency: achieved and recorded so many days ago.
    const evidence = async (staffId: string, achievedDaysAgo: number, recordedDaysAgo: number) => {
      const ids: string[] = [];
      for (const c of groupOne) {
        const { rows: e } = await pool.query<{ id: string }>(
          `insert into evidence (staff_id, competency_id, achieved_on, source, recorded_at) values ($1, $2, current_date - $3::int, 'prior-learning', now() - make_interval(days => $4::int)) returning id`,
          [staffId, c.id, achievedDaysAgo, recordedDaysAgo],
        );
        ids.push(e[0].id);
      }
      return ids;
    };
    const promoted = await person('Promoted later', 1, 700);
    await evidence(promoted, 400, 398);
    await pool.query(
      `insert into staff_group_history (staff_id, group_number, previous_group_number, source, reason, changed_at) values ($1, 3, 1, 'lead-override', 'promoted', now() - interval '10 days')`,
      [promoted],
    );
    await pool.query('update staff set group_number = 3 where id = $1', [promoted]);
    const leaver = await person('Left since', 1, 700, 5);
    await evidence(leaver, 400, 398);
    const trainedSince = await person('Trained since', 1, 700);
    await evidence(trainedSince, 10, 10);
    const recordedLate = await person('Recorded late', 1, 700);
    await evidence(recordedLate, 400, 2);
    const withdrawnSince = await person('Withdrawn since', 1, 700);
    const [first] = await evidence(withdrawnSince, 400, 398);
    await pool.query(
      `insert into evidence (staff_id, competency_id, achieved_on, source, replaces_id, withdrawn, change_reason)
       select staff_id, competency_id, achieved_on, source, id, true, 'Recorded against the wrong person' from evidence where id = $1`,
      [first],
    );
    const startedSince = await person('Started since', 1, 10);

    const statuses = async (day: string) => {
      const result = (await complianceForOrganisation(pool, { kind: 'all' }, orgId, day))!;
      return { result, byName: Object.fromEntries(result.people.map((p) => [p.name, `${p.groupNumber}:${p.status}`])) };
    };
    const { result: then, byName: statusThen } = await statuses(past);
    expect(statusThen).to.deep.equal({
      'Promoted later': '1:compliant',
      'Left since': '1:compliant',
      'Trained since': '1:overdue',
      'Recorded late': '1:overdue',
      'Withdrawn since': '1:compliant',
    });
    expect((await statuses(today)).byName).to.deep.equal({
      'Promoted later': '3:overdue',
      'Trained since': '1:compliant',
      'Recorded late': '1:compliant',
      'Withdrawn since': '1:overdue',
      'Started since': '1:in-induction',
    });
    // One person at a time gives the same answers, then and now.
    for (const p of then.people) {
      const one = (await complianceForStaff(pool, { kind: 'all' }, p.staffId, past))!;
      expect([one.groupNumber, one.status, withoutEvidenceIds(one.competencies)]).to.deep.equal([p.groupNumber, p.status, p.competencies]);
    }
    expect((await complianceForStaff(pool, { kind: 'all' }, leaver, today))!.status).to.equal('left');
    expect((await complianceForStaff(pool, { kind: 'all' }, promoted, today))!.groupNumber).to.equal(3);
    expect(startedSince).to.be.a('string');

    // A data fix that moves an entry to another person (evidence is never edited through the product, but a database can be) keeps both right.
    await pool.query('update evidence set staff_id = $2 where staff_id = $1', [trainedSince, startedSince]);
    const fixed = (await complianceForOrganisation(pool, { kind: 'all' }, orgId, today))!;
    for (const p of fixed.people) {
      const one = (await complianceForStaff(pool, { kind: 'all' }, p.staffId, today))!;
      expect([p.name, one.status, withoutEvidenceIds(one.competencies)]).to.deep.equal([p.name, p.status, p.competencies]);
    }
    expect(fixed.people.find((p) => p.name === 'Started since')!.status).to.equal('compliant');
  });

  it('withdrawn and corrected evidence stops counting; a leaver is left from their leaving day', async () => {
    const person = (
      await pool.query(`select id from staff where organisation_id = $1 and group_number = 1 and user_id is null order by name limit 1`, [police.id])
    ).rows[0].id;
    const competencies = (
      await pool.query(`select c.id from competencies c join frameworks f on f.id = c.framework_id and f.status = 'published' where c.group_number = 1`)
    ).rows;
    const ids: string[] = [];
    for (const c of competencies) {
      const { rows } = await pool.query(
        `insert into evidence (staff_id, competency_id, achieved_on, source) values ($1, $2, current_date - 10, 'prior-learning') returning id`,
        [person, c.id],
      );
      ids.push(rows[0].id);
    }
    expect((await complianceForStaff(pool, { kind: 'all' }, person, today))!.status).to.equal('compliant');
    await pool.query(
      `insert into evidence (staff_id, competency_id, achieved_on, source, replaces_id, withdrawn, change_reason)
       select staff_id, competency_id, achieved_on, source, id, true, 'Recorded against the wrong person' from evidence where id = $1`,
      [ids[0]],
    );
    const after = (await complianceForStaff(pool, { kind: 'all' }, person, today))!;
    expect(after.status).to.not.equal('compliant');
    expect(after.competencies[0].met).to.equal(false);
    await pool.query('update staff set leaving_date = $2 where id = $1', [person, today]);
    expect((await complianceForStaff(pool, { kind: 'all' }, person, today))!.status).to.equal('left');
    expect((await complianceForStaff(pool, { kind: 'all' }, person, addDays(today, -1)))!.status).to.not.equal('left');
  });

  it('staff of an organisation working to the RCN intercollegiate documents are not applicable', async () => {
    const { rows } = await pool.query(`update organisations set uses_rcn_intercollegiate = true where slug = 'vale-nhs-trust' returning id`);
    const result = (await complianceForOrganisation(pool, { kind: 'all' }, rows[0].id, today))!;
    expect(result.counts.byStatus['not-applicable']).to.equal(result.counts.total);
  });

  it('the staff API answers the person, their lead and admins, and 404s everyone else', async () => {
    const learner = new TestAgent(server.url);
    await learner.signIn('learner@valecounty.example', DEMO_PASSWORD);
    const own = await learner.getJson(`/api/v1/staff/${learnerStaffId}/compliance`);
    expect(own.status).to.equal(200);
    expect(own.body.status).to.be.a('string');
    expect(own.body.groupNumber).to.equal(2);
    expect(own.body.competencies.length).to.be.greaterThan(0);
    expect(own.body.competencies[0]).to.have.keys('competencyId', 'lineage', 'groupNumber', 'number', 'text', 'met', 'status', 'evidenceIds', 'expires');
    const colleague = (await pool.query(`select id from staff where organisation_id = $1 and id <> $2 limit 1`, [council.id, learnerStaffId])).rows[0].id;
    expect((await learner.getJson(`/api/v1/staff/${colleague}/compliance`)).status).to.equal(404);

    const lead = new TestAgent(server.url);
    await lead.signIn('lead@valecounty.example', DEMO_PASSWORD);
    expect((await lead.getJson(`/api/v1/staff/${colleague}/compliance`)).status).to.equal(200);
    const policeOfficer = (await pool.query(`select id from staff where organisation_id = $1 limit 1`, [police.id])).rows[0].id;
    expect((await lead.getJson(`/api/v1/staff/${policeOfficer}/compliance`)).status).to.equal(404);
    expect((await lead.getJson(`/api/v1/staff/not-a-uuid/compliance`)).status).to.equal(404);

    const admin = new TestAgent(server.url);
    await admin.signIn('admin@vale-partnership.example', DEMO_PASSWORD);
    expect((await admin.getJson(`/api/v1/staff/${policeOfficer}/compliance`)).status).to.equal(200);
  });

  it('the organisation API gives every current member of staff and counts, to its lead and admins only', async () => {
    const lead = new TestAgent(server.url);
    await lead.signIn('lead@valecounty.example', DEMO_PASSWORD);
    const res = await lead.getJson(`/api/v1/organisations/${council.slug}/compliance`);
    expect(res.status).to.equal(200);
    const { rows } = await pool.query(`select count(*) as n from staff where organisation_id = $1 and (leaving_date is null or leaving_date > current_date)`, [
      council.id,
    ]);
    expect(res.body.staff).to.have.length(rows[0].n);
    expect(res.body.counts.total).to.equal(rows[0].n);
    expect(res.body.counts.byGroup['2']).to.be.an('object');
    expect(res.body.staff[0]).to.include.keys('staffId', 'name', 'groupNumber', 'status');
    expect((await lead.getJson(`/api/v1/organisations/${police.slug}/compliance`)).status).to.equal(404);

    const board = await addUser(server, 'board-member');
    const boardAgent = new TestAgent(server.url);
    await boardAgent.signIn(board.email);
    expect((await boardAgent.getJson(`/api/v1/organisations/${council.slug}/compliance`)).status).to.equal(403);

    const page = await lead.get('/compliance');
    expect(page.status).to.equal(302); // a lead of one organisation goes straight to it
    const list = await lead.get(`/compliance/${council.slug}`);
    expect(list.text).to.contain('Vale County Council').and.contain('Staff by compliance status');
    expect((await lead.get(`/compliance/${police.slug}`)).status).to.equal(404);
  });

  it('the learner’s page shows their group, each competency, and a session they could book', async () => {
    const learner = new TestAgent(server.url);
    await learner.signIn('learner@valecounty.example', DEMO_PASSWORD);
    const page = await learner.get('/my-training');
    expect(page.status).to.equal(200);
    expect(page.text).to.contain('Group 2').and.contain('competency 1').and.contain('What to do next');
    expect(page.text).to.match(/href="\/training-sessions\/[0-9a-f-]+"/);
  });
});
