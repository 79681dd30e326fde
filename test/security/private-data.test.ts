import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import pg from 'pg';
import { embeddedUrl, SOCKET_NAME } from '../../server/db/embedded';
import { createTestDatabase, TEST_DB, type TestDatabase } from '../support/database';
import { runNode, type ServerProcess, startServerProcess } from '../support/process';

const mode = (file: string) => fs.statSync(file).mode & 0o777;

/** Every file and folder under dir that anyone but its owner could read, write or enter. */
function openToOthers(dir: string): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    if (mode(d) & 0o077) found.push(`${d} ${mode(d).toString(8)}`);
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (!entry.isSymbolicLink() && mode(full) & 0o077) found.push(`${full} ${mode(full).toString(8)}`);
    }
  };
  walk(dir);
  return found;
}

/** What another local account sees when it tries to open the database socket (root runs it as "nobody"). */
function connectAsNobody(socketPath: string): Promise<string> {
  const script = `require('net').connect({ path: ${JSON.stringify(socketPath)} }).on('connect', () => { console.log('connected'); process.exit(0); }).on('error', (e) => { console.log(e.code); process.exit(0); });`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script], { uid: 65534, gid: 65534, cwd: '/', env: {} });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('exit', () => resolve(out.trim()));
  });
}

/**
 * The data directory holds the database, the session secret and the socket;
 * backups and exports hold password hashes and sessions. None of it is for
 * other accounts on the machine, and the embedded database, which takes any
 * user name and password, is reachable by no one else.
 */
describe(`private data: file modes and the embedded database's socket (${TEST_DB})`, function () {
  this.timeout(240_000);
  let work: string;
  let dataDir: string;
  let env: Record<string, string>;
  let testDb: TestDatabase | undefined;
  let server: ServerProcess | undefined;

  before(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'lms-private-'));
    dataDir = path.join(work, 'data');
    // A data directory from before this rule: readable by everyone, with a file in it to match.
    fs.mkdirSync(dataDir, { mode: 0o755 });
    fs.chmodSync(dataDir, 0o755);
    fs.writeFileSync(path.join(dataDir, 'notes.txt'), 'old', { mode: 0o644 });
    // No SCORM_DIR: imported e-learning goes where it goes by default, inside the data directory.
    env = { DATA_DIR: dataDir, DEMO_DATA: 'false', JOBS: 'false' };
    if (TEST_DB === 'postgres') {
      testDb = await createTestDatabase();
      await testDb.database.pool.end();
      env.DATABASE_URL = testDb.databaseUrl!;
      env.SESSION_SECRET = 'x'.repeat(40);
    } else {
      server = await startServerProcess(env, 200_000);
    }
  });
  after(async () => {
    if (server) await server.stop('SIGKILL');
    if (testDb) await testDb.drop().catch(() => {});
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('keeps the data directory, the database files, the secret and the socket to the owner', function () {
    if (TEST_DB !== 'pglite') this.skip();
    expect(mode(dataDir)).to.equal(0o700);
    expect(fs.existsSync(path.join(dataDir, 'pgdata', 'PG_VERSION'))).to.equal(true);
    expect(mode(path.join(dataDir, 'session-secret'))).to.equal(0o600);
    expect(mode(path.join(dataDir, 'pglite.owner.json'))).to.equal(0o600);
    expect(mode(path.join(dataDir, 'notes.txt'))).to.equal(0o600);
    expect(mode(path.join(dataDir, 'scorm')), 'imported e-learning').to.equal(0o700);
    expect(fs.statSync(path.join(dataDir, SOCKET_NAME)).isSocket()).to.equal(true);
    expect(openToOthers(dataDir)).to.deep.equal([]);
    // No network port to knock on: the owner file names only the socket's folder.
    expect(Object.keys(JSON.parse(fs.readFileSync(path.join(dataDir, 'pglite.owner.json'), 'utf8')))).to.not.include('port');
  });

  it('refuses another local account at the socket, while the owner connects', async function () {
    if (TEST_DB !== 'pglite') this.skip();
    const client = new pg.Client({ connectionString: embeddedUrl(dataDir) });
    await client.connect();
    const { rows } = await client.query<{ one: number }>('select 1 as one');
    await client.end();
    expect(rows[0].one).to.equal(1);
    // Only root can act as another account here; elsewhere the modes above are the proof.
    if (process.getuid?.() !== 0) this.skip();
    expect(await connectAsNobody(path.join(dataDir, SOCKET_NAME))).to.equal('EACCES');
  });

  it('writes a backup 0600 and an export 0700/0600 from the CLI, while the server runs', async () => {
    const outside = path.join(work, 'outside');
    fs.mkdirSync(outside, { mode: 0o755 });
    const backup = path.join(outside, 'partnership.backup');
    const exportDir = path.join(outside, 'export');
    const backedUp = await runNode(['scripts/cli.ts', 'backup', '--out', backup], env);
    expect(backedUp.code, backedUp.output).to.equal(0);
    expect(mode(backup)).to.equal(0o600);
    expect(backedUp.output, 'names the e-learning folder to copy').to.include(path.join(dataDir, 'scorm'));
    const exported = await runNode(['scripts/cli.ts', 'export', '--out', exportDir], env);
    expect(exported.code, exported.output).to.equal(0);
    expect(openToOthers(exportDir)).to.deep.equal([]);
    expect(fs.readdirSync(exportDir)).to.include('manifest.json');
  });
});
