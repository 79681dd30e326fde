import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { PoolClient } from 'pg';
import { TEST_DB } from '../../test/support/database';
import { ZipArchive } from 'archiver';
import os from 'node:os';
import { contentRequest } from '../../test/support/content-origin';
import { addUser, startTestServer, TestAgent, type TestServer } from '../../test/support/server';
import { commitTokens } from './commit-token';
import { importPackage, knownAttempt } from './service';
import * as store from './store';

const FIXTURES = path.resolve(__dirname, '../../../shared/scorm-fixtures');
const DEMO_PASSWORD = 'demo-learning-2026';
const SCO = 'awareness_sco';

function playerData(html: string): {
  attemptId: string;
  commitUrl: string;
  commitToken?: string;
  scos: { identifier: string; url: string; cmi: Record<string, string> }[];
} {
  const m = html.match(/data-player="([^"]+)"/);
  if (!m) throw new Error('no player on the page');
  const json = m[1]
    .replace(/&quot;/g, '"')
    .replace(/&#x27;/g, "'")
    .replace(/&#x3D;/g, '=')
    .replace(/&#x60;/g, '`')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
  return JSON.parse(json);
}

/** Imports and publishes a SCORM 2004 package of two SCOs ("Part one", "Part two") with the item identifiers given. */
async function importTwoPartPackage(server: TestServer, identifier: string, title: string, items: [string, string]) {
  const manifest = `<?xml version="1.0"?>
<manifest identifier="${identifier}" xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3">
  <metadata><schema>ADL SCORM</schema><schemaversion>2004 3rd Edition</schemaversion></metadata>
  <organizations default="o"><organization identifier="o"><title>${title}</title>
    <item identifier="${items[0]}" identifierref="r1"><title>Part one</title></item>
    <item identifier="${items[1]}" identifierref="r2"><title>Part two</title></item>
  </organization></organizations>
  <resources>
    <resource identifier="r1" type="webcontent" adlcp:scormType="sco" href="one.html"/>
    <resource identifier="r2" type="webcontent" adlcp:scormType="sco" href="two.html"/>
  </resources>
</manifest>`;
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'multi-')), 'multi.zip');
  const archive = new ZipArchive();
  const out = fs.createWriteStream(file);
  const closed = new Promise<void>((resolve) => out.on('close', () => resolve()));
  archive.pipe(out);
  archive.append(manifest, { name: 'imsmanifest.xml' });
  archive.append('<p>one</p>', { name: 'one.html' });
  archive.append('<p>two</p>', { name: 'two.html' });
  await archive.finalize();
  await closed;
  const result = await importPackage({ config: server.product.config, database: server.product.database }, file);
  await server.product.database.pool.query(`update courses set status = 'published' where id = $1`, [result.courseId]);
  return result;
}

describe(`SCORM tracking over HTTP (${TEST_DB})`, () => {
  let server: TestServer;
  let learner: TestAgent;
  let attemptId: string;
  let commitUrl: string;
  let firstToken: string;

  before(async function () {
    // Starting the product on a fresh database is the slow part; give it room on a busy machine.
    this.timeout(180_000);
    server = await startTestServer({ demo: true });
    learner = new TestAgent(server.url);
    await learner.signIn('learner@valecounty.example', DEMO_PASSWORD);
    const page = await learner.get('/courses/domestic-abuse-awareness/play');
    expect(page.status).to.equal(200);
    ({ attemptId, commitUrl } = playerData(page.text));
    firstToken = playerData(page.text).commitToken ?? '';
  });
  after(async () => server?.close());

  const commit = (agent: TestAgent, sequence: number, cmi: Record<string, string>) => agent.postJson(commitUrl, { sco: SCO, sequence, sessionId: 's1', cmi });

  it('plays the demo awareness module from the content origin, behind a capability URL that needs no cookie and sets none', async () => {
    const page = await learner.get('/courses/domestic-abuse-awareness/play');
    expect(page.text).to.contain('<h1 class="govuk-heading-l">Domestic abuse awareness</h1>');
    expect(page.text).to.contain('src="/scorm/vendor/scorm-again.min.js"');
    expect(page.text).to.match(/<iframe id="scorm-frame"[^>]* sandbox="allow-scripts allow-same-origin allow-forms allow-modals"/);
    const csp = page.res.headers.get('content-security-policy') ?? '';
    expect(csp).to.not.contain('unsafe-inline');
    const port = new URL(server.url).port;
    expect(csp, 'the player frames only the content origin').to.contain(`frame-src http://content.localhost:${port};`);
    const { scos } = playerData(page.text);
    expect(scos[0].cmi['cmi.core.entry']).to.equal('ab-initio');
    const run = new URL(scos[0].url);
    expect(run.origin).to.equal(`http://content.localhost:${port}`);
    // The page that frames the SCO and gives it the API: framed only by the product page's origin.
    const wrapper = await contentRequest(server, scos[0].url);
    expect(wrapper.status).to.equal(200);
    expect(wrapper.headers['set-cookie']).to.equal(undefined);
    expect(wrapper.headers['content-security-policy']).to.contain(`frame-ancestors ${new URL(server.url).origin};`);
    expect(wrapper.text).to.contain('src="/scorm/bridge/cross-frame-api.min.js"');
    const launch = wrapper.text.match(/data-launch="([^"]+)"/)?.[1] ?? '';
    const file = new URL(launch, run.origin).href;
    // The package's files: with the product's cookie or without, the same answer, and no cookie set.
    for (const cookie of [undefined, `dal.sid=${'x'.repeat(20)}`]) {
      const content = await contentRequest(server, file, cookie ? { headers: { cookie } } : {});
      expect(content.status).to.equal(200);
      expect(content.headers['content-type']).to.match(/^text\/html/);
      expect(content.headers['set-cookie']).to.equal(undefined);
      const policy = String(content.headers['content-security-policy']);
      expect(policy)
        .to.contain("'unsafe-inline'")
        .and.contain("connect-src 'self'")
        .and.contain('sandbox allow-scripts allow-same-origin allow-forms allow-modals');
      expect(policy).to.not.contain('allow-top-navigation').and.not.contain('allow-popups');
    }
    const base = file.replace(/index\.html$/, '');
    expect((await contentRequest(server, `${base}course.js`)).headers['content-type']).to.match(/javascript/);
    expect((await contentRequest(server, base)).status).to.equal(404);
    expect((await contentRequest(server, `${base}..%2F..%2F..%2Fpackage.json`)).status).to.equal(404);
    expect((await contentRequest(server, `${base}%2e%2e/%2e%2e/%2e%2e/package.json`)).status).to.equal(404);
    // A forged capability, and another version's files under this one's signature, are not found.
    const [versionId, attempt, origin, expires, mac] = run.pathname.split('/')[3].split('.');
    expect((await contentRequest(server, file.replace(mac, `${mac.slice(0, -2)}AA`))).status).to.equal(404);
    expect(
      (
        await contentRequest(
          server,
          file.replace(`${versionId}.${attempt}.${origin}.${expires}`, `${versionId}.${attempt}.${origin}.${Number(expires) + 86_400}`),
        )
      ).status,
    ).to.equal(404);
    // The product's pages are not served on the content origin, and package files not on the product's.
    expect(
      (await contentRequest(server, `http://content.localhost:${port}/my-learning`, { headers: { cookie: `dal.sid=${'x'.repeat(20)}` } })).status,
    ).to.equal(404);
    expect((await learner.request('GET', new URL(file).pathname)).status).to.equal(404);
  });

  it('stores commits, ignores a stale one that arrives late, and resumes from the stored data', async () => {
    let res = await commit(learner, 10, {
      'cmi.core.lesson_location': '3',
      'cmi.core.lesson_status': 'incomplete',
      'cmi.suspend_data': '{"page":3}',
      'cmi.core.exit': 'suspend',
    });
    expect(res.status).to.equal(200);
    expect(await res.json()).to.include({ stored: true, status: 'incomplete' });
    res = await commit(learner, 5, { 'cmi.core.lesson_location': '1' });
    expect(res.status).to.equal(200);
    expect(await res.json()).to.include({ stored: false, reason: 'stale' });
    const { scos } = playerData((await learner.get('/courses/domestic-abuse-awareness/play')).text);
    expect(scos[0].cmi).to.include({ 'cmi.core.lesson_location': '3', 'cmi.suspend_data': '{"page":3}', 'cmi.core.entry': 'resume' });
  });

  it('leaves out values of the wrong type or size for SCORM 1.2 and unknown elements, naming them, and stores every other value', async () => {
    const bad: Record<string, string>[] = [
      { 'cmi.suspend_data': 'x'.repeat(4097) },
      { 'cmi.core.lesson_status': 'done' },
      { 'cmi.core.score.raw': 'ninety' },
      { 'cmi.core.not_an_element': '1' },
    ];
    let sequence = 11;
    for (const cmi of bad) {
      sequence += 1;
      const res = await commit(learner, sequence, { ...cmi, 'cmi.comments': `note ${sequence}` });
      expect(res.status, JSON.stringify(cmi).slice(0, 60)).to.equal(200);
      const answer = await res.json();
      expect(answer).to.include({ stored: true });
      expect(answer.problems[0]).to.contain(Object.keys(cmi)[0]);
    }
    const { scos } = playerData((await learner.get('/courses/domestic-abuse-awareness/play')).text);
    // The earlier suspend data is kept; the comment sent beside each bad value was stored.
    expect(scos[0].cmi).to.include({ 'cmi.suspend_data': '{"page":3}', 'cmi.comments': `note ${sequence}` });
    expect(scos[0].cmi['cmi.core.not_an_element']).to.equal(undefined);
    const malformed = await learner.postJson(commitUrl, { sco: SCO, sequence: sequence + 1, sessionId: 's1', cmi: ['not', 'an', 'object'] });
    expect(malformed.status).to.equal(422);
    expect((await malformed.json()).error.message).to.contain('cannot accept');
  });

  it("answers 404 to another user's attempt and stores nothing", async () => {
    const other = await addUser(server, 'learner');
    const agent = new TestAgent(server.url);
    await agent.signIn(other.email);
    await agent.get('/courses');
    const res = await commit(agent, 999_999, { 'cmi.core.lesson_location': '4' });
    expect(res.status).to.equal(404);
    const { rows } = await server.product.database.pool.query(`select cmi->>'cmi.core.lesson_location' as loc from scorm_sco_states where attempt_id = $1`, [
      attemptId,
    ]);
    expect(rows[0].loc).to.equal('3');
  });

  it('accepts the page-close beacon (form body with _csrf) and records evidence once the module is passed', async () => {
    await learner.get('/my-learning');
    const res = await learner.postForm(commitUrl, {
      payload: JSON.stringify({
        sco: SCO,
        sequence: 20,
        sessionId: 's1',
        cmi: { 'cmi.core.lesson_status': 'passed', 'cmi.core.score.raw': '100', 'cmi.core.score.max': '100', 'cmi.core.session_time': '0000:05:00' },
      }),
    });
    expect(res.status).to.equal(200);
    expect(await res.json()).to.include({ stored: true, status: 'passed', finished: true });
    const { rows } = await server.product.database.pool.query<{ lineage: string }>(
      `select c.lineage from evidence e join competencies c on c.id = e.competency_id where e.source_ref = $1 order by c.lineage`,
      [attemptId],
    );
    expect(rows.map((r) => r.lineage)).to.deep.equal(['g1c1', 'g1c2', 'g1c3', 'g1c4', 'g1c5', 'g1c6']);
    const mine = await learner.get('/my-learning');
    expect(mine.text).to.match(/Domestic abuse awareness[\s\S]*Passed[\s\S]*100%[\s\S]*5 minutes/);
  });

  it('refuses every commit to the finished attempt: the commit token it had, and the session while reviewing', async () => {
    const stored = async () =>
      (
        await server.product.database.pool.query(
          `select a.status, a.score, s.cmi->>'cmi.core.lesson_status' as lesson from scorm_attempts a join scorm_sco_states s on s.attempt_id = a.id where a.id = $1`,
          [attemptId],
        )
      ).rows[0];
    const before = await stored();
    expect(before).to.include({ status: 'passed', lesson: 'passed' });
    // The same token after passing: passed → failed, score 3.
    const byToken = await fetch(new URL(commitUrl, server.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'x-commit-token': firstToken },
      body: JSON.stringify({ sco: SCO, sequence: 30, sessionId: 's1', cmi: { 'cmi.core.lesson_status': 'failed', 'cmi.core.score.raw': '3' } }),
    });
    expect(byToken.status).to.equal(409);
    expect(await byToken.json())
      .to.include({ result: 'false', stored: false, reason: 'finished' })
      .and.not.have.property('commitToken');
    // Reviewing: the session-signed commit the review page could send, → passed 77, gets no fresh token.
    const review = await learner.get('/courses/domestic-abuse-awareness/play');
    expect(review.text).to.contain('Reviewing your finished attempt');
    expect(playerData(review.text).commitToken, 'a review is given no commit token').to.equal(undefined);
    const bySession = await commit(learner, 31, { 'cmi.core.lesson_status': 'passed', 'cmi.core.score.raw': '77' });
    expect(bySession.status).to.equal(409);
    expect(await bySession.json())
      .to.include({ reason: 'finished' })
      .and.not.have.property('commitToken');
    // The page-close beacon too.
    const beacon = await learner.postForm(commitUrl, {
      payload: JSON.stringify({ sco: SCO, sequence: 32, sessionId: 's1', cmi: { 'cmi.core.lesson_status': 'failed' } }),
    });
    expect(beacon.status).to.equal(409);
    expect(await stored()).to.deep.equal(before);
    const { rows } = await server.product.database.pool.query(`select count(*)::int as n from evidence where source_ref = $1`, [attemptId]);
    expect(rows[0].n, 'evidence is unchanged').to.equal(6);
  });

  it('lets the learner review a finished attempt or start a new one', async () => {
    const review = await learner.get('/courses/domestic-abuse-awareness/play');
    expect(review.text).to.contain('Reviewing your finished attempt');
    expect(playerData(review.text).scos[0].cmi['cmi.core.lesson_mode']).to.equal('review');
    const res = await learner.postForm('/courses/domestic-abuse-awareness/attempts', {});
    expect(res.status).to.equal(302);
    const fresh = playerData((await learner.get('/courses/domestic-abuse-awareness/play')).text);
    expect(fresh.attemptId).to.not.equal(attemptId);
    expect(fresh.scos[0].cmi['cmi.core.entry']).to.equal('ab-initio');
  });

  it('keeps the Group 2 course closed until the Group 1 awareness course is finished', async () => {
    const fresh = await addUser(server, 'learner');
    const agent = new TestAgent(server.url);
    await agent.signIn(fresh.email);
    await server.product.database.pool.query(
      `insert into staff (organisation_id, user_id, name, email, job_title, group_number) select id, $1, 'New Starter', $2, 'Housing officer', 2 from organisations where slug = 'vale-homes'`,
      [fresh.id, fresh.email],
    );
    const page = await agent.get('/courses/responding-to-domestic-abuse/play');
    expect(page.status).to.equal(403);
    expect(page.text).to.contain('Finish the earlier course first');
    expect(page.text).to.contain('Domestic abuse awareness');
  });

  it("refuses to launch when the learner's out-of-area organisation's licence has lapsed", async () => {
    const pool = server.product.database.pool;
    const user = await addUser(server, 'learner');
    await pool.query(
      `insert into staff (organisation_id, user_id, name, email, job_title, group_number) select id, $1, 'Out Of Area', $2, 'Admin officer', 1 from organisations where slug = 'northshire-council'`,
      [user.id, user.email],
    );
    await pool.query(
      `update organisation_licences set starts_on = current_date - 400, ends_on = current_date - 35 where organisation_id = (select id from organisations where slug = 'northshire-council')`,
    );
    const agent = new TestAgent(server.url);
    await agent.signIn(user.email);
    const page = await agent.get('/courses/domestic-abuse-awareness/play');
    expect(page.status).to.equal(403);
    expect(page.text).to.contain('e-learning licence has lapsed');
    expect(page.text).to.contain('licence for the e-learning ended');
  });

  it('shows trainers and leads a per-course report of only the staff they may see', async () => {
    const lead = new TestAgent(server.url);
    await lead.signIn('lead@valecounty.example', DEMO_PASSWORD);
    const report = await lead.get('/courses/domestic-abuse-awareness/report');
    expect(report.status).to.equal(200);
    expect(report.text).to.match(/Sam Taylor[\s\S]*Vale County Council/);
    const otherLead = await addUser(server, 'org-lead', { organisationSlug: 'vale-police' });
    const police = new TestAgent(server.url);
    await police.signIn(otherLead.email);
    const scoped = await police.get('/courses/domestic-abuse-awareness/report');
    expect(scoped.status).to.equal(200);
    expect(scoped.text).to.not.contain('Sam Taylor');
    const board = new TestAgent(server.url);
    await board.signIn('board@vale-partnership.example', DEMO_PASSWORD);
    expect((await board.get('/courses/domestic-abuse-awareness/report')).status).to.equal(403);
  });

  it('lets a member of the public register with name and email and take only public courses', async () => {
    const visitor = new TestAgent(server.url);
    await visitor.get('/public-learning/register');
    const bad = await visitor.postForm('/public-learning/register', { name: '', email: 'not-an-email', password: 'x' });
    expect(bad.status).to.equal(400);
    const badText = await bad.text();
    expect(badText).to.contain('govuk-error-summary');
    expect(badText).to.contain('Enter your name');
    const res = await visitor.postForm('/public-learning/register', {
      name: 'Jo Public',
      email: 'jo.public@example.org',
      password: 'a long public password 2026',
    });
    expect(res.status).to.equal(200);
    // Nothing exists until the emailed link is opened (registration.test.ts tries this as an attacker would).
    const { rows: mail } = await server.product.database.pool.query<{ text_body: string }>(
      `select text_body from outbound_messages where to_address = 'jo.public@example.org'`,
    );
    const link = mail[0].text_body.match(/https?:\/\/\S+(\/public-learning\/confirm\/[\w-]+)/)![1];
    await visitor.request('GET', link);
    await visitor.get('/public-learning/confirm');
    expect((await visitor.postForm('/public-learning/confirm', {})).status).to.equal(302);
    const { rows } = await server.product.database.pool.query(
      `select r.role, r.organisation_id from users u join user_roles r on r.user_id = u.id where u.email = 'jo.public@example.org'`,
    );
    expect(rows).to.deep.equal([{ role: 'learner', organisation_id: null }]);
    const list = await visitor.get('/courses');
    expect(list.status).to.equal(200);
    expect(list.text).to.not.contain('Domestic abuse awareness');
    const refused = await visitor.get('/courses/domestic-abuse-awareness/play');
    expect(refused.status).to.equal(403);
    expect(refused.text).to.contain('This course is for professionals');
    await server.product.database.pool.query(`update courses set audience = 'public' where slug = 'domestic-abuse-awareness'`);
    const play = await visitor.get('/courses/domestic-abuse-awareness/play');
    expect(play.status).to.equal(200);
    await server.product.database.pool.query(`update courses set audience = 'professionals' where slug = 'domestic-abuse-awareness'`);
  });

  it('shows a table of contents for a multi-SCO package and finishes only when every SCO is done', async () => {
    const result = await importTwoPartPackage(server, 'test.multi', 'Two parts', ['part1', 'part2']);
    const page = await learner.get(`/courses/${result.courseSlug}/play`);
    expect(page.text).to.match(/<nav aria-labelledby="scorm-toc-heading"[\s\S]*data-sco="part1">Part one<[\s\S]*data-sco="part2">Part two</);
    const url = playerData(page.text).commitUrl;
    const first = await learner.postJson(url, { sco: 'part1', sequence: 1, sessionId: 'm', cmi: { 'cmi.completion_status': 'completed' } });
    expect(await first.json()).to.include({ status: 'incomplete', finished: false });
    const second = await learner.postJson(url, { sco: 'part2', sequence: 2, sessionId: 'm', cmi: { 'cmi.completion_status': 'completed' } });
    expect(await second.json()).to.include({ status: 'completed', finished: true });
  });

  it('keeps completion and success apart: completed but failed is not finished without a pass mark, and nothing finishes before the SCO ends', async () => {
    const result = await importTwoPartPackage(server, 'test.failing', 'Failing quiz', ['intro', 'quiz']);
    const page = await learner.get(`/courses/${result.courseSlug}/play`);
    const { commitUrl: url, attemptId: attempt } = playerData(page.text);
    await learner.postJson(url, { sco: 'intro', sequence: 1, sessionId: 'f', cmi: { 'cmi.completion_status': 'completed' } });
    // Still running: a "passed" on the way does not finish the attempt.
    let res = await learner.postJson(url, {
      sco: 'quiz',
      sequence: 2,
      sessionId: 'f',
      final: false,
      cmi: { 'cmi.completion_status': 'completed', 'cmi.success_status': 'passed' },
    });
    expect(await res.json()).to.include({ finished: false });
    res = await learner.postJson(url, {
      sco: 'quiz',
      sequence: 3,
      sessionId: 'f',
      final: true,
      cmi: { 'cmi.completion_status': 'completed', 'cmi.success_status': 'failed' },
    });
    expect(await res.json()).to.include({ status: 'failed', finished: false });
    const evidence = await server.product.database.pool.query('select 1 from evidence where source_ref = $1', [attempt]);
    expect(evidence.rowCount).to.equal(0);
    const again = await learner.get(`/courses/${result.courseSlug}/play`);
    expect(again.text).to.match(/govuk-tag--orange"[^>]*>Not passed/);
    expect(again.text).to.contain('Start a new attempt');
  });

  it('orders commits of two pages by the server: one behind another page is told so (409) and stores nothing', async () => {
    const result = await importTwoPartPackage(server, 'test.tabs', 'Two tabs', ['a', 'b']);
    const { commitUrl: url } = playerData((await learner.get(`/courses/${result.courseSlug}/play`)).text);
    const send = (sessionId: string, sequence: number, base: number, location: string) =>
      learner.postJson(url, { sco: 'a', sequence, sessionId, base, cmi: { 'cmi.location': location } });
    let res = await send('tab1', 1, 0, 'one');
    const first = await res.json();
    expect(first).to.include({ stored: true, revision: 1 });
    res = await send('tab2', 1, 1, 'two');
    expect(await res.json()).to.include({ stored: true, revision: 2 });
    // Tab one last saw revision 1: storing its commit would lose tab two's.
    res = await send('tab1', 2, 1, 'one again');
    expect(res.status).to.equal(409);
    expect(await res.json()).to.include({ stored: false, reason: 'behind', revision: 2 });
    // A late arrival of tab two's own earlier commit is superseded, quietly.
    res = await send('tab2', 1, 1, 'two, late');
    expect(await res.json()).to.include({ stored: false, reason: 'stale' });
    const { scos } = playerData((await learner.get(`/courses/${result.courseSlug}/play`)).text);
    expect(scos[0].cmi['cmi.location']).to.equal('two');
  });

  it('serves a file a package lacks as a plain 404, without the product layout', async () => {
    const { scos } = playerData((await learner.get('/courses/domestic-abuse-awareness/play')).text);
    // Package files are served on the content origin only, under the capability the run page names.
    const run = new URL(scos[0].url);
    const capability = /^\/scorm\/run\/([^/]+)$/.exec(run.pathname)?.[1];
    const res = await contentRequest(server, `${run.origin}/scorm/c/${capability}/no-such-file.html`);
    expect(res.status).to.equal(404);
    expect(res.headers['content-type']).to.match(/^text\/plain/);
    expect(res.text).to.contain('Not found').and.not.contain('Sign out');
    // Shown inside the player's frames, so the player page may frame it.
    expect(res.headers['content-security-policy']).to.contain(`frame-ancestors 'self' ${new URL(server.url).origin}`);
  });

  it('lets an administrator upload a package (streamed multipart) and shows refusals with their message', async () => {
    const admin = new TestAgent(server.url);
    await admin.signIn('admin@vale-partnership.example', DEMO_PASSWORD);
    const page = await admin.get('/scorm/packages');
    expect(page.text).to.contain('id="upload-progress"');
    const upload = async (file: string) => {
      const form = new FormData();
      form.append('course', '');
      form.append('package', new Blob([fs.readFileSync(path.join(FIXTURES, file))], { type: 'application/zip' }), file);
      return admin.request('POST', '/scorm/packages', { body: form, headers: { 'x-csrf-token': admin.csrfToken ?? '', accept: 'application/json' } });
    };
    const ok = await upload('singlescobasic.zip');
    expect(ok.status).to.equal(200);
    expect((await ok.json()).redirect).to.match(/^\/courses\/golf-explained/);
    const refused = await upload('invalid.zip');
    expect(refused.status).to.equal(422);
    expect((await refused.json()).error.message).to.contain('no imsmanifest.xml');
  });

  describe('the common commit in one statement', () => {
    let sam: TestAgent;
    let samId: string;
    let attempt: string;
    let url: string;
    let transactions = 0;
    let restore: () => void;

    before(async () => {
      const database = server.product.database;
      const original = database.transaction;
      database.transaction = <T>(fn: (client: PoolClient) => Promise<T>): Promise<T> => {
        transactions++;
        return original.call(database, fn) as Promise<T>;
      };
      restore = () => {
        database.transaction = original;
      };
      const user = await addUser(server, 'learner');
      samId = user.id;
      await database.pool.query(
        `insert into staff (organisation_id, user_id, name, email, job_title, group_number) select id, $1, 'Fast Learner', $2, 'Housing officer', 1 from organisations where slug = 'vale-homes'`,
        [user.id, user.email],
      );
      sam = new TestAgent(server.url);
      await sam.signIn(user.email);
      const page = await sam.get('/courses/domestic-abuse-awareness/play');
      expect(page.status).to.equal(200);
      ({ attemptId: attempt, commitUrl: url } = playerData(page.text));
    });
    after(() => restore());

    const send = (sequence: number, cmi: Record<string, string>, sessionId = 'a') => sam.postJson(url, { sco: SCO, sequence, sessionId, cmi });
    const row = async () =>
      (
        await server.product.database.pool.query<{
          status: string;
          score: number | null;
          time_seconds: number;
          completed_at: Date | null;
          evidence_recorded_at: Date | null;
        }>('select status, score, time_seconds, completed_at, evidence_recorded_at from scorm_attempts where id = $1', [attempt])
      ).rows[0];

    it('stores commits without a transaction from the first one after the player opens, sums the time, refuses a stale one, and resumes', async () => {
      // Opening the player remembered the attempt, so even the first commit is one statement.
      expect(knownAttempt(server.product.database, attempt)).to.include({ userId: samId, finished: false });
      const before = transactions;
      let res = await send(1, { 'cmi.core.lesson_status': 'incomplete', 'cmi.core.session_time': '0000:01:00' });
      expect(await res.json()).to.include({ stored: true, status: 'incomplete', finished: false });
      res = await send(2, {
        'cmi.core.lesson_location': '5',
        'cmi.suspend_data': '{"page":5}',
        'cmi.core.exit': 'suspend',
        'cmi.core.session_time': '0000:02:00',
      });
      expect(await res.json()).to.include({ stored: true, status: 'incomplete', finished: false });
      res = await send(3, { 'cmi.core.lesson_status': 'incomplete', 'cmi.core.score.raw': '40', 'cmi.core.session_time': '0000:00:30' }, 'b');
      expect(await res.json()).to.include({ stored: true, status: 'incomplete', score: 40, finished: false });
      expect(transactions, 'the common commits took no transaction').to.equal(before);
      expect(await row()).to.include({ status: 'incomplete', score: 40, time_seconds: 150, completed_at: null });

      res = await send(2, { 'cmi.core.lesson_location': '1' });
      expect(await res.json()).to.include({ stored: false, reason: 'stale' });
      const { scos } = playerData((await sam.get('/courses/domestic-abuse-awareness/play')).text);
      expect(scos[0].cmi).to.include({
        'cmi.core.lesson_location': '5',
        'cmi.suspend_data': '{"page":5}',
        'cmi.core.entry': 'resume',
        'cmi.core.total_time': '0000:02:30',
      });
      expect(await row()).to.include({ time_seconds: 150 });
    });

    it("answers 404 to another user's commit to a cached attempt and stores nothing", async () => {
      expect(knownAttempt(server.product.database, attempt)?.userId).to.equal(samId);
      const other = await addUser(server, 'learner');
      const agent = new TestAgent(server.url);
      await agent.signIn(other.email);
      await agent.get('/courses');
      const res = await agent.postJson(url, { sco: SCO, sequence: 999_999, sessionId: 'x', cmi: { 'cmi.core.lesson_location': '9' } });
      expect(res.status).to.equal(404);
      // Even a wrong cache entry could not make the statement write someone else's attempt.
      const known = knownAttempt(server.product.database, attempt)!;
      const written = await store.commitInOneStatement(server.product.database.pool, {
        attemptId: attempt,
        userId: other.id,
        packageVersionId: known.packageVersionId,
        passMark: known.passMark,
        sco: SCO,
        sequence: 999_999,
        cmi: { 'cmi.core.lesson_location': '9' },
        sessionId: 'x',
        sessionSeconds: 0,
        expected: {},
        absent: [],
        status: 'incomplete',
        score: null,
      });
      expect(written).to.equal(undefined);
      const { rows } = await server.product.database.pool.query(
        `select cmi->>'cmi.core.lesson_location' as loc, last_sequence::int as seq from scorm_sco_states where attempt_id = $1`,
        [attempt],
      );
      expect(rows[0]).to.deep.equal({ loc: '5', seq: 3 });
    });

    it('writes the commits of learners committing at once together, each stored on its own terms', async () => {
      const database = server.product.database;
      const learners = await Promise.all(
        Array.from({ length: 8 }, async (_, i) => {
          const user = await addUser(server, 'learner');
          await database.pool.query(
            `insert into staff (organisation_id, user_id, name, email, job_title, group_number) select id, $1, $2, $3, 'Housing officer', 1 from organisations where slug = 'vale-homes'`,
            [user.id, `Busy Learner ${i}`, user.email],
          );
          const agent = new TestAgent(server.url);
          await agent.signIn(user.email);
          const { attemptId, commitUrl } = playerData((await agent.get('/courses/domestic-abuse-awareness/play')).text);
          return { agent, attemptId, commitUrl, i };
        }),
      );
      // Count the commits each statement carried, as PostgreSQL receives them.
      const sizes: number[] = [];
      const query = database.pool.query;
      database.pool.query = ((config: unknown, values?: unknown) => {
        const text = typeof config === 'object' && config && 'text' in config ? String((config as { text: string }).text) : String(config);
        if (text.includes('into scorm_sco_states as s') && text.includes('unnest(')) sizes.push(((config as { values: unknown[][] }).values ?? [])[0].length);
        return (query as (c: unknown, v?: unknown) => unknown).call(database.pool, config, values);
      }) as typeof query;
      const before = transactions;
      try {
        for (let round = 1; round <= 3; round++) {
          const answers = await Promise.all(
            learners.map((l) =>
              l.agent.postJson(l.commitUrl, {
                sco: SCO,
                sequence: round,
                sessionId: 's',
                cmi: { 'cmi.core.lesson_location': `${l.i}-${round}`, 'cmi.core.session_time': '0000:00:10' }, // the session's time so far: the last one counts
              }),
            ),
          );
          for (const a of answers) expect(await a.json()).to.include({ stored: true, finished: false });
        }
        expect(transactions, 'none of these commits needed a transaction').to.equal(before);
        // A late copy of round 2 from each learner: refused as stale, whatever it was written with.
        const late = await Promise.all(
          learners.map((l) => l.agent.postJson(l.commitUrl, { sco: SCO, sequence: 2, sessionId: 's', cmi: { 'cmi.core.lesson_location': 'late' } })),
        );
        for (const a of late) expect(await a.json()).to.include({ stored: false, reason: 'stale' });
      } finally {
        database.pool.query = query;
      }
      expect(Math.max(...sizes), 'commits that arrived together went in one statement').to.be.greaterThan(1);
      const { rows } = await database.pool.query<{ attempt_id: string; loc: string; seq: number; time_seconds: number }>(
        `select s.attempt_id, s.cmi->>'cmi.core.lesson_location' as loc, s.last_sequence::int as seq, a.time_seconds::int as time_seconds
           from scorm_sco_states s join scorm_attempts a on a.id = s.attempt_id where s.attempt_id = any($1::uuid[])`,
        [learners.map((l) => l.attemptId)],
      );
      expect(rows).to.have.length(learners.length);
      for (const l of learners) expect(rows.find((r) => r.attempt_id === l.attemptId)).to.include({ loc: `${l.i}-3`, seq: 3, time_seconds: 10 });

      // In one statement beside a genuine commit, a commit from someone else to that attempt writes nothing.
      const [first, second] = learners;
      const known = knownAttempt(database, first.attemptId)!;
      const commit = (attemptId: string, userId: string, location: string) => ({
        attemptId,
        userId,
        packageVersionId: known.packageVersionId,
        passMark: known.passMark,
        sco: SCO,
        sequence: 10,
        cmi: { 'cmi.core.lesson_location': location },
        sessionId: 's',
        sessionSeconds: 0,
        expected: {},
        absent: [],
        status: 'incomplete' as const,
        score: null,
      });
      const written = await store.commitManyInOneStatement(database.pool, [
        commit(first.attemptId, knownAttempt(database, first.attemptId)!.userId, 'genuine'),
        commit(second.attemptId, samId, 'forged'),
      ]);
      expect([...written.keys()]).to.deep.equal([first.attemptId]);
      const { rows: after } = await database.pool.query<{ attempt_id: string; loc: string }>(
        `select attempt_id, cmi->>'cmi.core.lesson_location' as loc from scorm_sco_states where attempt_id = any($1::uuid[])`,
        [[first.attemptId, second.attemptId]],
      );
      expect(Object.fromEntries(after.map((r) => [r.attempt_id, r.loc]))).to.deep.equal({ [first.attemptId]: 'genuine', [second.attemptId]: '1-3' });
    });

    it('works the outcome out from what is stored when another process changed it since', async () => {
      // As if another server process had stored a score this one has not seen.
      await server.product.database.pool.query(`update scorm_sco_states set cmi = cmi || '{"cmi.core.score.raw": "50"}' where attempt_id = $1`, [attempt]);
      const res = await send(4, { 'cmi.core.lesson_status': 'completed' });
      // The package's mastery score is 66: completed with 50 is a fail, not a completion.
      expect(await res.json()).to.include({ stored: true, status: 'failed', score: 50, finished: false });
      expect(await row()).to.include({ status: 'failed', score: 50, completed_at: null });
    });

    it('records evidence exactly once when a commit finishes the attempt', async () => {
      let res = await send(5, { 'cmi.core.lesson_status': 'passed', 'cmi.core.score.raw': '100', 'cmi.core.session_time': '0000:03:00' });
      expect(await res.json()).to.include({ stored: true, status: 'passed', score: 100, finished: true });
      // A finished attempt takes no more commits, so nothing can be recorded twice.
      res = await send(6, { 'cmi.core.lesson_status': 'passed', 'cmi.core.score.raw': '100', 'cmi.core.session_time': '0000:04:00' });
      expect(res.status).to.equal(409);
      expect(await res.json()).to.include({ stored: false, reason: 'finished' });
      const finished = await row();
      expect(finished.completed_at).to.not.equal(null);
      expect(finished.evidence_recorded_at).to.not.equal(null);
      const { rows } = await server.product.database.pool.query<{ n: number }>('select count(*)::int as n from evidence where source_ref = $1', [attempt]);
      expect(rows[0].n).to.equal(6);
      expect(knownAttempt(server.product.database, attempt)).to.include({ finished: true });
    });

    it('tracks a SCORM 2004 package in one statement until it is finished', async () => {
      const result = await importPackage(
        { config: server.product.config, database: server.product.database },
        path.join(FIXTURES, 'RuntimeBasicCalls_SCORM20043rdEdition.zip'),
      );
      await server.product.database.pool.query(`update courses set status = 'published', pass_mark = 80 where id = $1`, [result.courseId]);
      const player = playerData((await sam.get(`/courses/${result.courseSlug}/play`)).text);
      const sco = player.scos[0].identifier;
      const post = (sequence: number, cmi: Record<string, string>) => sam.postJson(player.commitUrl, { sco, sequence, sessionId: 'g', cmi });
      expect(await (await post(1, { 'cmi.completion_status': 'incomplete', 'cmi.session_time': 'PT30S' })).json()).to.include({
        stored: true,
        status: 'incomplete',
      });
      const before = transactions;
      expect(await (await post(2, { 'cmi.completion_status': 'completed', 'cmi.score.scaled': '0.7', 'cmi.session_time': 'PT1M' })).json()).to.include({
        stored: true,
        status: 'completed',
        score: 70,
        finished: false,
      });
      expect(transactions).to.equal(before);
      const done = await (await post(3, { 'cmi.score.scaled': '0.9', 'cmi.session_time': 'PT2M' })).json();
      expect(done).to.include({ stored: true, status: 'completed', score: 90, finished: true });
      const { rows } = await server.product.database.pool.query('select time_seconds, completed_at is not null as done from scorm_attempts where id = $1', [
        player.attemptId,
      ]);
      expect(rows[0]).to.deep.equal({ time_seconds: 120, done: true });
    });

    it('gives a multi-SCO package the outcome of all its SCOs', async () => {
      // SCORM 2004 rollup weighs every tracked SCO's score, one not scored yet counting as nothing, so one of two at 80% is 40%.
      const result = await importTwoPartPackage(server, 'test.multi.scores', 'Two scored parts', ['p1', 'p2']);
      const player = playerData((await sam.get(`/courses/${result.courseSlug}/play`)).text);
      const post = (sco: string, sequence: number, cmi: Record<string, string>) => sam.postJson(player.commitUrl, { sco, sequence, sessionId: 'm', cmi });
      expect(
        await (
          await post('p1', 1, { 'cmi.completion_status': 'completed', 'cmi.success_status': 'passed', 'cmi.score.scaled': '0.8', 'cmi.session_time': 'PT60S' })
        ).json(),
      ).to.include({
        status: 'incomplete',
        score: 40,
        finished: false,
      });
      expect(await (await post('p2', 2, { 'cmi.completion_status': 'incomplete', 'cmi.score.scaled': '0.4', 'cmi.session_time': 'PT30S' })).json()).to.include({
        status: 'incomplete',
        score: 60,
        finished: false,
      });
      expect(await (await post('p2', 3, { 'cmi.success_status': 'failed', 'cmi.session_time': 'PT30S' })).json()).to.include({
        status: 'failed',
        finished: false,
      });
      expect(
        await (
          await post('p2', 4, { 'cmi.completion_status': 'completed', 'cmi.success_status': 'passed', 'cmi.score.scaled': '0.6', 'cmi.session_time': 'PT30S' })
        ).json(),
      ).to.include({ status: 'passed', score: 70, finished: true });
      const { rows } = await server.product.database.pool.query('select time_seconds from scorm_attempts where id = $1', [player.attemptId]);
      expect(rows[0].time_seconds).to.equal(90);
    });
  });

  describe('commits signed with a commit token', () => {
    let agent: TestAgent;
    let userId: string;
    let attempt: string;
    let url: string;
    let token: string;
    let sequence = 0;

    before(async () => {
      const user = await addUser(server, 'learner');
      userId = user.id;
      await server.product.database.pool.query(
        `insert into staff (organisation_id, user_id, name, email, job_title, group_number) select id, $1, 'Token Learner', $2, 'Housing officer', 1 from organisations where slug = 'vale-homes'`,
        [user.id, user.email],
      );
      agent = new TestAgent(server.url);
      await agent.signIn(user.email);
      const player = playerData((await agent.get('/courses/domestic-abuse-awareness/play')).text);
      ({ attemptId: attempt, commitUrl: url } = player);
      token = player.commitToken ?? '';
      expect(token, 'the player is given a commit token').to.match(/^[0-9a-f-]{36}\.[0-9a-f-]{36}\.\d+\./);
    });

    /** A commit as the player sends it, with no cookie unless an agent is given. */
    const withToken = (commitToken: string, cmi: Record<string, string>, via?: TestAgent, to = url) => {
      sequence += 1;
      const init = {
        body: JSON.stringify({ sco: SCO, sequence, sessionId: 't', cmi }),
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          'x-commit-token': commitToken,
          ...(via ? { 'x-csrf-token': via.csrfToken ?? '' } : {}),
        },
      };
      return via ? via.request('POST', to, init) : fetch(new URL(to, server.url), { method: 'POST', ...init });
    };
    const storedLocation = async () =>
      (
        await server.product.database.pool.query<{ loc: string }>(
          `select cmi->>'cmi.core.lesson_location' as loc from scorm_sco_states where attempt_id = $1`,
          [attempt],
        )
      ).rows[0]?.loc;

    it('stores a commit that carries only the token: no session cookie, no CSRF token', async () => {
      for (const [page, time] of [
        ['2', '0000:00:30'],
        ['3', '0000:01:00'],
      ]) {
        const res = await withToken(token, { 'cmi.core.lesson_status': 'incomplete', 'cmi.core.lesson_location': page, 'cmi.core.session_time': time });
        expect(res.status).to.equal(200);
        expect(await res.json()).to.include({ stored: true, status: 'incomplete', finished: false });
        expect(res.headers.get('set-cookie'), 'no session was started or read').to.equal(null);
      }
      expect(await storedLocation()).to.equal('3');
      const { scos } = playerData((await agent.get('/courses/domestic-abuse-awareness/play')).text);
      expect(scos[0].cmi).to.include({ 'cmi.core.lesson_location': '3', 'cmi.core.total_time': '0000:01:00' });
    });

    it('ignores a forged or expired token, and one for another attempt: without the session, nothing is stored', async () => {
      const [a, u, e, mac] = token.split('.');
      const expired = commitTokens(server.product.config.sessionSecret, 60_000).issue(attempt, userId, Date.now() - 120_000);
      const other = await addUser(server, 'learner');
      const otherAgent = new TestAgent(server.url);
      await otherAgent.signIn(other.email);
      const { rows } = await server.product.database.pool.query<{ id: string }>(
        `insert into scorm_attempts (user_id, course_id, package_version_id) select $1, course_id, package_version_id from scorm_attempts where id = $2 returning id`,
        [other.id, attempt],
      );
      const othersToken = commitTokens(server.product.config.sessionSecret, 60_000).issue(rows[0].id, other.id);
      const refused = [`${a}.${u}.${Number(e) + 86_400}.${mac}`, `${a}.${other.id}.${e}.${mac}`, expired, othersToken, `${rows[0].id}.${u}.${e}.${mac}`];
      for (const t of refused) {
        const res = await withToken(t, { 'cmi.core.lesson_location': '99' });
        expect(res.status, t).to.be.oneOf([401, 403]);
      }
      // Another learner's own session does not make their token good for this attempt.
      expect((await withToken(othersToken, { 'cmi.core.lesson_location': '99' }, otherAgent)).status).to.equal(404);
      expect(await storedLocation()).to.equal('3');
    });

    it('falls back to the session when the token has expired, and the answer brings a fresh token that works alone', async () => {
      const expired = commitTokens(server.product.config.sessionSecret, 60_000).issue(attempt, userId, Date.now() - 120_000);
      const res = await withToken(expired, { 'cmi.core.lesson_location': '4' }, agent);
      expect(res.status).to.equal(200);
      const answer = await res.json();
      expect(answer).to.include({ stored: true });
      expect(res.headers.get('set-cookie'), 'the session was used, and kept alive').to.match(/dal\.sid=/);
      expect(answer.commitToken).to.be.a('string').and.not.equal(expired);
      const again = await withToken(answer.commitToken, { 'cmi.core.lesson_location': '5' });
      expect(await again.json()).to.include({ stored: true });
      expect(await storedLocation()).to.equal('5');
    });

    it('refuses commits at once when the account is disabled, token or not', async () => {
      await server.product.database.pool.query('update users set disabled = true where id = $1', [userId]);
      try {
        expect(knownAttempt(server.product.database, attempt)?.userId, 'this process still remembers the attempt').to.equal(userId);
        expect((await withToken(token, { 'cmi.core.lesson_location': '6' })).status).to.be.oneOf([401, 403]);
        expect((await withToken(token, { 'cmi.core.lesson_location': '6' }, agent)).status).to.equal(401);
        expect(await storedLocation()).to.equal('5');
      } finally {
        await server.product.database.pool.query('update users set disabled = false where id = $1', [userId]);
      }
    });
  });
});
