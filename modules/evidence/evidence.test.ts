import { expect } from 'chai';
import type { Pool } from 'pg';
import { addUser, startTestServer, TestAgent, type TestServer } from '../../test/support/server';
import { changeEvidence } from './store';

const DEMO_PASSWORD = 'demo-learning-2026';

describe('evidence: sign-off, documents, corrections with history', () => {
  let server: TestServer;
  let pool: Pool;
  let lead: TestAgent;
  let learnerStaffId: string;
  let colleagueId: string;

  before(async () => {
    server = await startTestServer({ demo: true });
    pool = server.product.database.pool;
    // These tests set up each person's evidence themselves.
    await pool.query(`delete from evidence where source_ref like 'demo:%'`);
    learnerStaffId = (await pool.query(`select id from staff where email = 'learner@valecounty.example'`)).rows[0].id;
    colleagueId = (
      await pool.query(
        `select s.id from staff s join organisations o on o.id = s.organisation_id where o.slug = 'vale-county-council' and s.group_number = 1 and s.user_id is null limit 1`,
      )
    ).rows[0].id;
    lead = new TestAgent(server.url);
    await lead.signIn('lead@valecounty.example', DEMO_PASSWORD);
  });
  after(() => server?.close());

  it('a lead records a sign-off with the evidence example it meets; mistakes are explained on the form', async () => {
    const form = await lead.get(`/staff/${colleagueId}/evidence/sign-off`);
    expect(form.status).to.equal(200);
    const competencyId = form.text.match(/name="competencyIds" type="checkbox" value="([0-9a-f-]+)"/)![1];
    const example = form.text
      .match(/<option value="([^"]+)" >Group 1/)![1]
      .replace(/&#x27;/g, "'")
      .replace(/&amp;/g, '&')
      .replace(/&quot;/g, '"')
      .replace(/&#x3D;/g, '=');
    const invalid = await lead.postForm(`/staff/${colleagueId}/evidence/sign-off`, { competencyIds: competencyId, achievedOn: '2999-01-01', note: '' });
    expect(invalid.status).to.equal(400);
    const text = await invalid.text();
    expect(text)
      .to.contain('Select how you saw the competency')
      .and.contain('The date it was achieved must be today or in the past')
      .and.contain('Select the evidence example');
    const ok = await lead.postForm(`/staff/${colleagueId}/evidence/sign-off`, {
      signOffKind: 'observed-practice',
      competencyIds: competencyId,
      achievedOn: '2026-01-15',
      evidenceExample: example,
      note: 'Observed a safe enquiry with a tenant',
    });
    expect(ok.status).to.equal(302);
    const page = await lead.get(`/staff/${colleagueId}/evidence`);
    expect(page.text).to.contain('Signed off by a lead or trainer').and.contain('Observed practice').and.contain('Observed a safe enquiry');
    const { rows } = await pool.query(`select source, evidence_example, verified_by from evidence where staff_id = $1`, [colleagueId]);
    expect(rows).to.have.length(1);
    expect(rows[0].evidence_example).to.equal(example);
    expect(rows[0].verified_by).to.be.a('string');
  });

  it('corrections and withdrawals are new entries naming the one they replace; the page keeps the history', async () => {
    const original = (await pool.query(`select id from evidence where staff_id = $1`, [colleagueId])).rows[0].id;
    await lead.get(`/staff/${colleagueId}/evidence/${original}/change`);
    expect(
      (await lead.postForm(`/staff/${colleagueId}/evidence/${original}/change`, { action: 'correct', achievedOn: '2026-01-16', reason: '' })).status,
    ).to.equal(400);
    expect(
      (await lead.postForm(`/staff/${colleagueId}/evidence/${original}/change`, { action: 'correct', achievedOn: '2026-01-16', reason: 'Typed the wrong day' }))
        .status,
    ).to.equal(302);
    const corrected = (await pool.query(`select id, achieved_on, change_reason from evidence where replaces_id = $1`, [original])).rows[0];
    expect(corrected.achieved_on).to.equal('2026-01-16');
    let status = 0;
    await changeEvidence(
      server.product.database,
      { kind: 'all' },
      { evidenceId: original, reason: 'again', withdraw: true, by: (await addUser(server, 'partnership-admin')).id },
    ).catch((e) => (status = e.status));
    expect(status).to.equal(409); // only the latest version can change
    await lead.get(`/staff/${colleagueId}/evidence/${corrected.id}/change`);
    expect(
      (await lead.postForm(`/staff/${colleagueId}/evidence/${corrected.id}/change`, { action: 'withdraw', reason: 'Recorded against the wrong person' }))
        .status,
    ).to.equal(302);
    const { rows } = await pool.query(`select id from evidence where staff_id = $1`, [colleagueId]);
    expect(rows).to.have.length(3);
    const page = await lead.get(`/staff/${colleagueId}/evidence`);
    expect(page.text)
      .to.contain('No evidence recorded yet')
      .and.contain('Show history (3 earlier or withdrawn entries)')
      .and.contain('Recorded against the wrong person');
    const api = await lead.getJson(`/api/v1/staff/${colleagueId}/compliance`);
    expect(api.body.competencies.every((c: { met: boolean }) => !c.met)).to.equal(true);
  });

  it('a learner uploads a certificate (only accepted file types), and a lead verifies it into evidence', async () => {
    const learner = new TestAgent(server.url);
    await learner.signIn('learner@valecounty.example', DEMO_PASSWORD);
    await learner.get(`/staff/${learnerStaffId}/evidence/upload`);
    const upload = (name: string, bytes: Buffer) => {
      const body = new FormData();
      body.append('_csrf', learner.csrfToken!);
      body.append('title', 'Safe Lives Dash training');
      body.append('document', new Blob([new Uint8Array(bytes)]), name);
      return learner.request('POST', `/staff/${learnerStaffId}/evidence/upload`, { body });
    };
    const rejected = await upload('certificate.exe', Buffer.from('MZ not a document'));
    expect(rejected.status).to.equal(400);
    expect(await rejected.text()).to.contain('must be a PDF, JPG, PNG or Word');
    expect((await upload('disguised.pdf', Buffer.from('<html>not a pdf'))).status).to.equal(400);
    expect((await upload('certificate.pdf', Buffer.from('%PDF-1.4\n% test certificate\n'))).status).to.equal(302);
    const mine = await learner.get(`/staff/${learnerStaffId}/evidence`);
    expect(mine.text).to.contain('Waiting for a lead to verify').and.not.contain('Verify and record as evidence');

    const page = await lead.get(`/staff/${learnerStaffId}/evidence`);
    const documentId = page.text.match(/documents\/([0-9a-f-]+)\/verify/)![1];
    const competencyIds = [...page.text.matchAll(/name="competencyIds" type="checkbox" value="([0-9a-f-]+)"/g)].slice(0, 2).map((m) => m[1]);
    const download = await lead.request('GET', `/staff/${learnerStaffId}/documents/${documentId}`);
    expect(download.headers.get('content-type')).to.equal('application/pdf');
    expect((await download.text()).startsWith('%PDF')).to.equal(true);
    expect((await lead.postForm(`/staff/${learnerStaffId}/documents/${documentId}/verify`, { competencyIds, achievedOn: '2026-02-01' })).status).to.equal(302);
    const { rows } = await pool.query(`select source, verified_by from evidence where staff_id = $1 and source = 'external-document'`, [learnerStaffId]);
    expect(rows).to.have.length(2);
    expect((await learner.get(`/staff/${learnerStaffId}/evidence`)).text).to.contain('External training (verified document)');
  });

  it('nobody sees evidence of people outside their scope', async () => {
    const learner = new TestAgent(server.url);
    await learner.signIn('learner@valecounty.example', DEMO_PASSWORD);
    expect((await learner.get(`/staff/${colleagueId}/evidence`)).status).to.equal(404);
    const otherLead = await addUser(server, 'org-lead', { organisationSlug: 'vale-police' });
    const agent = new TestAgent(server.url);
    await agent.signIn(otherLead.email);
    expect((await agent.get(`/staff/${colleagueId}/evidence`)).status).to.equal(404);
    expect((await agent.get(`/staff/${colleagueId}/evidence/sign-off`)).status).to.equal(404);
    const documentId = (await pool.query(`select id from evidence_documents limit 1`)).rows[0].id;
    expect((await agent.request('GET', `/staff/${learnerStaffId}/documents/${documentId}`)).status).to.equal(404);
  });
});
