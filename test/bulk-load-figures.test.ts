import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { Pool } from 'pg';
import { WORKING_OUT_JOB } from '../modules/compliance/index';
import { londonToday } from '../modules/compliance/service';
import { queueWorkingOut, workOutQueued } from '../modules/compliance/working-out';
import { runStaffImport } from '../modules/staff/cli';
import { DEMO_PASSWORD } from '../server/demo';
import { TEST_DB } from './support/database';
import { runModuleJobNow } from './support/jobs';
import { startTestServer, TestAgent, type TestServer } from './support/server';

const IMPORTED = 300;

/**
 * A bulk load (a staff import of a few hundred people, then a new framework
 * version, which leaves nobody's kept result holding) is followed by every
 * organisation's figures being worked out by a background job, with its
 * progress on the administrator's pages; so the lead's first page view
 * afterwards reads kept results and works nothing out.
 */
describe(`figures worked out in the background after a bulk load (${TEST_DB})`, function () {
  this.timeout(300_000);
  let server: TestServer;
  let pool: Pool;
  let admin: TestAgent;
  let lead: TestAgent;
  let council: { id: string; slug: string };
  let organisations: number;
  const today = londonToday();

  /** People of the organisation whose kept result is missing or does not hold today with the published framework. */
  const notHolding = async (organisationId: string) => {
    const { rows } = await pool.query<{ n: number }>(
      `select count(*)::int as n from staff s left join kept_compliance k on k.staff_id = s.id
        where s.organisation_id = $1
          and (k.staff_id is null or k.status is null or k.computed_stamp is distinct from k.stamp
               or k.framework_id is distinct from (select id from frameworks where status = 'published')
               or (k.fresh_until is not null and k.fresh_until <= $2::date))`,
      [organisationId, today],
    );
    return rows[0].n;
  };
  /** Each kept row of the organisation with its row version: any write to a row changes it. */
  const keptRowVersions = async (organisationId: string) =>
    (
      await pool.query<{ staff_id: string; xmin: string }>(
        'select staff_id, xmin::text as xmin from kept_compliance where organisation_id = $1 order by staff_id',
        [organisationId],
      )
    ).rows;

  before(async () => {
    server = await startTestServer({ demo: true });
    pool = server.product.database.pool;
    council = (await pool.query(`select id, slug from organisations where slug = 'vale-county-council'`)).rows[0];
    organisations = (await pool.query<{ n: number }>('select count(*)::int as n from organisations')).rows[0].n;
    admin = new TestAgent(server.url);
    await admin.signIn('admin@vale-partnership.example', DEMO_PASSWORD);
    lead = new TestAgent(server.url);
    await lead.signIn('lead@valecounty.example', DEMO_PASSWORD);
  });
  after(() => server?.close());

  it('queues the work with the import and the new framework version, shows its progress to the administrator, and leaves the lead’s first page view nothing to work out', async () => {
    expect((await admin.get('/compliance/working-out')).text).to.contain('Nothing has needed working out');

    // A few hundred staff imported for the council, as an operator does from the command line.
    const { rows: titles } = await pool.query<{ job_title: string }>(
      'select job_title from staff where organisation_id = $1 and group_number is not null limit 1',
      [council.id],
    );
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulk-load-'));
    const file = path.join(dir, 'council.csv');
    const rows = Array.from({ length: IMPORTED }, (_, i) => `Imported Person ${i},imported.${i}@valecounty.example,${titles[0].job_title}`);
    fs.writeFileSync(file, `name,email,job_title\n${rows.join('\n')}\n`);
    await runStaffImport(server.product.rootContext, ['--org', council.slug, file, '--yes'], () => {});
    fs.rmSync(dir, { recursive: true, force: true });
    // Then a new version of the framework: nobody's kept result was worked out with it.
    await admin.get('/admin/framework');
    expect((await admin.postForm('/admin/framework/draft', {})).status).to.equal(302);
    expect((await admin.postForm('/admin/framework/draft/publish', {})).status).to.equal(302);
    expect(await notHolding(council.id)).to.be.greaterThan(IMPORTED);

    // The administrator sees the work waiting, as one piece of work for every organisation.
    const compliance = await admin.get('/compliance');
    expect(compliance.text)
      .to.contain(`Working out figures: 0 of ${organisations} organisations`)
      .and.to.contain('href="/compliance/working-out">Check progress</a>');
    const waiting = await admin.get('/compliance/working-out');
    expect(waiting.text)
      .to.contain(`Waiting to start: ${organisations} organisations`)
      .and.to.contain('After a staff import for Vale County Council and version');
    expect(waiting.text, 'no automatic refresh (WCAG 2.2.1)').to.not.match(/http-equiv="refresh"/i);

    // Someone opening another organisation's page meanwhile gets its figures, worked out on demand as before.
    const { rows: others } = await pool.query<{ slug: string }>(`select slug from organisations where id <> $1 order by name limit 1`, [council.id]);
    expect((await admin.get(`/compliance/${others[0].slug}`)).status).to.equal(200);

    await runModuleJobNow(
      server,
      'compliance',
      WORKING_OUT_JOB,
      async () => (await pool.query('select 1 from compliance_working_out where finished_at is null')).rowCount === 0,
    );

    const finished = await admin.get('/compliance/working-out');
    expect(finished.text).to.contain(`Finished: ${organisations} of ${organisations} organisations worked out`);
    expect(finished.text).to.match(/Could not be worked out<\/dt><dd class="govuk-summary-list__value">None/);
    expect((await admin.get('/compliance')).text).to.not.contain('Working out figures:');

    // Before the lead's first view every kept result of the council holds; the view writes nothing back.
    expect(await notHolding(council.id)).to.equal(0);
    const before = await keptRowVersions(council.id);
    const page = await lead.get(`/compliance/${council.slug}`);
    expect(page.status).to.equal(200);
    const { rows: staff } = await pool.query<{ n: number }>('select count(*)::int as n from staff where organisation_id = $1 and leaving_date is null', [
      council.id,
    ]);
    expect(page.text).to.contain('Compliance: Vale County Council');
    expect(await keptRowVersions(council.id), 'nothing was worked out (and kept) during the view').to.deep.equal(before);
    expect(before.length).to.be.at.least(staff[0].n);

    // The self-assessment's past quarter ends were worked out by the job too: the lead's first view of it keeps none afresh.
    const keptDays = async () =>
      (
        await pool.query<{ on_date: string; computed_at: Date }>(
          'select on_date::text, computed_at from kept_compliance_days where organisation_id = $1 order by on_date',
          [council.id],
        )
      ).rows;
    const daysBefore = await keptDays();
    expect(daysBefore.length, 'past quarter ends kept by the job').to.be.at.least(1);
    expect((await lead.get(`/compliance/${council.slug}/self-assessment`)).status).to.equal(200);
    expect(await keptDays(), 'no past day worked out during the view').to.deep.equal(daysBefore);
  });

  it('goes on past an organisation that cannot be worked out, and tells the administrator which and why', async () => {
    await queueWorkingOut(pool, 'a test', 'all');
    const result = await workOutQueued(pool, async (id) => {
      if (id === council.id) throw new Error('canceling statement due to statement timeout');
    });
    expect(result).to.deep.equal({ organisations: organisations - 1, failed: 1 });
    const page = await admin.get('/compliance/working-out');
    expect(page.text).to.contain(`Finished: ${organisations - 1} of ${organisations} organisations worked out`);
    expect(page.text).to.contain('Vale County Council: canceling statement due to statement timeout. Its figures are worked out when its page is next opened.');
  });
});
