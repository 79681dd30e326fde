import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { addCmi5Course, cmi5Xml, cmi5Zip, type TestAu } from '../../test/support/cmi5-packages';
import { contentRequest as sendToContentOrigin } from '../../test/support/content-origin';
import { TEST_DB } from '../../test/support/database';
import { addUser, startTestServer, TestAgent, type TestServer } from '../../test/support/server';
import { PackageRefused } from '../scorm/api';
import { importCmi5 } from './service';

const DEMO_PASSWORD = 'demo-learning-2026';
const CMI5 = 'https://w3id.org/xapi/cmi5/context/categories/cmi5';
const SESSION = 'https://w3id.org/xapi/cmi5/context/extensions/sessionid';
const V = (verb: string) => (verb === 'satisfied' ? 'https://w3id.org/xapi/adl/verbs/satisfied' : `http://adlnet.gov/expapi/verbs/${verb}`);

interface Launch {
  endpoint: string;
  fetch: string;
  actor: { objectType: string; account: { homePage: string; name: string } };
  registration: string;
  activityId: string;
  src: string;
}

describe(`cmi5 courses: import, launch and the LRS (${TEST_DB})`, function () {
  this.timeout(180_000);
  let server: TestServer;
  let tmp: string;
  let learner: TestAgent;
  const deps = () => ({ config: server.product.config, database: server.product.database });
  const sql = async <T>(text: string, params: unknown[] = []) => (await server.product.database.pool.query(text, params)).rows as T[];

  const contentRequest = (url: string, init: Parameters<typeof sendToContentOrigin>[2] = {}) => sendToContentOrigin(server, url, init);

  const addCourse = (slug: string, aus: TestAu[]) => addCmi5Course(server, tmp, slug, `cmi5 ${slug}`, aus);

  /** Opens the course's player as `agent` and reads the launch URL its frame was given. */
  async function launch(agent: TestAgent, slug: string): Promise<Launch> {
    const page = await agent.get(`/courses/${slug}/play`);
    expect(page.status).to.equal(200);
    const src = /<iframe id="cmi5-frame"[^>]* src="([^"]+)"/
      .exec(page.text)?.[1]
      ?.replace(/&amp;/g, '&')
      .replace(/&#x3D;/g, '=');
    expect(src, 'the player frames the AU').to.be.a('string');
    const u = new URL(src as string);
    const p = u.searchParams;
    return {
      endpoint: p.get('endpoint') as string,
      fetch: p.get('fetch') as string,
      actor: JSON.parse(p.get('actor') as string),
      registration: p.get('registration') as string,
      activityId: p.get('activityId') as string,
      src: src as string,
    };
  }

  async function token(l: Launch): Promise<string> {
    const res = await contentRequest(l.fetch, { method: 'POST' });
    return res.json()['auth-token'];
  }

  function lrs(l: Launch, auth: string | null, method: string, resource: string, body?: unknown) {
    return contentRequest(`${l.endpoint}${resource}`, {
      method,
      headers: { 'x-experience-api-version': '1.0.3', 'content-type': 'application/json', ...(auth ? { authorization: `Basic ${auth}` } : {}) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
  }

  async function launchData(l: Launch, auth: string) {
    const q = new URLSearchParams({ stateId: 'LMS.LaunchData', activityId: l.activityId, agent: JSON.stringify(l.actor), registration: l.registration });
    return (await lrs(l, auth, 'GET', `activities/state?${q}`)).json();
  }

  /** A statement as the AU builds it: the launch's actor and the LaunchData context template. */
  function statement(l: Launch, sessionId: string, verb: string, extra: { result?: unknown; category?: boolean; actor?: unknown; registration?: string } = {}) {
    return {
      id: randomUUID(),
      actor: extra.actor ?? l.actor,
      verb: { id: V(verb) },
      object: { objectType: 'Activity', id: l.activityId },
      ...(extra.result ? { result: extra.result } : {}),
      context: {
        registration: extra.registration ?? l.registration,
        contextActivities: { grouping: [{ id: 'https://example.org/au/quiz' }], ...(extra.category === false ? {} : { category: [{ id: CMI5 }] }) },
        extensions: { [SESSION]: sessionId },
      },
      timestamp: new Date().toISOString(),
    };
  }

  before(async () => {
    server = await startTestServer({ demo: true });
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cmi5-test-'));
    await addCourse('quiz', [{ id: 'https://example.org/au/quiz', title: 'The quiz', moveOn: 'CompletedAndPassed', masteryScore: '0.8' }]);
    learner = new TestAgent(server.url);
    await learner.signIn('learner@valecounty.example', DEMO_PASSWORD);
  });
  after(async () => {
    await server?.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('refuses hostile and invalid packages with a clear message, leaving no row and no file behind', async () => {
    const versions = async () => (await sql<{ n: number }>('select count(*)::int as n from cmi5_package_versions'))[0].n;
    const dirs = () =>
      fs.existsSync(path.join(server.product.config.scormDir, 'cmi5')) ? fs.readdirSync(path.join(server.product.config.scormDir, 'cmi5')).length : 0;
    const before = { rows: await versions(), dirs: dirs() };
    const au = [{ id: 'https://example.org/au/x', title: 'X' }];
    const refused = async (file: string, message: RegExp) => {
      let error: unknown;
      await importCmi5(deps(), file).catch((e) => {
        error = e;
      });
      expect(error, String(message)).to.be.instanceOf(PackageRefused);
      expect((error as Error).message).to.match(message);
    };
    await refused(cmi5Zip(tmp, 'urn:c:slip', 'Slip', au, [{ name: '../../outside.html', content: 'x' }]), /climbs out of the package folder/);
    await refused(cmi5Zip(tmp, 'urn:c:link', 'Link', au, [{ name: 'au/passwd', content: '/etc/passwd', mode: 0o120777 }]), /contains a link/);
    await refused(
      cmi5Zip(tmp, 'urn:c:bomb', 'Bomb', au, [{ name: 'au/big.bin', content: Buffer.alloc(4 * 1024 * 1024), deflate: true, claimedSize: 100 }]),
      /not the size the zip says/,
    );
    await refused(
      cmi5Zip(tmp, 'urn:c:missing', 'Missing', [{ id: 'urn:a:1', title: 'Gone', url: 'au/missing.html' }]),
      /launch file of the AU "Gone" \(au\/missing.html\) is not in the package/,
    );
    await refused(cmi5Zip(tmp, 'urn:c:js', 'Script', [{ id: 'urn:a:1', title: 'Script', url: 'javascript:alert(1)' }]), /only http and https addresses/);
    const bare = path.join(tmp, 'cmi5.xml');
    fs.writeFileSync(bare, cmi5Xml('urn:c:bare', 'Bare', [{ id: 'urn:a:1', title: 'Relative', url: 'index.html' }]));
    await refused(bare, /uploaded without a zip must give every AU a full address/);
    fs.writeFileSync(bare, '<courseStructure xmlns="https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd"><course id="urn:c">');
    await refused(bare, /not well-formed XML/);
    expect(await versions()).to.equal(before.rows);
    expect(dirs()).to.equal(before.dirs);
    expect(fs.existsSync(path.join(server.product.config.scormDir, 'outside.html'))).to.equal(false);

    // Through the upload page, an invalid course structure is shown to the administrator as it is.
    const admin = new TestAgent(server.url);
    await admin.signIn('admin@vale-partnership.example', DEMO_PASSWORD);
    await admin.get('/cmi5/packages');
    const form = new FormData();
    form.append('_csrf', admin.csrfToken ?? '');
    form.append(
      'package',
      new Blob([cmi5Xml('urn:c:bad', 'Bad', [{ id: 'urn:a:1', title: 'Bad', moveOn: 'Whenever', url: 'https://elsewhere.example/au' }])]),
      'cmi5.xml',
    );
    const res = await admin.request('POST', '/cmi5/packages', { body: form, headers: { accept: 'text/html' } });
    expect(res.status).to.equal(422);
    expect(await res.text()).to.match(/moveOn\S{1,12}Whenever\S{1,12}; it must be one of Passed, Completed/);
    // A cmi5.xml alone whose AUs live elsewhere is a course of its own.
    fs.writeFileSync(bare, cmi5Xml('urn:c:outside', 'Outside', [{ id: 'urn:a:1', title: 'Hosted', url: 'https://elearning.example.net/au/1?lang=en' }]));
    const imported = await importCmi5(deps(), bare);
    expect(imported.structure.aus[0].url).to.equal('https://elearning.example.net/au/1?lang=en');
    expect((await sql<{ has_files: boolean }>('select has_files from cmi5_package_versions where id = $1', [imported.packageVersionId]))[0].has_files).to.equal(
      false,
    );
  });

  it('launches the AU with the cmi5 protocol, refuses statements that break its rules, and counts completion as SCORM does', async () => {
    const l = await launch(learner, 'quiz');
    expect(new URL(l.src).hostname, 'the AU plays on the content origin').to.equal('content.localhost');
    expect(l.actor.account.homePage).to.equal(server.product.config.publicUrl);
    expect(l.activityId).to.not.equal('https://example.org/au/quiz');
    expect((await contentRequest(`${l.endpoint}about`)).json().version).to.include('1.0.3');
    expect((await lrs(l, null, 'GET', 'statements')).status, 'no token').to.equal(401);

    const auth = await token(l);
    expect(auth).to.be.a('string');
    const again = (await contentRequest(l.fetch, { method: 'POST' })).json();
    expect(again['error-code'], 'the fetch URL answers once').to.equal('1');
    expect(again['auth-token']).to.equal(undefined);

    const data = await launchData(l, auth);
    expect(data).to.include({ launchMode: 'Normal', moveOn: 'CompletedAndPassed', masteryScore: 0.8 });
    expect(data.returnURL).to.match(/^http:\/\/content\.localhost:\d+\/cmi5\/returned\//);
    const sessionId = data.contextTemplate.extensions[SESSION];
    expect(data.contextTemplate.contextActivities.grouping[0].id).to.equal('https://example.org/au/quiz');
    const q = new URLSearchParams({ stateId: 'LMS.LaunchData', activityId: l.activityId, agent: JSON.stringify(l.actor), registration: l.registration });
    expect((await lrs(l, auth, 'PUT', `activities/state?${q}`, { launchMode: 'Normal' })).status, 'LMS.LaunchData is read-only').to.equal(403);
    const prefs = await lrs(l, auth, 'GET', `agents/profile?${new URLSearchParams({ agent: JSON.stringify(l.actor), profileId: 'cmi5LearnerPreferences' })}`);
    expect(prefs.json()).to.have.property('languagePreference');

    const post = (s: unknown) => lrs(l, auth, 'POST', 'statements', s);
    expect((await post(statement(l, sessionId, 'completed', { result: { completion: true } }))).status, 'initialized comes first').to.equal(400);
    const init = await post(statement(l, sessionId, 'initialized'));
    expect(init.status).to.equal(200);
    expect((await post(statement(l, sessionId, 'initialized'))).status, 'a second initialized').to.equal(400);
    const stranger = { objectType: 'Agent', account: { homePage: l.actor.account.homePage, name: randomUUID() } };
    const wrongActor = await post(statement(l, sessionId, 'completed', { actor: stranger, result: { completion: true } }));
    expect(wrongActor.status, 'another learner as actor').to.equal(403);
    expect(wrongActor.json().error.message).to.match(/actor is not the learner this launch is for/);
    expect(
      (await post(statement(l, sessionId, 'completed', { actor: { mbox: 'mailto:learner@valecounty.example' }, result: { completion: true } }))).status,
    ).to.equal(403);
    expect(
      (await post(statement(l, sessionId, 'completed', { registration: randomUUID(), result: { completion: true } }))).status,
      'another registration',
    ).to.equal(403);
    expect((await post(statement(l, randomUUID(), 'completed', { result: { completion: true } }))).status, 'without the session’s context template').to.equal(
      400,
    );
    const low = await post(statement(l, sessionId, 'passed', { result: { success: true, score: { scaled: 0.5 }, duration: 'PT1M' } }));
    expect(low.status, 'passed below the mastery score').to.equal(400);
    expect(low.json().error.message).to.match(/below the AU’s mastery score \(0\.8\)/);
    expect((await post(statement(l, sessionId, 'satisfied'))).status, 'only the LMS says satisfied').to.equal(403);
    expect((await post({ ...statement(l, sessionId, 'voided'), object: { objectType: 'StatementRef', id: randomUUID() } })).status, 'no voiding').to.equal(403);
    expect((await post('{"actor": ')).status, 'malformed JSON').to.equal(400);
    expect((await post('[1, null, "x"]')).status).to.equal(400);
    expect(
      (
        await post(
          statement(l, sessionId, 'progressed', { category: false, result: { extensions: { 'https://w3id.org/xapi/cmi5/result/extensions/progress': 50 } } }),
        )
      ).status,
    ).to.equal(200);

    const completed = statement(l, sessionId, 'completed', { result: { completion: true, duration: 'PT2M' } });
    expect((await post(completed)).status).to.equal(200);
    const registration = async () =>
      (await sql<{ status: string; satisfied_at: Date | null }>('select status, satisfied_at from cmi5_registrations where id = $1', [l.registration]))[0];
    expect((await registration()).satisfied_at, 'CompletedAndPassed needs passed too').to.equal(null);
    expect(
      (await lrs(l, auth, 'PUT', `statements?statementId=${completed.id}`, { ...completed, verb: { id: V('failed') } })).status,
      'the same id, other content',
    ).to.equal(409);
    expect((await lrs(l, auth, 'PUT', `statements?statementId=${completed.id}`, completed)).status, 'the same statement again').to.equal(204);
    expect((await post(statement(l, sessionId, 'passed', { result: { success: true, score: { scaled: 0.9 }, duration: 'PT3M' } }))).status).to.equal(200);

    expect(await registration()).to.include({ status: 'passed' });
    const satisfied = await sql<{ object: string }>(
      `select statement->'object'->>'id' as object from cmi5_statements where registration_id = $1 and verb = $2`,
      [l.registration, V('satisfied')],
    );
    expect(
      satisfied.map((s) => s.object),
      'the LMS says the course is satisfied, once',
    ).to.deep.equal([`${server.product.config.publicUrl}/cmi5/courses/${(await sql<{ id: string }>("select id from courses where slug = 'quiz'"))[0].id}`]);
    const evidence = await sql<{ n: number }>("select count(*)::int as n from evidence where source = 'elearning' and source_ref = $1", [l.registration]);
    expect(evidence[0].n, 'completion is evidence').to.be.greaterThan(0);
    const certificates = await sql<{ n: number }>(
      "select count(*)::int as n from certificates c join courses k on k.id = c.course_id where k.slug = 'quiz' and c.kind = 'course'",
    );
    expect(certificates[0].n, 'and a certificate').to.equal(1);

    expect((await post(statement(l, sessionId, 'terminated', { result: { duration: 'PT4M' } }))).status).to.equal(200);
    const late = await post(statement(l, sessionId, 'progressed', { category: false }));
    expect(late.status, 'nothing after terminated').to.equal(403);
    const mine = (await lrs(l, auth, 'GET', 'statements')).json().statements.map((s: { verb: { id: string } }) => s.verb.id.split('/').pop());
    expect(mine).to.include.members(['launched', 'initialized', 'completed', 'passed', 'satisfied', 'terminated']);
    const result = await learner.get('/courses/quiz/result');
    expect(result.text).to.include('You have passed cmi5 quiz');
  });

  it('records a session left open as abandoned at the next launch; the next launch resumes its state, and failed never counts', async () => {
    await addCourse('resume', [{ id: 'https://example.org/au/quiz', title: 'Resumable quiz', moveOn: 'Passed' }]);
    const first = await launch(learner, 'resume');
    const auth = await token(first);
    const sessionId = (await launchData(first, auth)).contextTemplate.extensions[SESSION];
    expect((await lrs(first, auth, 'POST', 'statements', statement(first, sessionId, 'initialized'))).status).to.equal(200);
    const bookmark = new URLSearchParams({
      stateId: 'bookmark',
      activityId: first.activityId,
      agent: JSON.stringify(first.actor),
      registration: first.registration,
    });
    expect((await lrs(first, auth, 'PUT', `activities/state?${bookmark}`, { page: 3 })).status).to.equal(204);
    expect(
      (
        await lrs(
          first,
          auth,
          'POST',
          'statements',
          statement(first, sessionId, 'failed', { result: { success: false, score: { scaled: 0.2 }, duration: 'PT1M' } }),
        )
      ).status,
    ).to.equal(200);
    const reg = async () =>
      (
        await sql<{ status: string; evidence_recorded_at: Date | null }>('select status, evidence_recorded_at from cmi5_registrations where id = $1', [
          first.registration,
        ])
      )[0];
    expect(await reg()).to.deep.equal({ status: 'failed', evidence_recorded_at: null });
    expect((await learner.get('/courses/resume/result')).text).to.include('You have not passed cmi5 resume this time');

    // The learner closes the window without the AU saying terminated, and comes back.
    const second = await launch(learner, 'resume');
    expect(second.registration, 'the same registration').to.equal(first.registration);
    const abandoned = await sql<{ session: string }>(
      `select statement->'context'->'extensions'->>'${SESSION}' as session from cmi5_statements where registration_id = $1 and verb = $2`,
      [first.registration, 'https://w3id.org/xapi/adl/verbs/abandoned'],
    );
    expect(abandoned.map((a) => a.session)).to.deep.equal([sessionId]);
    expect(
      (await lrs(first, auth, 'POST', 'statements', statement(first, sessionId, 'passed', { result: { success: true } }))).status,
      'the old token is over',
    ).to.equal(401);
    const auth2 = await token(second);
    const session2 = (await launchData(second, auth2)).contextTemplate.extensions[SESSION];
    expect((await lrs(second, auth2, 'GET', `activities/state?${bookmark}`)).json()).to.deep.equal({ page: 3 });
    expect((await lrs(second, auth2, 'POST', 'statements', statement(second, session2, 'initialized'))).status).to.equal(200);
    expect(
      (
        await lrs(
          second,
          auth2,
          'POST',
          'statements',
          statement(second, session2, 'passed', { result: { success: true, score: { scaled: 0.95 }, duration: 'PT1M' } }),
        )
      ).status,
    ).to.equal(200);
    expect((await reg()).status).to.equal('passed');
  });

  it('refuses an attacker’s launch any statement, state or statement of another learner', async () => {
    const victim = await launch(learner, 'resume');
    const victimAuth = await token(victim);
    const attackerUser = await addUser(server, 'learner', { organisationSlug: 'vale-county-council' });
    const attacker = new TestAgent(server.url);
    await attacker.signIn(attackerUser.email);
    const own = await launch(attacker, 'resume');
    const auth = await token(own);
    const sessionId = (await launchData(own, auth)).contextTemplate.extensions[SESSION];
    expect(own.registration).to.not.equal(victim.registration);
    expect((await lrs(own, auth, 'POST', 'statements', statement(own, sessionId, 'initialized'))).status).to.equal(200);
    // The attacker's token, the victim's actor or registration: refused, and nothing recorded for the victim.
    const asVictim = statement(own, sessionId, 'progressed', { category: false, actor: victim.actor });
    expect((await lrs(own, auth, 'POST', 'statements', asVictim)).status).to.equal(403);
    const intoVictim = statement(own, sessionId, 'progressed', { category: false, registration: victim.registration });
    expect((await lrs(own, auth, 'POST', 'statements', intoVictim)).status).to.equal(403);
    const both = statement({ ...own, actor: victim.actor, registration: victim.registration }, sessionId, 'progressed', { category: false });
    expect((await lrs(own, auth, 'POST', 'statements', both)).status).to.equal(403);
    const recorded = await sql<{ id: string }>('select id from cmi5_statements where id = any($1::uuid[])', [[asVictim.id, intoVictim.id, both.id]]);
    expect(recorded).to.deep.equal([]);
    // Reading: the victim's state, statements and LaunchData are not the attacker's to see.
    const victimState = new URLSearchParams({
      stateId: 'bookmark',
      activityId: victim.activityId,
      agent: JSON.stringify(victim.actor),
      registration: victim.registration,
    });
    expect((await lrs(own, auth, 'GET', `activities/state?${victimState}`)).status).to.equal(403);
    expect((await lrs(own, auth, 'GET', `statements?${new URLSearchParams({ registration: victim.registration })}`)).status).to.equal(403);
    const [victimStatement] = await sql<{ id: string }>('select id from cmi5_statements where registration_id = $1 limit 1', [victim.registration]);
    expect((await lrs(own, auth, 'GET', `statements?statementId=${victimStatement.id}`)).status).to.equal(404);
    // A guessed or forged token is no token.
    expect((await lrs(own, `${victimAuth.slice(0, -2)}xx`, 'GET', 'statements')).status).to.equal(401);
  });
});
