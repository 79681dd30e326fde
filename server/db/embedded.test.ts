import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import pg from 'pg';
import { openDatabase } from '../db';
import { embeddedUrl, openEmbedded } from './embedded';
import { createLogger } from '../logger';
import { runsOnThisPass } from '../../test/support/one-pass';

// These open PGlite themselves whatever TEST_DB says, so CI runs them on the embedded
// database's pass only. Each makes a new PGlite (initdb in WebAssembly): slow on a busy machine.
const EMBEDDED_TIMEOUT_MS = 180_000;

/**
 * The embedded database serves several pooled connections through one PGlite.
 * Each query is several protocol messages (Parse, Bind, Execute, Sync): two
 * connections' messages must never interleave, or a query runs another's
 * portal and fails with `portal "" does not exist`.
 */
describe('embedded database under concurrent queries', function () {
  this.timeout(EMBEDDED_TIMEOUT_MS);
  before(function () {
    if (!runsOnThisPass('pglite')) this.skip();
  });

  it('answers hundreds of concurrent parameterised queries from a pool, each with its own result', async () => {
    const database = await openDatabase({ dataDir: '/nonexistent' }, createLogger({ env: 'test', logLevel: 'silent' }), {
      role: 'test',
      inMemory: true,
      poolSize: 8,
    });
    try {
      await database.pool.query('create table t (n int primary key, label text)');
      const results = await Promise.all(
        Array.from({ length: 600 }, (_, i) =>
          i % 3 === 0
            ? database.pool.query('insert into t (n, label) values ($1, $2)', [i, `row ${i}`]).then((r) => r.rowCount === 1)
            : i % 3 === 1
              ? database.pool.query<{ v: number }>('select $1::int * 2 as v', [i]).then((r) => r.rows[0].v === i * 2)
              : // no parameters: sent with the simple query protocol, which drops the unnamed portal
                database.pool.query<{ v: number }>(`select ${i} as v`).then((r) => r.rows[0].v === i),
        ),
      );
      expect(results.every(Boolean)).to.equal(true);
      const { rows } = await database.pool.query<{ c: number }>('select count(*)::int as c from t');
      expect(rows[0].c).to.equal(200);
    } finally {
      await database.close();
    }
  });
});

describe('embedded database started from a template', function () {
  this.timeout(EMBEDDED_TIMEOUT_MS);
  before(function () {
    if (!runsOnThisPass('pglite')) this.skip();
  });

  it('starts a new data directory as a private copy of the template, and leaves an existing one alone', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'lms-template-'));
    fs.chmodSync(root, 0o700);
    const source = path.join(root, 'source');
    const target = path.join(root, 'target');
    try {
      const first = await openEmbedded({ dataDir: source, role: 'test', borrowIfBusy: false });
      await queryOnce(first.socketDir, 'create table from_template (n int); insert into from_template values (7)');
      await first.close();
      // A template readable by everyone, as the build leaves it.
      for (const file of walk(path.join(source, 'pgdata'))) fs.chmodSync(file, fs.statSync(file).isDirectory() ? 0o755 : 0o644);

      const started = await openEmbedded({ dataDir: target, role: 'test', borrowIfBusy: false, template: path.join(source, 'pgdata') });
      try {
        const { rows } = await queryOnce(started.socketDir, 'select n from from_template');
        expect(rows).to.deep.equal([{ n: 7 }]);
        await queryOnce(started.socketDir, 'insert into from_template values (8)');
      } finally {
        await started.close();
      }
      const loose = walk(path.join(target, 'pgdata')).filter((f) => fs.statSync(f).mode & 0o077);
      expect(loose).to.deep.equal([]);

      const again = await openEmbedded({ dataDir: target, role: 'test', borrowIfBusy: false, template: path.join(source, 'pgdata') });
      try {
        const { rows } = await queryOnce(again.socketDir, 'select n from from_template order by n');
        expect(rows).to.deep.equal([{ n: 7 }, { n: 8 }]);
      } finally {
        await again.close();
      }
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

function walk(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? [path.join(dir, e.name), ...walk(path.join(dir, e.name))] : [path.join(dir, e.name)]));
}

async function queryOnce(socketDir: string, sql: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: embeddedUrl(socketDir) });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}
