import { expect } from 'chai';
import { addUser, startTestServer, TestAgent, type TestServer } from '../../test/support/server';
import { TRAINING_STANDARDS } from './standards';

describe('in-house training recognised against the training standards, its completions counted as evidence', function () {
  // Starting the product is the slow part on a busy machine.
  this.timeout(180_000);
  let server: TestServer;
  let lead: TestAgent;
  let admin: TestAgent;
  let courseId: string;
  let competencies: { lineage: string; groupNumber: number; number: number }[];

  before(async () => {
    // No demo partnership: two organisations, a few staff and the two people who act are all this needs.
    server = await startTestServer();
    const pool = server.product.database.pool;
    const orgs = await pool.query<{ id: string; slug: string }>(
      `insert into organisations (slug, name, sector) values ('vale-county-council', 'Vale County Council', 'local-authority'), ('vale-police', 'Vale Police', 'police') returning id, slug`,
    );
    const id = (slug: string) => orgs.rows.find((o) => o.slug === slug)!.id;
    await pool.query(
      `insert into staff (organisation_id, name, job_title) values ($1, 'Alex Jones', 'Housing officer'), ($1, 'Bea Khan', 'Housing officer'), ($1, 'Cal Reed', 'Team leader'), ($2, 'Dee Moss', 'Police constable')`,
      [id('vale-county-council'), id('vale-police')],
    );
    lead = new TestAgent(server.url);
    await lead.signIn((await addUser(server, 'org-lead', { organisationSlug: 'vale-county-council' })).email);
    admin = new TestAgent(server.url);
    await admin.signIn((await addUser(server, 'partnership-admin')).email);
    competencies = (
      await pool.query(
        `select c.lineage, c.group_number as "groupNumber", c.number from competencies c join frameworks f on f.id = c.framework_id and f.status = 'published'
          where not c.retired order by c.group_number, c.number`,
      )
    ).rows;
  });
  after(async () => server?.close());

  it('a lead submits their own course mapped to competencies, each with a justification; a missing one is named and nothing is stored', async () => {
    const page = await lead.get('/in-house-courses/new');
    expect(page.status).to.equal(200);
    expect(page.text).to.contain(TRAINING_STANDARDS[1].text);
    const g2 = competencies
      .map((c, i) => ({ ...c, i }))
      .filter((c) => c.groupNumber === 2)
      .slice(0, 2);
    const pool = server.product.database.pool;
    const council = (await pool.query(`select id from organisations where slug = 'vale-county-council'`)).rows[0].id;
    expect(page.text).to.contain(`<option value="${council}" selected>`);
    const fields = {
      organisationId: council,
      title: 'Council housing officers: responding to disclosures',
      learningOutcomes: 'Ask about abuse safely\nRefer to the local specialist service',
      delivery: 'face-to-face',
      lineage: g2.map((c) => c.lineage),
      [`why-${g2[0].i}`]: 'Role play of a routine enquiry at a tenancy visit.',
    };
    const missing = await lead.postForm('/in-house-courses/new', fields);
    expect(missing.status).to.equal(400);
    expect(await missing.text())
      .to.contain(`Explain how the course meets Group 2, competency ${g2[1].number}`)
      .and.contain('Council housing officers');
    expect((await pool.query(`select count(*)::int as n from courses where title like 'Council housing officers%'`)).rows[0].n).to.equal(0);

    const saved = await lead.postForm('/in-house-courses/new', {
      ...fields,
      [`why-${g2[1].i}`]: 'Covers the referral pathway to Vale Domestic Abuse Service.',
    });
    expect(saved.status).to.equal(302);
    courseId = saved.headers.get('location')!.split('/').pop()!;
    const shown = await lead.get(`/in-house-courses/${courseId}`);
    expect(shown.text).to.contain('Awaiting review').and.contain('Refer to the local specialist service').and.contain('Role play of a routine enquiry');
    // It is the organisation's own course, not part of the partnership catalogue.
    expect((await lead.get('/courses')).text).to.not.contain('Council housing officers');
    expect(
      (await pool.query(`select count(*)::int as n from audit_log where action = 'in-house-course.submitted' and subject_id = $1`, [courseId])).rows[0].n,
    ).to.equal(1);
    // Another organisation's lead cannot see it.
    const other = await addUser(server, 'org-lead', { organisationSlug: 'vale-police' });
    const otherLead = new TestAgent(server.url);
    await otherLead.signIn(other.email);
    expect((await otherLead.get(`/in-house-courses/${courseId}`)).status).to.equal(404);
    expect((await otherLead.get('/in-house-courses')).text).to.not.contain('Council housing officers');
  });

  it('an administrator approves it only when every training standard is met, and a rejection needs comments', async () => {
    await admin.get(`/in-house-courses/${courseId}`);
    const partly = await admin.postForm(`/in-house-courses/${courseId}/review`, { decision: 'approved', standard: [TRAINING_STANDARDS[0].id] });
    expect(partly.status).to.equal(400);
    expect(await partly.text()).to.contain('can be approved only when it meets every training standard');
    const bare = await admin.postForm(`/in-house-courses/${courseId}/review`, { decision: 'rejected' });
    expect(bare.status).to.equal(400);
    expect(await bare.text()).to.contain('Enter comments saying what the organisation needs to change');
    // Before approval, completions do not count.
    await lead.get(`/in-house-courses/${courseId}`);
    expect((await lead.postForm(`/in-house-courses/${courseId}/completions`, { completedOn: '2026-01-05', staffId: 'x' })).status).to.equal(400);
    const ok = await admin.postForm(`/in-house-courses/${courseId}/review`, {
      decision: 'approved',
      standard: TRAINING_STANDARDS.map((s) => s.id),
      comments: 'Clear outcomes.',
    });
    expect(ok.status).to.equal(302);
    expect((await lead.get(`/in-house-courses/${courseId}`)).text)
      .to.contain('Recognised')
      .and.contain('Clear outcomes.')
      .and.contain('Record people who completed it');
    const pool = server.product.database.pool;
    expect(
      (await pool.query(`select count(*)::int as n from audit_log where action = 'in-house-course.approved' and subject_id = $1`, [courseId])).rows[0].n,
    ).to.equal(1);
  });

  it('completions the lead records become evidence for the mapped competencies, once', async () => {
    const pool = server.product.database.pool;
    const council = (await pool.query(`select id from organisations where slug = 'vale-county-council'`)).rows[0].id;
    const people = (
      await pool.query<{ id: string; name: string }>('select id, name from staff where organisation_id = $1 and leaving_date is null order by name limit 2', [
        council,
      ])
    ).rows;
    const outsider = (await pool.query<{ id: string }>('select id from staff where organisation_id <> $1 limit 1', [council])).rows[0];
    const page = await lead.get(`/in-house-courses/${courseId}`);
    expect(page.text).to.contain(people[0].name).and.not.contain(`value="${outsider.id}"`);
    const future = await lead.postForm(`/in-house-courses/${courseId}/completions`, { completedOn: '2099-01-01', staffId: people.map((p) => p.id) });
    expect(future.status).to.equal(400);
    expect(await future.text()).to.contain('The date they completed the course must be today or in the past');
    await lead.get(`/in-house-courses/${courseId}`);
    expect(
      (await lead.postForm(`/in-house-courses/${courseId}/completions`, { completedOn: '2026-01-05', staffId: [...people.map((p) => p.id), outsider.id] }))
        .status,
    ).to.equal(302);
    const evidence = async () =>
      (
        await pool.query<{ staff_id: string; lineage: string; achieved_on: string }>(
          `select e.staff_id, c.lineage, e.achieved_on::text from evidence e join competencies c on c.id = e.competency_id where e.course_id = $1 order by 1, 2`,
          [courseId],
        )
      ).rows;
    const first = await evidence();
    const mapped = (await pool.query('select competency_lineage from course_recognition_mappings where course_id = $1', [courseId])).rows
      .map((r) => r.competency_lineage)
      .sort();
    expect(first).to.have.length(people.length * mapped.length);
    expect(new Set(first.map((e) => e.staff_id))).to.deep.equal(new Set(people.map((p) => p.id)));
    expect([...new Set(first.map((e) => e.lineage))].sort()).to.deep.equal(mapped);
    expect(first.every((e) => e.achieved_on === '2026-01-05')).to.equal(true);
    // Recording the same day again adds nothing.
    await lead.get(`/in-house-courses/${courseId}`);
    await lead.postForm(`/in-house-courses/${courseId}/completions`, { completedOn: '2026-01-05', staffId: people[0].id });
    expect(await evidence()).to.have.length(first.length);
    const shown = await lead.get(`/in-house-courses/${courseId}`);
    expect(shown.text).to.contain('Completions recorded').and.contain(people[1].name);
  });
});
