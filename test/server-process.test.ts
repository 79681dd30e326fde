import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { createTestDatabase, TEST_DB, type TestDatabase } from './support/database';
import { runNode, type ServerProcess, startServerProcess } from './support/process';

/**
 * The product as an operator runs it: `npm start` (server/main.ts) and
 * `npm run cli` (scripts/cli.ts) as separate processes on one database.
 */
describe(`running the server and the CLI as processes (${TEST_DB})`, function () {
  this.timeout(180_000);
  let dataDir: string;
  let testDb: TestDatabase | undefined;
  let env: Record<string, string>;
  let server: ServerProcess | undefined;

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lms-proc-'));
    if (TEST_DB === 'postgres') {
      testDb = await createTestDatabase();
      // The server and CLI processes bring their own connections.
      await testDb.database.pool.end();
      env = { DATABASE_URL: testDb.databaseUrl!, SESSION_SECRET: 'x'.repeat(40), DEMO_DATA: 'true', DATA_DIR: dataDir };
    } else {
      env = { DATA_DIR: dataDir };
    }
  });
  after(async () => {
    if (server) await server.stop('SIGKILL');
    if (testDb) await testDb.drop().catch(() => {});
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  let token = '';

  it('starts with demo data and prints the demo sign-in details', async () => {
    server = await startServerProcess(env);
    const out = server.output();
    expect(out).to.contain('Demo partnership loaded');
    expect(out).to.match(/partnership-admin\s+admin@vale-partnership\.example\s+password: \S+/);
    expect(out).to.contain('learner@valecounty.example');
  });

  it('creates a user and prints a token alone from the CLI while the server runs', async () => {
    const created = await runNode(
      ['scripts/cli.ts', 'user:create', '--email', 'ops@example.org', '--password', 'a long enough passphrase', '--role', 'partnership-admin'],
      env,
    );
    expect(created.code, created.output).to.equal(0);
    const issued = await runNode(['scripts/cli.ts', 'token:create', '--email', 'ops@example.org'], env);
    expect(issued.code, issued.output).to.equal(0);
    token = issued.stdout.trim();
    expect(token).to.match(/^dal_[\w-]{20,}$/);
    const res = await fetch(`${server!.url}/api/v1/organisations`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).to.equal(200);
  });

  it('stops cleanly on SIGTERM within 10 seconds', async () => {
    const { code, ms } = await server!.stop();
    server = undefined;
    expect(code).to.equal(0);
    expect(ms).to.be.below(10_000);
  });

  it('keeps every record across a restart and does not load the demo twice', async () => {
    server = await startServerProcess(env);
    expect(server.output()).to.not.contain('Demo partnership loaded');
    const res = await fetch(`${server.url}/api/v1/organisations`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).to.equal(200);
    const body = (await res.json()) as { organisations: unknown[] };
    expect(body.organisations).to.have.length(8);
    await server.stop();
    server = undefined;
  });

  it('stops cleanly when told to stop the moment it first answers, as a quick restart does', async () => {
    // Before, the signal came before the server listened for it and killed the process,
    // leaving the embedded database to replay every write at the next start.
    const early = await startServerProcess(env, 90_000, { firstAnswer: true });
    const { code } = await early.stop();
    expect(code, early.output()).to.equal(0);
    server = await startServerProcess(env);
    expect(server.output()).to.not.contain('Demo partnership loaded');
    await server.stop();
    server = undefined;
  });

  it('runs CLI commands with the server stopped, and fails clearly on bad input', async () => {
    const ok = await runNode(
      ['scripts/cli.ts', 'user:create', '--email', 'lead2@example.org', '--password', 'another long passphrase', '--role', 'org-lead', '--org', 'vale-police'],
      env,
    );
    expect(ok.code, ok.output).to.equal(0);
    const badRole = await runNode(
      ['scripts/cli.ts', 'user:create', '--email', 'x@example.org', '--password', 'another long passphrase', '--role', 'superuser'],
      env,
    );
    expect(badRole.code).to.equal(2);
    expect(badRole.output).to.contain('Unknown role "superuser"');
    const badOrg = await runNode(
      ['scripts/cli.ts', 'user:create', '--email', 'y@example.org', '--password', 'another long passphrase', '--role', 'org-lead', '--org', 'nowhere'],
      env,
    );
    expect(badOrg.code).to.equal(2);
    expect(badOrg.output).to.contain('No organisation with the slug "nowhere"');
    const dup = await runNode(
      ['scripts/cli.ts', 'user:create', '--email', 'lead2@example.org', '--password', 'another long passphrase', '--role', 'learner'],
      env,
    );
    expect(dup.code).to.equal(2);
    expect(dup.output).to.contain('already exists');
    const noUser = await runNode(['scripts/cli.ts', 'token:create', '--email', 'nobody@example.org'], env);
    expect(noUser.code).to.equal(2);
    expect(noUser.output).to.contain('No user with the email');
    const unknown = await runNode(['scripts/cli.ts', 'frobnicate'], env);
    expect(unknown.code).to.equal(2);
    expect(unknown.output).to.contain('Unknown command');
  });
});
