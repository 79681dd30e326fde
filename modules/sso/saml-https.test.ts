import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import type http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import express, { type RequestHandler } from 'express';
import { startTestServer, TestAgent, type TestServer } from '../../test/support/server';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const samlp = require('samlp') as { auth(options: Record<string, unknown>): RequestHandler };

const SLUG = 'vale-county-council';

/** Behind https (PUBLIC_URL https://...), a SAML response is accepted only in the browser that started the sign-in. */
describe('SAML sign-in is bound to the browser that started it (login CSRF)', function () {
  this.timeout(120_000);
  let server: TestServer;
  let idp: http.Server;
  let tmp: string;

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'saml-https-'));
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(tmp, 'k'), '-out', path.join(tmp, 'c'), '-days', '2', '-subj', '/CN=idp'],
      { stdio: 'ignore' },
    );
    const key = fs.readFileSync(path.join(tmp, 'k'), 'utf8');
    const cert = fs.readFileSync(path.join(tmp, 'c'), 'utf8');
    server = await startTestServer({ demo: true, config: { publicUrl: 'https://training.vale.example', secureCookies: true } });
    const app = express();
    app.get('/saml', (req, res, next) =>
      samlp.auth({
        issuer: 'urn:idp',
        // Addressed to the ACS at PUBLIC_URL, as a real IdP addresses it (the product checks both).
        destination: `https://training.vale.example/auth/saml/${SLUG}/acs`,
        recipient: `https://training.vale.example/auth/saml/${SLUG}/acs`,
        cert,
        key,
        getPostURL: (_a: string, _d: unknown, _r: unknown, cb: (err: Error | null, url: string) => void) => cb(null, `${server.url}/auth/saml/${SLUG}/acs`),
        getUserFromRequest: () => ({
          id: 'x',
          emails: [{ value: 'csrf.victim@valecounty.example' }],
          displayName: 'Victim',
          name: { givenName: 'V', familyName: 'W' },
        }),
      })(req, res, next),
    );
    await new Promise<void>((resolve) => {
      idp = app.listen(0, '127.0.0.1', () => resolve());
    });
    const port = (idp.address() as { port: number }).port;
    await server.product.database.pool.query(
      `insert into saml_identity_providers (organisation_id, enabled, idp_entry_point, idp_entity_id, idp_certificates)
       select id, true, $1, 'urn:idp', $2 from organisations where slug = $3`,
      [`http://127.0.0.1:${port}/saml`, [cert], SLUG],
    );
  });

  after(async () => {
    if (idp) await new Promise((resolve) => idp.close(resolve));
    await server?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  async function startAndGetResponse(agent: TestAgent): Promise<URLSearchParams> {
    const start = await agent.request('GET', `/auth/saml/${SLUG}/login`);
    expect(start.headers.getSetCookie().join(';')).to.match(/dal\.saml=.*Secure.*SameSite=None/i);
    const html = await (await fetch(start.headers.get('location') ?? '')).text();
    return new URLSearchParams({ SAMLResponse: html.match(/name="SAMLResponse"\s+value="([^"]*)"/)?.[1] ?? '', RelayState: '/' });
  }

  const post = (agent: TestAgent, body: URLSearchParams) =>
    agent.request('POST', `/auth/saml/${SLUG}/acs`, { body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });

  it('refuses a valid response posted from another browser, and accepts it in the one that asked', async () => {
    const attacker = new TestAgent(server.url);
    const attackersResponse = await startAndGetResponse(attacker);
    const victim = new TestAgent(server.url);
    expect((await post(victim, attackersResponse)).status).to.equal(403);
    await startAndGetResponse(victim);
    expect((await post(victim, attackersResponse)).status, 'a sign-in of their own does not make the other one acceptable').to.equal(403);
    expect((await post(attacker, attackersResponse)).status).to.equal(302);
  });
});
