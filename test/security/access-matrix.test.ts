import { expect } from 'chai';
import { TEST_DB } from '../support/database';
import { startTestServer, TestAgent, type TestServer } from '../support/server';
import { ACCESS, type Who } from './access-expectations';
import { COURSE, demoFixture, fill, type Ids, type Shared, WHO } from './fixture';
import { routeParams, routeTable, STATE_CHANGING } from './routes';

/**
 * Every route of the running app × every role × the caller's own and another
 * organisation's ids, against the one expectations table. A route missing
 * from the table fails the suite.
 */

interface Outcome {
  route: string;
  who: Who;
  ids: 'own' | 'other' | 'none';
  url: string;
  status: number;
  location: string;
  csp: string;
  nosniff: string;
  cookies: string[];
}

describe(`access matrix: every route × every role × own and other organisation (${TEST_DB})`, function () {
  this.timeout(600_000);
  let server: TestServer;
  let routes: string[];
  let own: Ids;
  let other: Ids;
  let shared: Shared;
  let agents: Record<Who, TestAgent>;
  const outcomes: Outcome[] = [];

  before(async () => {
    server = await startTestServer({ demo: true });
    routes = routeTable(server.product.app);

    ({ agents, own, other, shared } = await demoFixture(server));

    // GETs first, then the state changes, so a refused POST cannot hide behind an earlier one.
    const requests: (() => Promise<void>)[] = [];
    let sequence = 0;
    for (const method of ['GET', 'POST']) {
      for (const route of routes.filter((r) => r.startsWith(`${method} `) && ACCESS[r])) {
        const variants: [Outcome['ids'], Ids][] = routeParams(route).length
          ? [
              ['own', own],
              ['other', other],
            ]
          : [['none', own]];
        for (const who of WHO) {
          const rule = ACCESS[route];
          for (const [label, ids] of variants) {
            if (rule.skipAllowed && rule.roles[who]) continue;
            // A role the route refuses whatever the ids is refused as well with another organisation's: one try is enough.
            if (label === 'other' && !rule.roles[who]) continue;
            const url = fill(route, ids, shared);
            requests.push(async () => {
              const agent = agents[who];
              // A form any POST route can read: empty fields, plus a well-formed SCORM commit for the attempt routes.
              const commit = JSON.stringify({ sco: shared.scoId, sequence: ++sequence, cmi: {} });
              const res =
                method === 'GET' ? await agent.request('GET', url, { headers: { accept: 'text/html' } }) : await agent.postForm(url, { payload: commit });
              await res.arrayBuffer();
              outcomes.push({
                route,
                who,
                ids: label,
                url,
                status: res.status,
                location: res.headers.get('location') ?? '',
                csp: res.headers.get('content-security-policy') ?? '',
                nosniff: res.headers.get('x-content-type-options') ?? '',
                cookies: res.headers.getSetCookie(),
              });
            });
          }
        }
      }
      // Small parallel batches: fast, without turning the matrix into a load test.
      const batch = requests.splice(0);
      for (let i = 0; i < batch.length; i += 12) await Promise.all(batch.slice(i, i + 12).map((f) => f()));
    }
  });
  after(async () => server?.close());

  it('has an entry in test/security/access-expectations.ts for every route', () => {
    const missing = routes.filter((r) => !ACCESS[r]);
    expect(
      missing,
      `add these routes to ACCESS in test/security/access-expectations.ts, saying which roles may use them:\n${missing.join('\n')}\n`,
    ).to.deep.equal([]);
    const stale = Object.keys(ACCESS).filter((r) => !routes.includes(r));
    expect(stale, 'entries for routes the app no longer has').to.deep.equal([]);
  });

  it('answers every role exactly as the table says, with its own and another organisation’s ids', () => {
    const wrong: string[] = [];
    for (const o of outcomes) {
      const rule = ACCESS[o.route];
      const grant = rule.roles[o.who];
      const expected = grant === 'any' || (grant === 'own' && o.ids !== 'other') ? 'allowed' : 'refused';
      const barred = o.status === 401 || o.status === 403 || (o.status >= 300 && o.status < 400 && o.location.startsWith('/sign-in'));
      const notFound = o.status === 404 || o.status === 410;
      const ok =
        o.status >= 500 ? false : rule.checkedElsewhere ? true : expected === 'allowed' ? !barred && (!notFound || !!rule.unknownIds) : barred || notFound;
      if (!ok)
        wrong.push(
          `${o.who} with ${o.ids} ids: ${o.route.split(' ')[0]} ${o.url} answered ${o.status}${o.location ? ` → ${o.location}` : ''}, expected ${expected}`,
        );
    }
    expect(wrong, wrong.join('\n')).to.deep.equal([]);
    expect(outcomes.length).to.be.greaterThan(400);
  });

  it('sends a strict Content-Security-Policy with every response; the SCORM player frames only the content origin', () => {
    const weak: string[] = [];
    const directives = (csp: string) =>
      new Map(
        csp
          .split(';')
          .map((d) => d.trim().split(/\s+/))
          .filter((d) => d[0])
          .map(([name, ...values]) => [name, values]),
      );
    for (const o of outcomes) {
      const d = directives(o.csp);
      const problems: string[] = [];
      // Package content is served only on the content origin (modules/scorm/content-site.ts), never here.
      const player = o.route === 'GET /courses/:slug/play' && o.status === 200;
      if (d.get('default-src')?.join(' ') !== "'self'") problems.push('default-src is not only self');
      if (d.get('object-src')?.join(' ') !== "'none'") problems.push("object-src is not 'none'");
      if (!["'self'", "'none'"].includes(d.get('frame-ancestors')?.join(' ') ?? '')) problems.push('frame-ancestors is missing or allows other sites');
      if (d.get('base-uri')?.join(' ') !== "'self'") problems.push('base-uri is not self');
      if (d.get('form-action')?.join(' ') !== "'self'") problems.push('form-action is not self');
      const scripts = d.get('script-src') ?? [];
      if (scripts.join(' ') !== "'self'") problems.push(`script-src is ${scripts.join(' ') || 'missing'}`);
      if ((d.get('style-src') ?? []).some((v) => v.includes('unsafe'))) problems.push('style-src allows inline styles');
      for (const [name, values] of d) {
        const contentOrigin = player && name === 'frame-src' && values.length === 1 && values[0] === `http://content.localhost:${new URL(server.url).port}`;
        if (!contentOrigin && values.some((v) => v === '*' || /^(https?:|\*\.)/.test(v))) problems.push(`${name} allows other sites`);
      }
      if (player && d.get('frame-src')?.join(' ') !== `http://content.localhost:${new URL(server.url).port}`)
        problems.push('the player frames more than the content origin');
      if (o.nosniff !== 'nosniff') problems.push('no X-Content-Type-Options: nosniff');
      if (problems.length) weak.push(`${o.who}: ${o.url} (${o.status}): ${problems.join('; ')}`);
    }
    expect(weak, weak.join('\n')).to.deep.equal([]);
    expect(
      outcomes.some((o) => o.route === 'GET /courses/:slug/play' && o.status === 200),
      'the SCORM player was in the sweep',
    ).to.equal(true);
  });

  it('sets cookies only as HttpOnly and SameSite', () => {
    const loose = outcomes.flatMap((o) =>
      o.cookies.filter((c) => !/;\s*HttpOnly/i.test(c) || !/;\s*SameSite=(Lax|Strict)/i.test(c)).map((c) => `${o.url}: ${c.split(';')[0].split('=')[0]}`),
    );
    expect(loose).to.deep.equal([]);
    expect(outcomes.some((o) => o.cookies.length)).to.equal(true);
  });

  it('refuses every state change without the CSRF token, except the declared exemptions', async () => {
    const exempt = server.product.modules.flatMap((m) => m.definition.csrfExempt ?? []);
    const accepted: string[] = [];
    const posts = routes.filter((r) => STATE_CHANGING.has(r.split(' ')[0]));
    for (const who of ['anonymous', 'partnership-admin'] as const) {
      await Promise.all(
        posts.map(async (route) => {
          const [method] = route.split(' ');
          const url = fill(route, own, shared);
          const res = await agents[who].request(method, url, {
            body: new URLSearchParams({ name: 'x' }),
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
          });
          const text = await res.text();
          const refused = res.status === 403 && text.includes('This form has expired or was not sent from this service');
          if (exempt.some((re) => re.test(url))) {
            if (refused) accepted.push(`${who}: ${route} is declared exempt but was refused`);
          } else if (!refused) accepted.push(`${who}: ${method} ${url} answered ${res.status} without a CSRF token`);
        }),
      );
    }
    expect(accepted, accepted.join('\n')).to.deep.equal([]);
    // Exempt only where another check stands in for the token: the identity provider's signed assertion or logout message.
    expect(exempt.map(String)).to.deep.equal([String(/^\/auth\/saml\/[a-z0-9-]+\/acs$/), String(/^\/auth\/saml\/[a-z0-9-]+\/slo$/)]);
    // A token from another person's session is no token.
    const stranger = new TestAgent(server.url);
    await stranger.get('/sign-in');
    const res = await agents['partnership-admin'].request('POST', '/admin/job-roles', {
      body: new URLSearchParams({ _csrf: stranger.csrfToken ?? '' }),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res.status).to.equal(403);
  });

  it('leaves every role signed in and another organisation’s records as they were', async () => {
    for (const who of WHO.filter((w) => w !== 'anonymous')) expect((await agents[who].get('/my-training')).status, who).to.equal(200);
    const pool = server.product.database.pool;
    const { rows } = await pool.query<{ group_number: number }>('select group_number from staff where id = $1', [other.staffId]);
    const { rows: history } = await pool.query<{ n: number }>('select count(*)::int as n from staff_group_history where staff_id = $1', [other.staffId]);
    expect(rows[0].group_number).to.not.equal(null);
    expect(history[0].n).to.equal(1);
  });

  it('lets the lead reach their own organisation’s people, so the refusals are about scope', async () => {
    const lead = agents['org-lead'];
    for (const url of [
      `/staff/${own.staffId}`,
      `/staff/${own.staffId}/evidence`,
      '/compliance/vale-county-council',
      '/admin/organisations/vale-county-council',
      '/reminders/vale-county-council',
    ]) {
      expect((await lead.get(url)).status, url).to.equal(200);
    }
    expect((await lead.getJson('/api/v1/organisations/vale-county-council/compliance')).status).to.equal(200);
    expect((await lead.getJson(`/api/v1/staff/${own.staffId}/compliance`)).status).to.equal(200);
  });

  it('shows a lead the e-learning report with their own staff only', async () => {
    const { rows } = await server.product.database.pool.query<{ name: string }>(
      `select s.name from staff s join organisations o on o.id = s.organisation_id where o.slug = 'vale-police'`,
    );
    const page = await agents['org-lead'].get(`/courses/${COURSE}/report`);
    expect(page.status).to.equal(200);
    for (const { name } of rows) expect(page.text).to.not.contain(name);
  });
});
