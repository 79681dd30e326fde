import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { DEMO_PASSWORD } from '../../server/demo';
import { TEST_DB } from '../../test/support/database';
import { addUser, startTestServer, TestAgent, type TestServer } from '../../test/support/server';
import { londonToday } from '../../server/london';
import { recordCourseCompletion } from '../evidence/api';
import { lastEndedQuarter, previousQuarter, quarterOf } from './quarters';
import { needsRefresh } from './store';

describe(`board coverage (${TEST_DB})`, function () {
  this.timeout(180_000);
  let server: TestServer;
  let board: TestAgent;
  let admin: TestAgent;
  let lead: TestAgent;
  const today = londonToday();
  const last = lastEndedQuarter(today);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lms-board-'));
  const pool = () => server.product.database.pool;
  const staffNames = async () => (await pool().query<{ name: string }>('select name from staff')).rows.map((r) => r.name);

  before(async () => {
    server = await startTestServer({ demo: true });
    const signedIn = async (email: string) => {
      const agent = new TestAgent(server.url);
      await agent.signIn(email, DEMO_PASSWORD);
      return agent;
    };
    [board, admin, lead] = await Promise.all([
      signedIn('board@vale-partnership.example'),
      signedIn('admin@vale-partnership.example'),
      signedIn('lead@valecounty.example'),
    ]);
  });
  after(async () => {
    await server?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('shows a board member the partnership, sector and organisation figures, with a trend, and never a person’s name', async () => {
    const names = await staffNames();
    expect(names.length).to.be.greaterThan(20);
    const pages = await Promise.all(['/board', '/board/sectors', '/board/organisations', `/board?quarter=${last.id}`].map((u) => board.get(u)));
    for (const page of pages) {
      expect(page.status).to.equal(200);
      for (const name of names) expect(page.text, name).to.not.include(name);
    }
    const [overview, sectors, organisations] = pages;
    expect(overview.text).to.include('Compliance by staff group');
    expect(overview.text).to.match(/<svg[^>]*role="img"[^>]*aria-label="Share of staff compliant, due soon and overdue by staff group/);
    expect(overview.text).to.include('Trend by quarter');
    expect(overview.text).to.include(`/board/report/${last.id}.pdf`);
    expect(overview.text).to.include('Figures as at');
    // It opens with the headline figures, before any chart.
    const main = overview.text.slice(overview.text.indexOf('<main'));
    for (const headline of ['Staff compliant', 'Change since last quarter', 'Coverage of declared headcount']) {
      expect(main.indexOf(headline), headline).to.be.greaterThan(0).and.lessThan(main.indexOf('<svg'));
    }
    expect(main).to.match(/Change since last quarter<\/h2>\s*<p[^>]*>(No change|[+−]\d+ points?|\[c\])<\/p>/);
    // Every colour a chart draws is named in its legend, the grey of withheld and not-yet-due included.
    for (const svg of overview.text.match(/<svg[\s\S]*?<\/svg>/g) ?? []) {
      const fills = new Set([...svg.matchAll(/<rect[^>]*fill="(#[0-9a-f]{6})"/g)].map((m) => m[1]));
      const legend = [...svg.matchAll(/<rect[^>]*fill="(#[0-9a-f]{6})"\/><text[^>]*>([^<]+)<\/text>/g)].map((m) => m[1]);
      for (const fill of fills) expect(legend, `${fill} in the legend`).to.include(fill);
    }
    expect(overview.text).to.include('In induction, not started, or withheld ([c])');
    expect(sectors.text).to.include('Voluntary or charity');
    expect(organisations.text).to.include('Vale Constabulary');
    // Board members look; they do not manage.
    expect(overview.text).to.not.include('Take snapshot');
    expect((await board.get('/board/licensing')).status).to.equal(403);
    expect((await board.postForm('/board/snapshots', { quarter: last.id, retake: 'yes' })).status).to.equal(403);
    expect((await lead.get('/board')).status).to.equal(403);

    const api = await board.getJson('/api/v1/board/coverage');
    expect(api.status).to.equal(200);
    const json = JSON.stringify(api.body);
    for (const name of names) expect(json, name).to.not.include(name);
    expect(api.body.organisations.map((o: { slug: string }) => o.slug)).to.include('vale-police');
  });

  it('answers the API for a snapshotted quarter end from the snapshot, and a bad date with a 400 saying what is wrong', async () => {
    const snap = await board.getJson(`/api/v1/board/coverage?asOf=${last.end}`);
    expect(snap.status).to.equal(200);
    expect(snap.body).to.include({ asOf: last.end, source: 'snapshot', quarter: last.id });
    expect(snap.body.disclosureControl).to.include({ threshold: 5, roundingBase: 5, withheldLabel: '[c]' });
    // Any other past day is the last quarter end on or before it, so no day-by-day series can be put together.
    const dayBefore = new Date(Date.parse(last.end) - 86_400_000).toISOString().slice(0, 10);
    const snapped = await board.getJson(`/api/v1/board/coverage?asOf=${dayBefore}`);
    expect(snapped.status).to.equal(200);
    expect(snapped.body).to.include({ asOf: previousQuarter(last).end, requestedAsOf: dayBefore, quarter: previousQuarter(last).id });
    for (const [asOf, message] of [
      ['2026-02-30', 'asOf 2026-02-30 is not a real date.'],
      ['30/03/2026', 'is not a date written YYYY-MM-DD'],
      ['2999-01-01', 'is in the future'],
    ]) {
      const res = await board.getJson(`/api/v1/board/coverage?asOf=${encodeURIComponent(asOf)}`);
      expect(res.status, asOf).to.equal(400);
      expect(res.body.error.message).to.include(message);
    }
  });

  it('keeps a quarter’s snapshot as reported after evidence is added and staff leave, unless an administrator retakes it (audited)', async () => {
    const asReported = (await board.getJson(`/api/v1/board/coverage?asOf=${last.end}`)).body;
    const policeInSnapshot = async () =>
      (await pool().query(`select figures -> 'organisations' as orgs from board_snapshots where quarter = $1`, [last.id])).rows[0].orgs.find(
        (o: { slug: string }) => o.slug === 'vale-police',
      );
    const keptPolice = await policeInSnapshot();
    // Back-dated evidence within the quarter, and leavers before its end: both would change a fresh computation.
    const { rows: people } = await pool().query<{ id: string }>(
      `select s.id from staff s join organisations o on o.id = s.organisation_id where o.slug = 'vale-police' and s.group_number is not null and s.leaving_date is null order by s.id limit 6`,
    );
    await pool().query(
      `insert into evidence (staff_id, competency_id, achieved_on, source, note)
       select s.id, c.id, $2::date, 'sign-off', 'back-dated in a test'
         from unnest($1::uuid[]) s(id) cross join competencies c join frameworks f on f.id = c.framework_id and f.status = 'published'
        where c.group_number = 1`,
      [people.slice(0, 3).map((p) => p.id), last.start],
    );
    await pool().query('update staff set leaving_date = $2 where id = any($1::uuid[])', [people.slice(3).map((p) => p.id), previousQuarter(last).end]);

    const again = await board.getJson(`/api/v1/board/coverage?asOf=${last.end}`);
    expect(again.body).to.deep.equal(asReported);
    const reportPage = await board.get(`/board?quarter=${last.id}`);
    expect(reportPage.status).to.equal(200);

    // Taking it again without saying so leaves it alone.
    await admin.get('/board');
    const kept = await admin.postForm('/board/snapshots', { quarter: last.id });
    expect(kept.status).to.equal(302);
    expect((await board.getJson(`/api/v1/board/coverage?asOf=${last.end}`)).body).to.deep.equal(asReported);

    // An explicit retake picks up the changes and is in the audit log.
    expect((await admin.postForm('/board/snapshots', { quarter: last.id, retake: 'yes' })).status).to.equal(302);
    const retaken = (await board.getJson(`/api/v1/board/coverage?asOf=${last.end}`)).body;
    // The board sees rounded figures, which may not move; the snapshot's own counts do.
    expect(retaken.computedAt).to.not.equal(asReported.computedAt);
    expect(await policeInSnapshot()).to.not.deep.equal(keptPolice);
    const { rows: audit } = await pool().query(`select detail from audit_log where action = 'board.snapshot-retaken'`);
    expect(audit).to.have.length(1);
    expect(audit[0].detail.quarter).to.equal(last.id);
    // A quarter not yet ended cannot be snapshotted.
    const early = await admin.postForm('/board/snapshots', { quarter: quarterOf(today).id });
    expect(early.status).to.equal(400);
    expect(await early.text()).to.include(`${quarterOf(today).id} has not ended yet`);
  });

  it('shows coverage of those on the system and of the declared headcount, so registering only trained staff does not look compliant', async () => {
    // A refuge (alone in its sector, so the sector total is its own) that has put only its 60 trained Group 1 volunteers on the system, but has 240.
    const { rows: org } = await pool().query<{ id: string }>(
      `insert into organisations (slug, name, sector, in_area) values ('test-refuge', 'Test Refuge', 'education', true) returning id`,
    );
    const { rows: staff } = await pool().query<{ id: string }>(
      `insert into staff (organisation_id, name, job_title, group_number, group_source, start_date, is_volunteer)
       select $1, 'Volunteer ' || n, 'Volunteer', 1, 'import', current_date - 400, true from generate_series(1, 60) n returning id`,
      [org[0].id],
    );
    await pool().query(
      `insert into evidence (staff_id, competency_id, achieved_on, source, note)
       select s.id, c.id, current_date - 30, 'sign-off', 'test'
         from unnest($1::uuid[]) s(id) cross join competencies c join frameworks f on f.id = c.framework_id and f.status = 'published'
        where c.group_number = 1`,
      [staff.map((s) => s.id)],
    );

    // A lead finds their own organisation's form from the navigation; an administrator sees who has not declared.
    const leadsOwn = await lead.get('/headcount');
    expect(leadsOwn.status).to.equal(302);
    expect(leadsOwn.res.headers.get('location')).to.equal('/organisations/vale-county-council/headcount');
    const list = await admin.get('/headcount');
    expect(list.text).to.match(/Test Refuge<\/a><\/th>\s*<td class="govuk-table__cell"><strong class="govuk-tag govuk-tag--grey">Not declared/);
    // The lead of another organisation cannot declare for it; an administrator can, and a bad form keeps what was stored.
    expect((await lead.postForm('/organisations/test-refuge/headcount', { staff1: '1' })).status).to.equal(404);
    const form = await admin.get('/organisations/test-refuge/headcount');
    expect(form.status).to.equal(200);
    expect(form.text).to.include('On the system now: 0 staff members and 60 volunteers.');
    const fields = (g: number, staffN: string, volunteers: string) => ({ [`staff${g}`]: staffN, [`volunteers${g}`]: volunteers });
    const good = { ...fields(1, '0', '240'), ...fields(2, '0', '0'), ...fields(3, '0', '0'), ...fields(4, '1', '0') };
    const bad = await admin.postForm('/organisations/test-refuge/headcount', { ...good, volunteers1: 'thirty' });
    expect(bad.status).to.equal(400);
    expect(await bad.text()).to.include('Volunteers in Group 1 must be a whole number, like 12');
    expect((await pool().query('select count(*)::int as n from board_declared_headcount where organisation_id = $1', [org[0].id])).rows[0].n).to.equal(0);
    expect((await admin.postForm('/organisations/test-refuge/headcount', good)).status).to.equal(302);

    expect((await admin.postForm('/board/refresh', {})).status).to.equal(302);
    const { body } = await board.getJson('/api/v1/board/coverage');
    const refuge = body.organisations.find((o: { slug: string }) => o.slug === 'test-refuge');
    const group1 = refuge.groups.find((g: { group: number }) => g.group === 1);
    expect(group1).to.include({ onSystem: 60, compliant: 60, compliantPercent: 100, declaredHeadcount: 240, compliantOfDeclaredPercent: 25 });
    const page = await board.get('/board/organisations');
    expect(page.text).to.include('Test Refuge');
    expect(page.text).to.not.include('Volunteer 1<');
  });

  it('marks today’s figures out of date when evidence is recorded, so the refresh job works them out again a few minutes later, once', async () => {
    await admin.postForm('/board/refresh', {});
    expect(await needsRefresh(pool(), today)).to.equal(false);
    const { rows: course } = await pool().query<{ id: string }>('select course_id as id from course_competencies limit 1');
    const { rows: person } = await pool().query<{ id: string }>(
      `select id from staff where leaving_date is null and group_number is not null order by id limit 1`,
    );
    await server.product.database.transaction((client) =>
      recordCourseCompletion(client, server.product.events, {
        staffId: person[0].id,
        courseId: course[0].id,
        achievedOn: today,
        source: 'elearning',
        sourceRef: 'board-test',
        recordedBy: null,
      }),
    );
    expect((await pool().query('select stale from board_figures_cache')).rows[0].stale).to.equal(true);
    // Not at once (more evidence may follow), but within the job's next runs.
    expect(await needsRefresh(pool(), today, new Date())).to.equal(false);
    expect(await needsRefresh(pool(), today, new Date(Date.now() + 6 * 60_000))).to.equal(true);
  });

  it('produces the quarter’s board report as a PDF with charts, tables and commentary, and as CSV', async () => {
    const res = await board.request('GET', `/board/report/${last.id}.pdf`);
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.equal('application/pdf');
    const file = path.join(tmp, 'report.pdf');
    fs.writeFileSync(file, Buffer.from(await res.arrayBuffer()));
    execFileSync('pdftoppm', ['-png', '-r', '30', '-f', '1', '-l', '1', '-singlefile', file, path.join(tmp, 'page')]);
    const png = fs.readFileSync(path.join(tmp, 'page.png'));
    // A4 portrait at 30 dpi: about 248 x 351 pixels, taller than wide.
    expect(png.readUInt32BE(16)).to.be.within(245, 252);
    expect(png.readUInt32BE(20)).to.be.within(348, 354);
    const text = execFileSync('pdftotext', ['-layout', file, '-']).toString();
    expect(text).to.include('Vale Domestic Abuse Partnership (demo)');
    expect(text).to.include(`Board report for ${last.label}`);
    expect(text).to.include('Biggest changes since the previous quarter');
    expect(text).to.match(/Whole partnership: the share compliant (rose|fell)|unchanged at|first quarter on record/);
    expect(text).to.include('Compliance by staff group');
    expect(text).to.match(/Staff compliant: (\d+%|\[c\])/);
    expect(text).to.match(/Change since last quarter: (No change|[+−]\d+ points?|\[c\]|–)/);
    expect(text).to.match(/Coverage of declared headcount: (\d+%|\[c\]|–)/);
    // The legend names the grey as well as the three statuses.
    for (const name of ['Compliant', 'Due soon', 'Overdue', 'In induction, not started, or withheld ([c])', 'Share compliant']) expect(text).to.include(name);
    expect(text).to.include('Vale Constabulary');
    expect(text).to.include('Face-to-face sessions run');
    for (const name of await staffNames()) expect(text, name).to.not.include(name);

    const csv = await board.request('GET', `/board/report/${last.id}.csv`);
    expect(csv.status).to.equal(200);
    const lines = (await csv.text()).trim().split(/\r?\n/);
    expect(lines[0]).to.equal(
      'level,name,group,on_system,compliant,due_soon,overdue,in_induction,not_started,compliant_percent,declared_headcount,compliant_of_declared_percent',
    );
    expect(lines.some((l) => l.startsWith('partnership,Whole partnership,all,'))).to.equal(true);
    expect((await board.request('GET', '/board/report/1999-Q1.pdf')).status).to.equal(404);
  });

  it('gives administrators the licensing figures for organisations outside the area, on screen and as CSV', async () => {
    // One Northshire member of staff starts and finishes a module this month: one active learner.
    const { rows: version } = await pool().query<{ id: string; course_id: string }>(
      'select v.id, p.course_id from scorm_package_versions v join scorm_packages p on p.id = v.package_id where p.course_id is not null limit 1',
    );
    const { rows: person } = await pool().query<{ id: string }>(
      `select s.id from staff s join organisations o on o.id = s.organisation_id where o.slug = 'northshire-council' order by s.id limit 1`,
    );
    const user = await addUser(server, 'learner');
    await pool().query('update staff set user_id = $1 where id = $2', [user.id, person[0].id]);
    await pool().query(
      `insert into scorm_attempts (user_id, staff_id, course_id, package_version_id, status, completed_at) values ($1, $2, $3, $4, 'completed', now())`,
      [user.id, person[0].id, version[0].course_id, version[0].id],
    );
    const page = await admin.get('/board/licensing');
    expect(page.status).to.equal(200);
    expect(page.text).to.include('Northshire District Council');
    expect(page.text).to.not.include('Vale Constabulary');
    const csv = await (await admin.request('GET', '/board/licensing.csv')).text();
    const [header, row] = csv.trim().split(/\r?\n/);
    expect(header).to.match(/^organisation,slug,licence_status,licence_starts_on,licence_ends_on,seats,seats_used,active_learners_/);
    expect(row).to.match(/^Northshire District Council,northshire-council,active,\d{4}-01-01,\d{4}-12-31,50,\d+,/);
    const columns = header.split(',');
    const cells = row.split(',');
    expect(Number(cells[columns.indexOf(`active_learners_${today.slice(0, 7)}`)])).to.equal(1);
    expect(Number(cells[columns.indexOf(`active_learners_${quarterOf(today).id}`)])).to.equal(1);
  });

  it('lets an administrator set the small-number threshold, refusing a bad one with a clear message and keeping the old', async () => {
    await admin.get('/board');
    const bad = await admin.postForm('/board/settings', { threshold: '1' });
    expect(bad.status).to.equal(400);
    expect(await bad.text()).to.include('Enter the smallest count shown as a whole number from 3 to 50');
    expect((await board.getJson('/api/v1/board/coverage')).body.disclosureControl.threshold).to.equal(5);
    expect((await admin.postForm('/board/settings', { threshold: '10' })).status).to.equal(302);
    const { body } = await board.getJson('/api/v1/board/coverage');
    expect(body.disclosureControl.threshold).to.equal(10);
    const counts = JSON.stringify(body.organisations).match(/"(onSystem|compliant|overdue)":\d+/g) ?? [];
    // Every count shown is 0 or at least 10, and a multiple of 5; the rest are null and listed as withheld.
    for (const c of counts) expect(Number(c.split(':')[1]) === 0 || (Number(c.split(':')[1]) >= 10 && Number(c.split(':')[1]) % 5 === 0), c).to.equal(true);
    expect(JSON.stringify(body.organisations)).to.match(/"withheld":\["/);
    const { rows } = await pool().query(`select count(*)::int as n from audit_log where action = 'board.threshold-set'`);
    expect(rows[0].n).to.equal(1);
  });
});
