import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { expect } from 'chai';
import { snapshotDatabase } from '../../test/reliability/snapshot';
import { TEST_DB } from '../../test/support/database';
import { startTestServer, type TestServer } from '../../test/support/server';

describe(`backup and restore (${TEST_DB})`, function () {
  this.timeout(120_000);
  let server: TestServer;
  let tmp: string;
  let run: (command: 'backup' | 'restore', args: string[]) => Promise<string>;

  before(async () => {
    server = await startTestServer({ demo: true });
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lms-backup-'));
    const mod = server.product.modules.find((m) => m.definition.name === 'backup')!;
    const ctx = server.product.contextFor(mod);
    run = async (command, args) => {
      const printed: string[] = [];
      const log = console.log;
      console.log = (line: string) => printed.push(line);
      try {
        await mod.definition.cli![command].run(ctx, args);
      } finally {
        console.log = log;
      }
      return printed.join('\n');
    };
  });
  after(async () => {
    await server?.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('restores every row of every table after the data has been changed', async () => {
    const pool = server.product.database.pool;
    const before = await snapshotDatabase(pool);
    expect(Object.values(before).filter((rows) => rows.length > 0).length, 'the demo fills many tables').to.be.greaterThan(15);
    const file = path.join(tmp, 'partnership.backup');
    expect(await run('backup', ['--out', file])).to.match(/^Backup written to .*partnership\.backup/);

    // What a bad day looks like: names overwritten, staff deleted, an organisation added.
    await pool.query("update organisations set name = 'Overwritten'");
    await pool.query('delete from staff_group_history');
    await pool.query("insert into organisations (slug, name, sector) values ('after-backup', 'Added after the backup', 'voluntary')");
    expect(await snapshotDatabase(pool)).to.not.deep.equal(before);

    expect(await run('restore', ['--in', file])).to.match(/^Restored /);
    expect(await snapshotDatabase(pool)).to.deep.equal(before);
    // The product works on the restored database: the demo administrator can still sign in.
    const page = await fetch(`${server.url}/sign-in`);
    expect(page.status).to.equal(200);
  });

  it('refuses a file that is not a backup, or a damaged one, and changes nothing', async () => {
    const pool = server.product.database.pool;
    const before = await snapshotDatabase(pool);
    const csv = path.join(tmp, 'staff.csv');
    fs.writeFileSync(csv, 'name,email\nA Person,a@example.org\n');
    const notBackup = await run('restore', ['--in', csv]).catch((err: Error) => err);
    expect(notBackup).to.be.instanceOf(Error);
    expect((notBackup as Error).name).to.equal('UsageError');
    expect((notBackup as Error).message).to.match(/is not a backup made by "npm run cli -- backup"\. Nothing was changed/);

    const gz = path.join(tmp, 'other.json.gz');
    fs.writeFileSync(gz, zlib.gzipSync('{"hello":"world"}\n'));
    expect(((await run('restore', ['--in', gz]).catch((err: Error) => err)) as Error).message).to.match(/is not a backup/);

    const whole = path.join(tmp, 'whole.backup');
    await run('backup', ['--out', whole]);
    const cut = path.join(tmp, 'cut.backup');
    const bytes = fs.readFileSync(whole);
    fs.writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length / 2)));
    expect(((await run('restore', ['--in', cut]).catch((err: Error) => err)) as Error).message).to.match(/damaged|incomplete|cannot read/);

    const missing = await run('restore', []).catch((err: Error) => err);
    expect((missing as Error).message).to.match(/--in PATH is required/);
    expect(await snapshotDatabase(pool)).to.deep.equal(before);
  });
});
