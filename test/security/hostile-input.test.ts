import { expect } from 'chai';
import fc from 'fast-check';
import { TEST_DB } from '../support/database';
import { startTestServer, TestAgent, type TestServer } from '../support/server';
import { ACCESS, type Who } from './access-expectations';
import { demoFixture, fill, type Ids, type Shared } from './fixture';
import { routeParams, routeTable } from './routes';

/**
 * No request, however malformed, gets a 5xx. Every page the access matrix
 * knows is opened as someone allowed to see it, every form on it is found,
 * and fast-check fills each form's fields, the page's query parameters and
 * the route's path parameters with hostile strings: NUL and other control
 * characters, bad percent-encoding, prototype keys, lone surrogates, long
 * text. Runs per target are few so the sweep stays short in CI; the fixed
 * cases the attack report named come first.
 */

interface Target {
  who: Who;
  method: 'GET' | 'POST';
  action: string;
  fields: string[];
}

const HOSTILE_CONSTANTS = [
  '\u0000',
  'a\u0000b',
  '%00',
  '%c0%ae',
  '%zz',
  '%',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  '../../../../etc/passwd',
  "'; drop table users; --",
  '\uD800',
  '\u202E',
  '<script>alert(1)</script>',
  '9'.repeat(400),
  '-1',
  '1e309',
  'x'.repeat(5000),
];

const hostileString = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_CONSTANTS) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.string({ maxLength: 10 }), fc.constantFrom('\u0000', '\u0007', '%zz', '\uDFFF'), fc.string({ maxLength: 10 }))
      .map((p) => p.join('')),
  },
);

/** Forms on a page: where they post, how, and the names of their fields. */
function formsOn(html: string, pagePath: string): Omit<Target, 'who'>[] {
  const forms: Omit<Target, 'who'>[] = [];
  for (const m of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)) {
    const attrs = m[1];
    const action = (attrs.match(/action="([^"]*)"/)?.[1] ?? pagePath).replace(/&amp;/g, '&');
    const method = /method="post"/i.test(attrs) ? 'POST' : 'GET';
    if (!action.startsWith('/') || action.startsWith('//')) continue;
    const fields = [...new Set([...m[2].matchAll(/<(?:input|select|textarea)\b[^>]*\bname="([^"]+)"/g)].map((f) => f[1]).filter((n) => n !== '_csrf'))];
    forms.push({ method, action, fields });
  }
  return forms;
}

/** One who may open a route, preferring whoever sees the most. */
function allowedWho(route: string): Who | undefined {
  const roles = ACCESS[route]?.roles ?? {};
  return (['partnership-admin', 'org-lead', 'trainer', 'learner', 'board-member', 'anonymous'] as Who[]).find((w) => roles[w]);
}

describe(`hostile input never gets a 5xx: every form and parameter the access matrix knows (${TEST_DB})`, function () {
  this.timeout(600_000);
  let server: TestServer;
  let agents: Record<Who, TestAgent>;
  let own: Ids;
  let shared: Shared;
  const targets: Target[] = [];
  const pathRoutes: { who: Who; route: string }[] = [];

  before(async () => {
    server = await startTestServer({ demo: true });
    ({ agents, own, shared } = await demoFixture(server));
    const seen = new Set<string>();
    for (const route of routeTable(server.product.app).filter((r) => r.startsWith('GET ') && ACCESS[r])) {
      const who = allowedWho(route);
      if (!who || route.includes('*')) continue;
      if (routeParams(route).length) pathRoutes.push({ who, route });
      const url = fill(route, own, shared);
      const res = await agents[who].request('GET', url, { headers: { accept: 'text/html' } });
      if (!(res.headers.get('content-type') ?? '').includes('text/html')) {
        await res.arrayBuffer();
        continue;
      }
      const html = await res.text();
      const csrf = html.match(/name="_csrf" value="([^"]+)"/)?.[1];
      if (csrf) agents[who].csrfToken = csrf;
      for (const form of formsOn(html, url.split('?')[0])) {
        // Signing out would end the sweep's own sessions; it takes no parameters anyway.
        if (form.action === '/sign-out') continue;
        const key = `${who} ${form.method} ${form.action.split('?')[0]} ${form.fields.join(',')}`;
        if (seen.has(key)) continue;
        seen.add(key);
        targets.push({ who, ...form });
      }
      // The page's own address with parameters it does not expect, too.
      const pageKey = `${who} GET ${url}`;
      if (!seen.has(pageKey)) {
        seen.add(pageKey);
        targets.push({ who, method: 'GET', action: url, fields: ['q', 'sort', 'page', 'team', 'filter', 'returnTo'] });
      }
    }
    expect(targets.filter((t) => t.method === 'POST').length, 'forms found').to.be.above(10);
  });

  after(async () => {
    await server?.close();
  });

  const failures: string[] = [];

  async function send(target: Target, values: [string, string][]): Promise<number> {
    const agent = agents[target.who];
    if (target.method === 'GET') {
      const url = new URL(target.action, server.url);
      for (const [k, v] of values) url.searchParams.append(k, v);
      const res = await agent.request('GET', url.pathname + url.search, { headers: { accept: 'text/html' } });
      await res.arrayBuffer();
      return res.status;
    }
    const body = new URLSearchParams();
    body.append('_csrf', agent.csrfToken ?? '');
    for (const [k, v] of values) body.append(k, v);
    const res = await agent.request('POST', target.action, { body, headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' } });
    await res.arrayBuffer();
    return res.status;
  }

  it('answers the reported cases with a 4xx, not a 500', async () => {
    const anonymous = new TestAgent(server.url);
    await anonymous.get('/sign-in');
    const cases: [string, () => Promise<Response>][] = [
      ['NUL in sign-in', () => anonymous.postForm('/sign-in', { email: 'a\u0000@x.example', password: 'x\u0000' })],
      ['NUL in password reset', () => anonymous.postForm('/password-reset', { email: 'a\u0000b@x.example' })],
      ['NUL in /auth/sso/find', () => anonymous.request('GET', '/auth/sso/find?email=a%00b%40x.example')],
      ['NUL in /staff?q=', () => agents['org-lead'].request('GET', '/staff?q=a%00b')],
      ['NUL in a certificate team', () => agents['org-lead'].request('GET', `/certificates?team=${encodeURIComponent(`${own.slug}:a\u0000b`)}`)],
      ['%c0%ae in a path', () => anonymous.request('GET', '/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd')],
      ['%zz in a path parameter', () => agents['partnership-admin'].request('GET', '/admin/users/%zz')],
      ['%zz in a static path', () => anonymous.request('GET', '/assets/%zz')],
      ['sort=__proto__', () => agents['org-lead'].request('GET', `/compliance/${own.slug}/staff?sort=__proto__`)],
      [
        '__proto__ as a field name',
        () =>
          anonymous.postForm(
            '/sign-in',
            Object.fromEntries([
              ['__proto__', 'x'],
              ['email', 'a@b.example'],
              ['password', 'x'],
            ]),
          ),
      ],
      ['constructor as a JSON key', () => agents.learner.postJson('/sign-in', { constructor: { prototype: { x: 1 } } })],
    ];
    for (const [label, attack] of cases) {
      const res = await attack();
      const text = await res.text();
      expect(res.status, `${label}: ${text.slice(0, 200)}`).to.be.within(400, 499);
      expect(text, label).to.not.match(/at \w+ \(|node_modules/);
    }
    // Nothing was stored from the NUL sign-in: PostgreSQL would have refused it anyway, but the audit log must not hold a half row.
    const { rows } = await server.product.database.pool.query<{ n: number }>(`select count(*)::int as n from audit_log where detail::text like '%\\u0000%'`);
    expect(rows[0].n).to.equal(0);
  });

  it('every form field and query parameter, filled with generated hostile strings, never gets a 5xx', async () => {
    await fc
      .assert(
        fc.asyncProperty(
          fc.constantFrom(...targets),
          hostileString,
          fc.nat(),
          fc.constantFrom('value', 'name', 'repeat'),
          async (target, hostile, pick, how) => {
            const names = target.fields.length ? target.fields : ['q'];
            const field = names[pick % names.length];
            const values: [string, string][] = names.filter((n) => n !== field).map((n) => [n, 'x']);
            if (how === 'value') values.push([field, hostile]);
            else if (how === 'name') values.push([hostile, 'x'], [field, 'x']);
            else values.push([field, hostile], [field, 'second']);
            const status = await send(target, values);
            if (status >= 500)
              failures.push(`${status} ${target.who} ${target.method} ${target.action} ${how} ${field}=${JSON.stringify(hostile).slice(0, 80)}`);
            return status < 500;
          },
        ),
        // Each target a few times over: enough to reach every form, short enough for CI.
        { numRuns: Math.max(150, targets.length * 2), seed: Number(process.env.HOSTILE_SEED) || undefined, endOnFailure: false },
      )
      .catch((err) => {
        throw new Error(`${failures.join('\n')}\n${err}`);
      });
  });

  it('every path parameter, filled with generated hostile strings, never gets a 5xx', async () => {
    await fc
      .assert(
        fc.asyncProperty(fc.constantFrom(...pathRoutes), hostileString, fc.boolean(), async ({ who, route }, hostile, raw) => {
          const url = fill(route, own, shared);
          const param = routeParams(route)[0];
          const filled = fill(route.replace(new RegExp(`[:*]${param}\\b`), '__HOSTILE__'), own, shared);
          const value = raw ? hostile.replace(/[/?#\s]/g, '') || '%zz' : encodeURIComponent(hostile.replace(/[\uD800-\uDFFF]/g, '%zz'));
          const res = await agents[who].request('GET', filled.replace('__HOSTILE__', value), { headers: { accept: 'text/html' } });
          await res.arrayBuffer();
          if (res.status >= 500) failures.push(`${res.status} ${who} GET ${url} ${param}=${JSON.stringify(hostile)}`);
          return res.status < 500;
        }),
        { numRuns: Math.max(100, pathRoutes.length * 2), endOnFailure: false },
      )
      .catch((err) => {
        throw new Error(`${failures.join('\n')}\n${err}`);
      });
  });
});
