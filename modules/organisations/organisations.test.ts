import { expect } from 'chai';
import { DEMO_PASSWORD } from '../../server/demo';
import { addUser, startTestServer, TestAgent, type TestServer } from '../../test/support/server';
import { canLaunchElearning } from './licences';

describe('organisations: settings, licences and who may change them', () => {
  let server: TestServer;
  let admin: TestAgent;
  let lead: TestAgent;
  const sql = async <T = Record<string, unknown>>(text: string, params: unknown[] = []) => (await server.product.database.pool.query(text, params)).rows as T[];
  const orgId = async (slug: string) => (await sql<{ id: string }>('select id from organisations where slug = $1', [slug]))[0].id;
  const settings = {
    refresher1: '36',
    refresher2: '24',
    refresher3: '12',
    refresher4: '36',
    inductionDays: '60',
    dueSoonDays: '30',
    usesRcnIntercollegiate: 'no',
  };

  before(async () => {
    server = await startTestServer({ demo: true });
    admin = new TestAgent(server.url);
    await admin.signIn('admin@vale-partnership.example', DEMO_PASSWORD);
    lead = new TestAgent(server.url);
    await lead.signIn('lead@valecounty.example', DEMO_PASSWORD);
  });
  after(() => server?.close());

  it('lets an administrator add an organisation, with GOV.UK errors for a bad form and a short name already used', async () => {
    await admin.get('/admin/organisations/new');
    const bad = await admin.postForm('/admin/organisations/new', { name: '', slug: 'vale-police', sector: 'police', inArea: 'yes', emailDomains: '' });
    expect(bad.status).to.equal(400);
    const html = await bad.text();
    expect(html).to.include('There is a problem').and.include('href="#name"').and.include('govuk-error-message');
    const taken = await admin.postForm('/admin/organisations/new', {
      name: 'Another police',
      slug: 'vale-police',
      sector: 'police',
      inArea: 'yes',
      emailDomains: '',
    });
    expect(await taken.text()).to.include('Another organisation already uses that short name');
    const ok = await admin.postForm('/admin/organisations/new', {
      name: 'Eastvale College',
      slug: 'eastvale-college',
      sector: 'education',
      inArea: 'no',
      emailDomains: 'eastvale.ac.uk',
    });
    expect(ok.status).to.equal(302);
    expect(ok.headers.get('location')).to.equal('/admin/organisations/eastvale-college');
    const page = await admin.get('/admin/organisations/eastvale-college');
    expect(page.text).to.include('Eastvale College').and.include('No licence');
    const [entry] = await sql<{ action: string }>(`select action from audit_log where action = 'organisation.created'`);
    expect(entry.action).to.equal('organisation.created');
  });

  it('lets an org-lead see and change their own settings (validated, audited) but not another organisation’s', async () => {
    const list = await lead.get('/admin/organisations');
    expect(list.text).to.include('Vale County Council');
    expect(list.text).not.to.include('Vale Constabulary');
    const page = await lead.get('/admin/organisations/vale-county-council');
    expect(page.text).to.include('Tom Bradley (lead@valecounty.example)');
    expect(page.text).not.to.include('Change the details of');

    await lead.get('/admin/organisations/vale-county-council/settings');
    const bad = await lead.postForm('/admin/organisations/vale-county-council/settings', { ...settings, refresher2: '0' });
    expect(bad.status).to.equal(400);
    expect(await bad.text()).to.include('The refresher interval for Staff Group 2 in months must be between 1 and 120');
    const ok = await lead.postForm('/admin/organisations/vale-county-council/settings', settings);
    expect(ok.status).to.equal(302);
    const [council] = await sql<{ refresher_months: Record<string, number>; induction_days: number; reminder_policy: Record<string, unknown> }>(
      `select refresher_months, induction_days, reminder_policy from organisations where slug = 'vale-county-council'`,
    );
    expect(council.refresher_months).to.deep.equal({ 1: 36, 2: 24, 3: 12, 4: 36 });
    expect(council.induction_days).to.equal(60);
    // The settings form leaves the reminder policy, which the reminders module owns, as it was.
    expect(council.reminder_policy).to.deep.equal({});
    const [audit] = await sql<{ n: string }>(`select count(*) as n from audit_log where action = 'organisation.settings-changed'`);
    expect(Number(audit.n)).to.equal(1);

    expect((await lead.get('/admin/organisations/vale-police')).status).to.equal(404);
    expect((await lead.get('/admin/organisations/vale-police/settings')).status).to.equal(404);
    expect((await lead.postForm('/admin/organisations/vale-police/settings', { ...settings, inductionDays: '0' })).status).to.equal(404);
    const [police] = await sql<{ induction_days: number }>(`select induction_days from organisations where slug = 'vale-police'`);
    expect(police.induction_days).to.equal(90);
    expect((await lead.get('/admin/organisations/vale-county-council/edit')).status).to.equal(403);
  });

  it('stops new e-learning when an out-of-area licence lapses, keeps records, and shows seats used', async () => {
    const northshire = await orgId('northshire-council');
    expect(await canLaunchElearning(server.product.database.pool, await orgId('vale-police'), '2000-01-01')).to.deep.equal({ allowed: true });
    const [{ ends_on: endsOn }] = await sql<{ ends_on: string }>(
      `select to_char(ends_on, 'YYYY-MM-DD') as ends_on from organisation_licences where organisation_id = $1`,
      [northshire],
    );
    expect((await canLaunchElearning(server.product.database.pool, northshire, endsOn)).allowed).to.equal(true);
    const dayAfter = new Date(`${endsOn}T12:00:00Z`);
    dayAfter.setUTCDate(dayAfter.getUTCDate() + 1);
    const lapsed = await canLaunchElearning(server.product.database.pool, northshire, dayAfter.toISOString().slice(0, 10));
    expect(lapsed.allowed).to.equal(false);
    expect(lapsed.reason).to.include('licence for the e-learning ended').and.include('records are kept');

    const person = await addUser(server, 'learner', { email: 'reader@northshire.example' });
    await sql(
      `insert into staff (organisation_id, user_id, name, email, job_title, group_number) values ($1, $2, 'Nia Reader', 'reader@northshire.example', 'Admin officer', 1)`,
      [northshire, person.id],
    );
    const page = await admin.get('/admin/organisations/northshire-council');
    expect(page.text).to.include('Active');
    expect(page.text).to.match(/Seats used: <strong>1<\/strong> of 50/);

    await admin.get('/admin/organisations/northshire-council/licences/new');
    const bad = await admin.postForm('/admin/organisations/northshire-council/licences/new', {
      'startsOn-day': '1',
      'startsOn-month': '1',
      'startsOn-year': '2031',
      'endsOn-day': '31',
      'endsOn-month': '12',
      'endsOn-year': '2030',
      seats: '10',
    });
    expect(bad.status).to.equal(400);
    expect(await bad.text()).to.include('The end date must be the same as or after the start date');
    const ok = await admin.postForm('/admin/organisations/northshire-council/licences/new', {
      'startsOn-day': '1',
      'startsOn-month': '1',
      'startsOn-year': '2031',
      'endsOn-day': '31',
      'endsOn-month': '12',
      'endsOn-year': '2031',
      seats: '10',
    });
    expect(ok.status).to.equal(302);
    expect((await canLaunchElearning(server.product.database.pool, northshire, new Date('2031-06-30T23:30:00Z'))).allowed).to.equal(true);
  });
});
