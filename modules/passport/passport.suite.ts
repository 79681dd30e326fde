import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { addUser, type TestServer, TestAgent } from '../../test/support/server';
import { issueFrameworkCertificateIfDue, todayInLondon } from '../certificates/api';
import { runStaffImport } from '../staff/api';

const DEMO_PASSWORD = 'demo-learning-2026';
const LEARNER = 'learner@valecounty.example';

/** Run by test/safety-passport-export.browser.test.ts on its demo partnership. */
export function passportSuite(demo: () => TestServer): void {
  describe("training passport: a person's record follows them with their consent", () => {
    let server: TestServer;
    let learner: TestAgent;
    let homesLead: TestAgent;
    let newStaffId: string;
    const sql = async <T>(text: string, params: unknown[] = []) => (await server.product.database.pool.query(text, params)).rows as T[];

    /** What the new organisation's compliance says of the person's competencies, as its lead sees it through the API. */
    async function metCompetencies(): Promise<number> {
      const { status, body } = await homesLead.getJson(`/api/v1/staff/${newStaffId}/compliance`);
      expect(status).to.equal(200);
      return (body.competencies as { met: boolean }[]).filter((c) => c.met).length;
    }

    before(async () => {
      server = demo();
      const pool = server.product.database.pool;
      // Sam's record at the council has current evidence for every Group 2 competency.
      await pool.query(`delete from evidence where staff_id = (select id from staff where email = $1)`, [LEARNER]);
      await pool.query(
        `insert into evidence (staff_id, competency_id, achieved_on, source, source_ref, note)
       select s.id, c.id, current_date - 30, 'sign-off', 'test:' || c.id, 'Observed in practice'
         from staff s join frameworks f on f.status = 'published' join competencies c on c.framework_id = f.id and c.group_number <= 2 and not c.retired
        where s.email = $1`,
        [LEARNER],
      );
      // ... and so holds the Group 2 certificate there.
      const [sam] = (await pool.query<{ id: string }>('select id from staff where email = $1', [LEARNER])).rows;
      await server.product.database.transaction((client) => issueFrameworkCertificateIfDue(client, sam.id, todayInLondon()));
      // Sam moves to Vale Homes: its lead's staff list now has Sam's email.
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'passport-'));
      const file = path.join(dir, 'homes.csv');
      fs.writeFileSync(
        file,
        `name,email,job_title,start_date\nSam Taylor,${LEARNER},Housing officer,2026-01-05\nAlex Rowe,alex.rowe@valehomes.example,Housing officer,2026-01-05\n`,
      );
      const mod = server.product.modules.find((m) => m.definition.name === 'staff')!;
      await runStaffImport(server.product.contextFor(mod), ['--org', 'vale-homes', file, '--yes'], () => {});
      fs.rmSync(dir, { recursive: true, force: true });
      newStaffId = (
        await sql<{ id: string }>(`select s.id from staff s join organisations o on o.id = s.organisation_id where o.slug = 'vale-homes' and s.email = $1`, [
          LEARNER,
        ])
      )[0].id;
      const lead = await addUser(server, 'org-lead', { organisationSlug: 'vale-homes', email: 'lead@valehomes.example' });
      homesLead = new TestAgent(server.url);
      await homesLead.signIn(lead.email);
      learner = new TestAgent(server.url);
      await learner.signIn(LEARNER, DEMO_PASSWORD);
    });

    it('asks the person, listing what would be shared; the new lead sees nothing until they agree', async () => {
      const page = await learner.get('/passport');
      expect(page.status).to.equal(200);
      expect(page.text).to.include('Share your training record from Vale County Council with Vale Homes Housing Association?');
      expect(page.text).to.include('Group 2, competency 1').and.include('Signed off by a lead or trainer');
      expect(page.text).to.include('Waiting for the person to decide');
      // The certificates in the record can be taken as digital certificates (Open Badges) from here too.
      const [held] = await sql<{ id: string }>(
        `select c.id from certificates c join staff s on s.id = c.staff_id join organisations o on o.id = s.organisation_id
        where s.email = $1 and o.slug = 'vale-county-council' and c.status = 'valid' and c.replaced_by is null order by c.issued_on desc limit 1`,
        [LEARNER],
      );
      expect(page.text).to.include(`href="/my-certificates/${held.id}/open-badge.json"`);
      const badge = await learner.request('GET', `/my-certificates/${held.id}/open-badge.json`);
      expect(badge.status).to.equal(200);
      expect((await badge.json()).type).to.deep.equal(['VerifiableCredential', 'OpenBadgeCredential']);
      // Until Sam agrees, the new lead cannot tell Sam has a record anywhere else.
      const leadPage = await homesLead.get('/training-passports?org=vale-homes');
      expect(leadPage.text).not.to.include('Sam Taylor');
      expect(leadPage.text).not.to.include('Waiting for the person to decide');
      expect(leadPage.text).not.to.include('Vale County Council');
      expect(leadPage.text).not.to.include('Shared evidence');
      expect(await metCompetencies()).to.equal(0);
    });

    it('on consent, the new lead sees the evidence that counts for the new group, compliance counts it, and the audit log records it', async () => {
      const transferId = (await sql<{ id: string }>(`select id from passport_transfers where to_staff_id = $1`, [newStaffId]))[0].id;
      const res = await learner.postForm('/passport', { transferId, decision: 'share' });
      expect(res.status).to.equal(302);
      const page = await learner.get('/passport');
      expect(page.text).to.include('Your training record is now shared').and.include('Stop sharing with Vale Homes Housing Association');
      const leadPage = await homesLead.get('/training-passports?org=vale-homes');
      expect(leadPage.text).to.include('Sam Taylor, from Vale County Council').and.include('Shared evidence').and.include('Counts');
      expect(await metCompetencies()).to.be.greaterThan(0);
      const logged = await sql<{ action: string }>(`select action from audit_log where action like 'passport.%' and subject_id = $1`, [newStaffId]);
      expect(logged.map((l) => l.action)).to.deep.equal(['passport.shared']);
    });

    it('consent can be withdrawn: the shared evidence stops counting, and that is audited too', async () => {
      const transferId = (await sql<{ id: string }>(`select id from passport_transfers where to_staff_id = $1`, [newStaffId]))[0].id;
      await learner.postForm('/passport', { transferId, decision: 'withdraw' });
      expect((await learner.get('/passport')).text).to.include('You have stopped sharing your training record');
      expect(await metCompetencies()).to.equal(0);
      const leadPage = await homesLead.get('/training-passports?org=vale-homes');
      expect(leadPage.text).to.include('Sharing stopped').and.not.include('Shared evidence');
      const logged = await sql<{ action: string }>(`select action from audit_log where action like 'passport.%' and subject_id = $1 order by id`, [newStaffId]);
      expect(logged.map((l) => l.action)).to.deep.equal(['passport.shared', 'passport.withdrawn']);
    });

    it('refusal keeps the record private; no one can decide for someone else or see another organisation’s passports', async () => {
      // A second person, at the council before, joins the police.
      const council = (
        await sql<{ id: string; email: string }>(
          `select s.id, s.email from staff s join organisations o on o.id = s.organisation_id
      where o.slug = 'vale-county-council' and s.email <> $1 and exists (select 1 from evidence e where e.staff_id = s.id) order by s.staff_number limit 1`,
          [LEARNER],
        )
      )[0];
      await sql(
        `insert into staff (organisation_id, name, email, job_title) select id, 'Moved Person', $1, 'Police officer' from organisations where slug = 'vale-police'`,
        [council.email],
      );
      const person = await addUser(server, 'learner', { email: council.email });
      const agent = new TestAgent(server.url);
      await agent.signIn(person.email);
      expect((await agent.get('/passport')).text).to.include('Share your training record from Vale County Council with Vale Constabulary?');
      const transferId = (
        await sql<{ id: string }>(
          `select t.id from passport_transfers t join staff b on b.id = t.to_staff_id join organisations o on o.id = b.organisation_id where t.from_staff_id = $1 and o.slug = 'vale-police'`,
          [council.id],
        )
      )[0].id;
      // Sam cannot answer for them.
      expect((await learner.postForm('/passport', { transferId, decision: 'share' })).status).to.equal(404);
      await agent.postForm('/passport', { transferId, decision: 'decline' });
      expect((await agent.get('/passport')).text)
        .to.include('Your training record stays private')
        .and.include('Kept private');
      expect((await sql<{ n: number }>(`select count(*)::int as n from evidence where source_ref like 'passport:' || $1 || '%'`, [transferId]))[0].n).to.equal(
        0,
      );
      // Vale Homes' lead cannot look at the police's passports.
      expect((await homesLead.get('/training-passports?org=vale-police')).status).to.equal(404);
      const logged = await sql<{ action: string }>(`select action from audit_log where action = 'passport.declined'`);
      expect(logged).to.have.length(1);
    });
  });
}
