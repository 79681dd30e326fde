import { expect } from 'chai';
import type { Pool } from 'pg';
import { TEST_DB } from '../../test/support/database';
import { addUser, startTestServer, TestAgent, type TestServer } from '../../test/support/server';
import { addDays, addMonths } from './engine';
import { lastQuarters } from './self-assessment';
import { londonToday } from './service';

/** The organisational lead's dashboard, staff list, CSV downloads and self-assessment figures, over HTTP as a lead uses them. */
describe(`organisational lead dashboard (${TEST_DB})`, function () {
  this.timeout(120_000);
  let server: TestServer;
  let pool: Pool;
  let lead: TestAgent;
  const today = londonToday();
  const quarters = lastQuarters(today);
  const FORMULA_NAME = '=HYPERLINK("http://evil.example","Click")';
  const ids: Record<string, string> = {};

  async function addStaff(org: string, name: string, fields: { team?: string; group?: number | null; start?: string | null }): Promise<string> {
    const group = fields.group === undefined ? 1 : fields.group;
    const { rows } = await pool.query<{ id: string }>(
      `insert into staff (organisation_id, name, job_title, team, group_number, start_date) values ($1, $2, 'Support worker', $3, $4, $5) returning id`,
      [org, name, fields.team ?? '', group, fields.start === undefined ? '2020-01-01' : fields.start],
    );
    // In that group since long before the quarters the self-assessment looks back on.
    await pool.query(`insert into staff_group_history (staff_id, group_number, source, changed_at) values ($1, $2, 'import', '2020-01-01')`, [
      rows[0].id,
      group,
    ]);
    ids[name] = rows[0].id;
    return rows[0].id;
  }

  /** Evidence for every competency up to a group, recorded on the day it was achieved (as it would have been then). */
  async function giveEvidence(staffId: string, group: number, achievedOn: string): Promise<void> {
    await pool.query(
      `insert into evidence (staff_id, competency_id, achieved_on, source, note, recorded_at)
       select $1, c.id, $3, 'prior-learning', 'dashboard test', $3::date + time '12:00'
         from competencies c join frameworks f on f.id = c.framework_id and f.status = 'published'
        where c.group_number <= $2 and not c.retired`,
      [staffId, group, achievedOn],
    );
  }

  before(async () => {
    server = await startTestServer();
    pool = server.product.database.pool;
    const org = async (slug: string, name: string) =>
      (await pool.query<{ id: string }>(`insert into organisations (slug, name, sector) values ($1, $2, 'housing') returning id`, [slug, name])).rows[0].id;
    const alpha = await org('alpha-housing', 'Alpha Housing');
    const beta = await org('beta-refuge', 'Beta Refuge');

    // Alpha: one of each status a lead acts on, in two teams.
    await giveEvidence(await addStaff(alpha, 'Ann Compliant', { team: 'Tenancy' }), 1, addDays(today, -100));
    // Evidence lasts 36 months: Bob's lapses in three days' time.
    await giveEvidence(await addStaff(alpha, 'Bob Expiring', { team: 'Tenancy' }), 1, addMonths(addDays(today, 3), -36));
    await addStaff(alpha, 'Cy Overdue', { team: 'Outreach', group: 2 });
    await addStaff(alpha, 'Di Newstarter', { team: 'Outreach', start: addDays(today, -85) });
    await addStaff(alpha, FORMULA_NAME, { team: 'Outreach', start: null });
    await addStaff(alpha, 'Ed Undecided', { team: 'Outreach', group: null });
    // Enough new starters in one team for a second page of the list (not due for chasing yet).
    await pool.query(
      `insert into staff (organisation_id, name, team, group_number, start_date)
       select $1, 'Zed Bulk ' || lpad(i::text, 2, '0'), 'Bulk', 1, $2::date from generate_series(1, 55) i`,
      [alpha, addDays(today, -10)],
    );
    await addStaff(beta, 'Beta Secret Person', { team: 'Tenancy' });

    // Face-to-face: a session last quarter; two Alpha places attended, one not, and a Beta place that is not Alpha's figure.
    const course = (
      await pool.query<{ id: string }>(`insert into courses (slug, title, delivery) values ('f2f-test', 'Face to face test', 'face-to-face') returning id`)
    ).rows[0].id;
    const startsAt = `${addDays(quarters[3].start, 10)}T10:00:00Z`;
    const session = (
      await pool.query<{ id: string }>(
        `insert into training_sessions (course_id, starts_at, ends_at, venue, capacity) values ($1, $2, $2::timestamptz + interval '3 hours', 'Town hall', 20) returning id`,
        [course, startsAt],
      )
    ).rows[0].id;
    for (const [name, attended] of [
      ['Ann Compliant', true],
      ['Bob Expiring', true],
      ['Cy Overdue', false],
      ['Beta Secret Person', true],
    ] as const) {
      await pool.query(`insert into session_bookings (session_id, staff_id, status, attended) values ($1, $2, 'booked', $3)`, [session, ids[name], attended]);
    }

    const user = await addUser(server, 'org-lead', { organisationSlug: 'alpha-housing' });
    lead = new TestAgent(server.url);
    await lead.signIn(user.email);
  });
  after(() => server?.close());

  const hrefs = (html: string) => [...html.matchAll(/href="([^"]+)"/g)].map((m) => m[1].replace(/&#x3D;/g, '=').replace(/&amp;/g, '&'));
  const names = (html: string) => [...html.matchAll(/href="\/staff\/[0-9a-f-]+\/evidence">([^<]+)</g)].map((m) => m[1]);

  it('shows counts by group and by team, each count linking to exactly those people', async () => {
    const page = await lead.get('/compliance/alpha-housing');
    expect(page.status).to.equal(200);
    expect(page.text).to.contain('Staff by group').and.contain('Staff by team').and.contain('Who to chase this week');
    const links = hrefs(page.text);
    expect(links).to.include('/compliance/alpha-housing/staff?group=2&status=overdue');
    expect(links).to.include('/compliance/alpha-housing/staff?team=Outreach&status=in-induction');
    const overdueInOutreach = await lead.get('/compliance/alpha-housing/staff?team=Outreach&status=overdue');
    expect(names(overdueInOutreach.text)).to.deep.equal(['Cy Overdue']);
    expect(overdueInOutreach.text).to.contain('1 person: overdue, in team Outreach');
    const undecided = await lead.get('/compliance/alpha-housing/staff?group=unmapped');
    expect(names(undecided.text)).to.deep.equal(['Ed Undecided']);
    // Who to chase: the overdue, the expiring and the induction ending this week, each linking to their page.
    const chase = page.text.slice(page.text.indexOf('id="chase"'));
    expect(chase.indexOf('Cy Overdue')).to.be.lessThan(chase.indexOf('Bob Expiring'));
    expect(chase).to.contain('Di Newstarter').and.contain('Induction ends').and.contain('Group 2 competencies 1, 2');
    expect(chase).to.not.contain('Ann Compliant');
    expect(chase).to.contain(`href="/staff/${ids['Cy Overdue']}/evidence"`);
  });

  it('filters by competency not met, sorts, and pages 50 at a time', async () => {
    const first = await lead.get('/compliance/alpha-housing/staff?sort=status');
    expect(first.text).to.contain('61 people').and.contain('Showing 1 to 50 of 61');
    expect(names(first.text)[0]).to.equal('Cy Overdue');
    expect(hrefs(first.text)).to.include('/compliance/alpha-housing/staff?sort=status&page=2');
    const second = await lead.get('/compliance/alpha-housing/staff?sort=status&page=2');
    expect(second.text).to.contain('Showing 51 to 61 of 61');
    expect(names(second.text)).to.include('Ann Compliant');
    const competency = (
      await pool.query<{ id: string }>(
        `select c.id from competencies c join frameworks f on f.id = c.framework_id and f.status = 'published' where c.group_number = 2 order by c.number limit 1`,
      )
    ).rows[0].id;
    const notMet = await lead.get(`/compliance/alpha-housing/staff?competency=${competency}`);
    expect(names(notMet.text)).to.deep.equal(['Cy Overdue']);
    const bad = await lead.get('/compliance/alpha-housing/staff?status=late');
    expect(bad.status).to.equal(400);
    expect(bad.text).to.contain('There is a problem').and.contain('Select a status from the list').and.contain('61 people');
  });

  it('downloads any list as CSV with a header, the same filters, and formulas made harmless', async () => {
    const res = await lead.request('GET', '/compliance/alpha-housing/staff.csv?team=Outreach&sort=name');
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.contain('text/csv');
    expect(res.headers.get('content-disposition')).to.contain('alpha-housing-staff-');
    const lines = (await res.text())
      .replace(/^\uFEFF/, '')
      .trimEnd()
      .split('\r\n');
    expect(lines[0]).to.equal('Name,Job title,Team,Group,Status,Next expiry,Induction ends,Competencies not met');
    expect(lines).to.have.length(5);
    const formula = lines.find((l) => l.includes('HYPERLINK'));
    expect(formula).to.match(/^"'=HYPERLINK\(""http:\/\/evil\.example"",""Click""\)",Support worker,Outreach,1,Not started,,,"Group 1 competencies 1, 2/);
    expect(
      lines
        .slice(1)
        .map((l) => l.split(',')[0])
        .filter((n) => !n.includes('HYPERLINK')),
    ).to.deep.equal(['Cy Overdue', 'Di Newstarter', 'Ed Undecided']);
    const chase = await lead.request('GET', '/compliance/alpha-housing/chase.csv');
    const chaseLines = (await chase.text())
      .replace(/^\uFEFF/, '')
      .trimEnd()
      .split('\r\n');
    expect(chaseLines[0]).to.equal('Name,Team,Group,Why,Date,What they need');
    expect(chaseLines.map((l) => l.split(',')[0])).to.include.members(['Cy Overdue', 'Bob Expiring', 'Di Newstarter']);
    const byTeam = (await (await lead.request('GET', '/compliance/alpha-housing/counts.csv?by=team')).text())
      .replace(/^\uFEFF/, '')
      .trimEnd()
      .split('\r\n');
    expect(byTeam[0]).to.equal('Team,Compliant,Due soon,Overdue,In induction,Not started,Not measured,Headcount');
    expect(byTeam).to.include('Outreach,0,0,1,1,1,1,4');
    expect((await lead.request('GET', '/compliance/alpha-housing/staff.csv?group=nine')).status).to.equal(400);
  });

  it('refuses a lead another organisation’s dashboard, list, downloads and figures, and never shows its people', async () => {
    for (const path of ['', '/staff', '/staff.csv', '/chase.csv', '/counts.csv', '/self-assessment', '/staff?team=Tenancy']) {
      const res = await lead.request('GET', `/compliance/beta-refuge${path}`, { headers: { accept: 'text/html' } });
      expect(res.status, path).to.equal(404);
      expect(await res.text()).to.not.contain('Beta Secret Person');
    }
    const own = await lead.get('/compliance/alpha-housing/staff?team=Tenancy');
    expect(names(own.text).sort()).to.deep.equal(['Ann Compliant', 'Bob Expiring']);
    const csv = await (await lead.request('GET', '/compliance/alpha-housing/staff.csv')).text();
    expect(csv).to.not.contain('Beta Secret Person');
  });

  it('gives the self-assessment figures per group and quarter, and they change when evidence is added', async () => {
    const cellsOf = (html: string, row: string) => {
      const tr = html.slice(html.indexOf(`<th scope="row" class="govuk-table__header">${row}</th>`)).split('</tr>')[0];
      return [...tr.matchAll(/(\d+)% ?<\/span>|(\d+)%/g)].map((m) => Number(m[1] ?? m[2]));
    };
    const before = await lead.get('/compliance/alpha-housing/self-assessment');
    expect(before.status).to.equal(200);
    expect(before.text).to.contain('Print this page').and.contain('/modules/compliance/print.js').and.contain('/modules/compliance/print.css');
    const longDate = (day: string) =>
      new Date(`${day}T12:00:00Z`).toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'Europe/London' });
    expect(before.text)
      .to.contain(`>${longDate(quarters[0].end)}<`)
      .and.contain(`>${longDate(quarters[3].end)}<`);
    // Face-to-face last quarter: 3 Alpha places, 2 attended, 1 did not; the Beta place is not Alpha's.
    const lastQuarterRow = before.text.slice(before.text.indexOf(`<th scope="row" class="govuk-table__header">${quarters[3].label}</th>`)).split('</tr>')[0];
    expect([...lastQuarterRow.matchAll(/numeric">([^<]+)</g)].map((m) => m[1])).to.deep.equal(['1', '3', '2', '1', '0', '67%']);
    const group2Before = cellsOf(before.text, 'Group 2');
    expect(group2Before).to.deep.equal([0, 0, 0, 0, 0]);

    // Cy (Group 2) shows evidence achieved early in the last quarter: that quarter's end and today change, earlier quarters do not.
    await giveEvidence(ids['Cy Overdue'], 2, addDays(quarters[3].start, 5));
    const after = await lead.get('/compliance/alpha-housing/self-assessment');
    expect(cellsOf(after.text, 'Group 2')).to.deep.equal([0, 0, 0, 100, 100]);
    const allBefore = cellsOf(before.text, 'All staff');
    const allAfter = cellsOf(after.text, 'All staff');
    expect(allAfter[4]).to.be.greaterThan(allBefore[4]);
    expect(allAfter[0]).to.equal(allBefore[0]);
  });
});
