import { expect } from 'chai';
import { currentFigures } from '../modules/board/service';
import { complianceForOrganisation } from '../modules/compliance/service';
import { versionContent } from '../modules/scorm/store';
import { DEMO_PASSWORD } from '../server/demo';
import { londonToday } from '../server/london';
import { cheapPasswordHash, startTestServer, TestAgent, type TestServer } from './support/server';

/**
 * The tests run many products in one process, and so may anyone embedding the
 * product. Both products here start from the same demo database, so their rows
 * have the same ids; then the second one's rows are changed to say something
 * else. What one product keeps in memory (its caches, its sign-in) must never
 * answer for the other.
 */
describe('two products in one process', () => {
  let first: TestServer;
  let second: TestServer;
  const sql = (server: TestServer, text: string, values: unknown[] = []) => server.product.database.pool.query(text, values);

  before(async () => {
    first = await startTestServer({ demo: true });
    second = await startTestServer({ demo: true });
  });

  after(async () => {
    await first?.close();
    await second?.close();
  });

  it('sign each person in against their own product’s accounts', async () => {
    const email = 'lead@valecounty.example';
    const secondPassword = 'only the second product knows this';
    await sql(second, 'update users set password_hash = $1 where email = $2', [await cheapPasswordHash(secondPassword), email]);
    const refused = async (server: TestServer, password: string) => {
      const agent = new TestAgent(server.url);
      await agent.get('/sign-in');
      return (await agent.postForm('/sign-in', { email, password })).status === 401;
    };
    expect(await refused(first, secondPassword), 'the first product refuses the second one’s password').to.equal(true);
    expect(await refused(second, DEMO_PASSWORD), 'the second product refuses the demo password it no longer has').to.equal(true);
    await new TestAgent(first.url).signIn(email, DEMO_PASSWORD);
    await new TestAgent(second.url).signIn(email, secondPassword);
  });

  it('show each product’s own competency wording in its compliance results, for the same framework', async () => {
    const framework = (server: TestServer) => sql(server, `select id from frameworks where status = 'published'`).then((r) => r.rows[0]?.id as string);
    expect(await framework(second), 'the same framework row in both').to.equal(await framework(first));
    const { rows: orgs } = await sql(first, `select id from organisations where slug = 'vale-police'`);
    const organisationId = orgs[0].id as string;
    const wording = async (server: TestServer) => {
      const result = await complianceForOrganisation(server.product.database.pool, { kind: 'all' }, organisationId, londonToday());
      return new Set(result!.people.flatMap((p) => p.competencies.map((c) => c.text)));
    };
    expect(await wording(first)).to.not.include('Reworded in the second product');
    // The second product's framework now says something else under the same ids.
    await sql(
      second,
      `update competencies set text = 'Reworded in the second product' where framework_id = (select id from frameworks where status = 'published')`,
    );
    expect([...(await wording(second))]).to.deep.equal(['Reworded in the second product']);
    expect(await wording(first)).to.not.include('Reworded in the second product');
  });

  it('show each product’s own board figures, even when their kept figures were worked out at the same moment', async () => {
    const firstView = (await currentFigures(first.product.database.pool, undefined)).view;
    // The second product's kept figures: the same moment as the first's, but other numbers.
    const { rows } = await sql(first, 'select figures, computed_at from board_figures_cache where id = 1');
    const figures = rows[0].figures as { faceToFace: { sessionsRun: number } };
    const sessionsRun = figures.faceToFace.sessionsRun + 40;
    await sql(
      second,
      `insert into board_figures_cache (id, figures, computed_at, stale) values (1, $1, $2, false)
       on conflict (id) do update set figures = excluded.figures, computed_at = excluded.computed_at, stale = false`,
      [JSON.stringify({ ...figures, faceToFace: { ...figures.faceToFace, sessionsRun } }), rows[0].computed_at],
    );
    expect((await currentFigures(second.product.database.pool, undefined)).view.faceToFace.sessionsRun).to.equal(sessionsRun);
    expect((await currentFigures(first.product.database.pool, undefined)).view.faceToFace.sessionsRun).to.equal(firstView.faceToFace.sessionsRun);
  });

  it('play each product’s own e-learning package, for the same package version', async () => {
    const { rows } = await sql(first, 'select id from scorm_package_versions order by imported_at limit 1');
    const versionId = rows[0].id as string;
    const title = async (server: TestServer) => (await versionContent(server.product.database.pool, versionId, server.product.database.pool))?.manifest.title;
    const firstTitle = await title(first);
    await sql(second, `update scorm_package_versions set manifest = jsonb_set(manifest, '{title}', '"The second product’s module"') where id = $1`, [
      versionId,
    ]);
    expect(await title(second)).to.equal('The second product’s module');
    expect(await title(first)).to.equal(firstTitle);
  });
});
