import { expect } from 'chai';
import { TEST_DB } from '../../test/support/database';
import { startTestServer, TestAgent, type TestServer } from '../../test/support/server';

const DEMO_PASSWORD = 'demo-learning-2026';

describe(`course catalogue (${TEST_DB})`, () => {
  let server: TestServer;
  let admin: TestAgent;

  before(async function () {
    // Starting the product on a fresh database is the slow part; give it room on a busy machine.
    this.timeout(180_000);
    server = await startTestServer({ demo: true });
    admin = new TestAgent(server.url);
    await admin.signIn('admin@vale-partnership.example', DEMO_PASSWORD);
  });
  after(async () => server?.close());

  it('lets an administrator add a course with competencies from the published framework and a prerequisite', async () => {
    const form = await admin.get('/courses/new');
    expect(form.status).to.equal(200);
    expect(form.text).to.contain('value="g3c1"');
    const awarenessId = (await server.product.database.pool.query(`select id from courses where slug = 'domestic-abuse-awareness'`)).rows[0].id;

    const bad = await admin.postForm('/courses/new', {
      title: '',
      slug: 'Not A Slug',
      audience: 'professionals',
      delivery: 'elearning',
      passMark: '150',
      competencies: ['g3c1', 'made-up'],
    });
    expect(bad.status).to.equal(400);
    const badText = await bad.text();
    for (const message of [
      'Enter a title',
      'lower-case letters',
      'Pass mark must be a whole number from 0 to 100',
      'Select competencies from the published framework',
    ])
      expect(badText).to.contain(message);
    expect(badText).to.contain('govuk-error-summary');

    const ok = await admin.postForm('/courses/new', {
      title: 'Safeguarding leads: domestic abuse',
      slug: 'safeguarding-leads-domestic-abuse',
      description: 'For Group 3.',
      audience: 'professionals',
      delivery: 'blended',
      groups: '3',
      passMark: '80',
      validityMonths: '24',
      competencies: ['g3c1', 'g3c2'],
      prerequisites: awarenessId,
      contentWarning: 'Describes abuse.',
      finishedAttempt: 'review-only',
      status: 'published',
    });
    expect(ok.status).to.equal(302);
    expect(ok.headers.get('location')).to.equal('/courses/safeguarding-leads-domestic-abuse');
    const page = await admin.get('/courses/safeguarding-leads-domestic-abuse');
    expect(page.text).to.contain('Describes abuse.');
    expect(page.text).to.contain('80%');
    expect(page.text).to.contain('24 months');
    expect(page.text).to.match(/Take first[\s\S]*Domestic abuse awareness/);
    expect(page.text).to.contain('Group 3, competency 1');
    const { rows } = await server.product.database.pool.query(
      `select cc.competency_lineage from course_competencies cc join courses c on c.id = cc.course_id where c.slug = 'safeguarding-leads-domestic-abuse' order by 1`,
    );
    expect(rows.map((r) => r.competency_lineage)).to.deep.equal(['g3c1', 'g3c2']);
  });

  it('lets an administrator edit a course, and refuses a slug another course uses', async () => {
    const edit = await admin.get('/courses/safeguarding-leads-domestic-abuse/edit');
    expect(edit.status).to.equal(200);
    const base = { title: 'Safeguarding leads', audience: 'public', delivery: 'elearning', competencies: 'g3c1' };
    const clash = await admin.postForm('/courses/safeguarding-leads-domestic-abuse/edit', { ...base, slug: 'domestic-abuse-awareness' });
    expect(clash.status).to.equal(400);
    expect(await clash.text()).to.contain('Another course already uses this web address name');
    const saved = await admin.postForm('/courses/safeguarding-leads-domestic-abuse/edit', { ...base, slug: 'safeguarding-leads' });
    expect(saved.status).to.equal(302);
    const page = await admin.get('/courses/safeguarding-leads');
    expect(page.text).to.contain('The public (anyone who registers)');
  });

  it('shows every signed-in person the catalogue, and only administrators the editing pages', async () => {
    const learner = new TestAgent(server.url);
    await learner.signIn('learner@valecounty.example', DEMO_PASSWORD);
    const list = await learner.get('/courses');
    expect(list.text).to.contain('Domestic abuse awareness');
    expect(list.text).to.contain('href="/courses"');
    expect(list.text).to.not.contain('Add a course');
    expect((await learner.get('/courses/new')).status).to.equal(403);
    expect((await learner.postForm('/courses/new', { title: 'x' })).status).to.equal(403);
  });
});
