import { expect } from 'chai';
import { DEMO_PASSWORD } from '../../server/demo';
import { startTestServer, TestAgent, type TestServer } from '../../test/support/server';
import { startSmtpReceiver } from '../../test/support/smtp';
import { FOLLOW_UP_SUBJECT, sendFollowUps } from './index';
import { saveRating } from './store';

function playerData(html: string): { commitUrl: string; scos: { identifier: string }[] } {
  const m = html.match(/data-player="([^"]+)"/);
  if (!m) throw new Error('no player on the page');
  return JSON.parse(
    m[1]
      .replace(/&quot;/g, '"')
      .replace(/&#x27;/g, "'")
      .replace(/&#x3D;/g, '=')
      .replace(/&#x60;/g, '`')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&'),
  );
}

const COURSE = 'domestic-abuse-awareness';

describe('evaluation before the certificate: confidence before and after, a follow-up, and the board’s view', function () {
  // Starting the product with the demo partnership is the slow part on a busy machine.
  this.timeout(180_000);
  let server: TestServer;
  let smtp: Awaited<ReturnType<typeof startSmtpReceiver>>;
  let learner: TestAgent;
  let staffId: string;
  let courseId: string;

  before(async () => {
    smtp = await startSmtpReceiver();
    server = await startTestServer({ demo: true, config: { smtpUrl: smtp.url, publicUrl: 'http://training.vale.test' } });
    const pool = server.product.database.pool;
    // The learner starts this course afresh.
    staffId = (await pool.query(`select id from staff where lower(email) = 'learner@valecounty.example'`)).rows[0].id;
    courseId = (await pool.query('select id from courses where slug = $1', [COURSE])).rows[0].id;
    await pool.query('delete from certificates where staff_id = $1', [staffId]);
    await pool.query('delete from evidence where staff_id = $1 and course_id = $2', [staffId, courseId]);
    await pool.query(`delete from scorm_attempts where course_id = $1 and user_id = (select user_id from staff where id = $2)`, [courseId, staffId]);
    learner = new TestAgent(server.url);
    await learner.signIn('learner@valecounty.example', DEMO_PASSWORD);
  });

  after(async () => {
    await server?.close();
    await smtp?.close();
  });

  it('an administrator makes a course require evaluation; bad input is refused and changes nothing', async () => {
    const admin = new TestAgent(server.url);
    await admin.signIn('admin@vale-partnership.example', DEMO_PASSWORD);
    await admin.get(`/courses/${COURSE}/evaluation/settings`);
    const bad = await admin.postForm(`/courses/${COURSE}/evaluation/settings`, { requiresEvaluation: 'yes', followUpWeeks: '0' });
    expect(bad.status).to.equal(400);
    expect(await bad.text()).to.contain('Enter the weeks before the follow-up question, from 1 to 52');
    expect(
      (await server.product.database.pool.query('select requires_evaluation from courses where id = $1', [courseId])).rows[0].requires_evaluation,
    ).to.equal(false);
    expect((await admin.postForm(`/courses/${COURSE}/evaluation/settings`, { requiresEvaluation: 'yes', followUpWeeks: '6' })).status).to.equal(302);
    expect((await learner.get(`/courses/${COURSE}`)).text).to.contain('rate your confidence before you start');
  });

  it('asks for the rating before the e-learning starts, then plays it; the certificate waits for the rating after completion', async () => {
    const play = await learner.request('GET', `/courses/${COURSE}/play`);
    expect(play.status).to.equal(302);
    expect(play.headers.get('location')).to.equal(`/courses/${COURSE}/evaluation`);
    const before = await learner.get(`/courses/${COURSE}/evaluation`);
    expect(before.text).to.contain('Your confidence before you start').and.contain('Not at all confident');
    const count = (before.text.match(/name="c-\d+" type="radio" value="1"/g) ?? []).length;
    expect(count).to.be.greaterThan(0);
    const missing = await learner.postForm(`/courses/${COURSE}/evaluation`, { 'c-0': '2' });
    expect(missing.status).to.equal(count > 1 ? 400 : 302);
    const all = Object.fromEntries(Array.from({ length: count }, (_, i) => [`c-${i}`, '2']));
    const saved = await learner.postForm(`/courses/${COURSE}/evaluation`, all);
    expect(saved.headers.get('location')).to.equal(`/courses/${COURSE}/play`);

    // The player opens now, and completing the package records evidence at once.
    const page = await learner.get(`/courses/${COURSE}/play`);
    expect(page.status).to.equal(200);
    const { commitUrl, scos } = playerData(page.text);
    const res = await learner.postJson(commitUrl, {
      sco: scos[0].identifier,
      sequence: 1,
      sessionId: 's1',
      cmi: { 'cmi.core.lesson_status': 'passed', 'cmi.core.score.raw': '100' },
    });
    expect(res.status).to.equal(200);
    const pool = server.product.database.pool;
    expect(
      (await pool.query('select count(*)::int as n from evidence where staff_id = $1 and course_id = $2', [staffId, courseId])).rows[0].n,
    ).to.be.greaterThan(0);
    const certificates = async () =>
      (await pool.query(`select count(*)::int as n from certificates where staff_id = $1 and kind = 'course' and course_id = $2`, [staffId, courseId])).rows[0]
        .n;
    expect(await certificates()).to.equal(0);

    const after = await learner.get(`/courses/${COURSE}/evaluation`);
    expect(after.text).to.contain('Your confidence now').and.contain('Your certificate is issued when you have done this');
    const done = await learner.postForm(`/courses/${COURSE}/evaluation`, Object.fromEntries(Array.from({ length: count }, (_, i) => [`c-${i}`, '4'])));
    expect(done.headers.get('location')).to.equal('/my-certificates');
    expect(await certificates()).to.equal(1);
    // A second post (another tab) records nothing more.
    await learner.get(`/courses/${COURSE}/evaluation`);
    await learner.postForm(`/courses/${COURSE}/evaluation`, all);
    expect((await pool.query(`select count(*)::int as n from course_evaluations where staff_id = $1`, [staffId])).rows[0].n).to.equal(2);
  });

  it('asks by email some weeks later how the training changed their practice, and takes the answer', async () => {
    const pool = server.product.database.pool;
    expect(await sendFollowUps(server.product, new Date()), 'not yet: the follow-up is six weeks away').to.equal(0);
    const inSevenWeeks = new Date(Date.now() + 49 * 86400_000);
    expect(await sendFollowUps(server.product, inSevenWeeks)).to.equal(1);
    expect(await sendFollowUps(server.product, inSevenWeeks)).to.equal(0);
    await server.product.mailer.deliverQueued();
    const mail = smtp.received.find((m) => m.subject === FOLLOW_UP_SUBJECT)!;
    expect(mail.to).to.deep.equal(['learner@valecounty.example']);
    const link = mail.body.match(/http:\/\/training\.vale\.test(\/evaluation\/follow-up\/[0-9a-f-]+)/)![1];
    await learner.get(link);
    const empty = await learner.postForm(link, { answer: ' ' });
    expect(empty.status).to.equal(400);
    expect((await learner.postForm(link, { answer: 'I now ask about abuse when someone mentions a controlling partner.' })).status).to.equal(302);
    const { rows } = await pool.query('select follow_up_answer from course_evaluations where staff_id = $1 and stage = $2', [staffId, 'after']);
    expect(rows[0].follow_up_answer).to.contain('controlling partner');
    // Someone else's question is not theirs to answer.
    const admin = new TestAgent(server.url);
    await admin.signIn('admin@vale-partnership.example', DEMO_PASSWORD);
    expect((await admin.get(link)).status).to.equal(404);
  });

  it('shows the board the average change in confidence per competency, without names, hiding competencies rated by too few', async () => {
    const pool = server.product.database.pool;
    const lineages: string[] = (
      await pool.query('select competency_lineage from course_competencies where course_id = $1 order by competency_lineage', [courseId])
    ).rows.map((r) => r.competency_lineage);
    const others = (
      await pool.query<{ id: string; name: string }>('select id, name from staff where id <> $1 and user_id is null order by name limit 4', [staffId])
    ).rows;
    // Four more people rate the first competency 1 then 4; only the learner has rated the others, so those stay hidden.
    for (const p of others) {
      for (const [stage, confidence] of [
        ['before', 1],
        ['after', 4],
      ] as const) {
        await saveRating(server.product.database, server.product.events, {
          staffId: p.id,
          courseId,
          stage,
          completedOn: stage === 'after' ? '2026-01-10' : null,
          followUpWeeks: 6,
          ratings: new Map([[lineages[0], confidence]]),
        });
      }
    }
    const board = new TestAgent(server.url);
    await board.signIn('board@vale-partnership.example', DEMO_PASSWORD);
    const page = await board.get('/board/evaluation');
    expect(page.status).to.equal(200);
    // Before (4 x 1 + 2) / 5 = 1.2, after 4, change (4 x 3 + 2) / 5 = 2.8 for the first competency.
    expect(page.text).to.contain('>1.2<').and.contain('>4<').and.contain('+2.8');
    // Withheld with the board's one label, whatever the reason.
    if (lineages.length > 1) expect(page.text).to.contain('>[c]<').and.not.contain('fewer than 5');
    for (const p of others) expect(page.text).to.not.contain(p.name);
    expect((await learner.get('/board/evaluation')).status).to.equal(403);
  });
});
