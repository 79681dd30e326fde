import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { expect } from 'chai';
import { TEST_DB } from '../support/database';

type FsCall = 'writeSync' | 'fsyncSync' | 'fdatasyncSync' | 'fsync' | 'fdatasync';
const WATCHED: FsCall[] = ['writeSync', 'fsyncSync', 'fdatasyncSync', 'fsync', 'fdatasync'];

/**
 * What the embedded database (PGlite on its Node file system) promises when
 * the power goes or the operating system crashes, checked rather than
 * assumed, as the README states it: a commit is written to the operating
 * system before it returns (so it survives the server process being killed),
 * but never forced to the disk (no fsync: PGlite runs PostgreSQL with
 * fsync=off), so the last commits before a power cut can be lost. If a new
 * PGlite starts to flush on commit, this fails: update the README's "Where
 * the data lives" and this test.
 */
describe('the embedded database on a power cut (PGlite)', function () {
  this.timeout(120_000);
  // It opens PGlite on files of its own whichever database the suite uses; once is enough.
  if (TEST_DB !== 'pglite') {
    it.skip('is skipped: it runs on the embedded database pass');
    return;
  }
  let dir: string;
  let db: PGlite;
  const originals = new Map<FsCall, unknown>();
  const calls = new Map<FsCall, number>();

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lms-durability-'));
    db = new PGlite(path.join(dir, 'pgdata'));
    await db.waitReady;
    await db.exec('create table commits (id int primary key)');
    for (const name of WATCHED) {
      const original = fs[name] as (...args: unknown[]) => unknown;
      originals.set(name, original);
      (fs as unknown as Record<string, unknown>)[name] = function (this: unknown, ...args: unknown[]) {
        calls.set(name, (calls.get(name) ?? 0) + 1);
        return original.apply(this, args);
      };
    }
  });
  after(async () => {
    for (const [name, original] of originals) (fs as unknown as Record<string, unknown>)[name] = original;
    await db?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('writes each commit to the operating system before it returns, and never forces it to disk', async () => {
    calls.clear();
    await db.query('insert into commits values (1)');
    expect(calls.get('writeSync') ?? 0, 'the commit is written to the files').to.be.greaterThan(0);
    for (const flush of ['fsyncSync', 'fdatasyncSync', 'fsync', 'fdatasync'] as const) expect(calls.get(flush) ?? 0, flush).to.equal(0);
    expect((await db.query<{ fsync: string }>('show fsync')).rows[0].fsync).to.equal('off');
  });
});
