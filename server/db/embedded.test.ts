import { expect } from 'chai';
import { openDatabase } from '../db';
import { createLogger } from '../logger';

/**
 * The embedded database serves several pooled connections through one PGlite.
 * Each query is several protocol messages (Parse, Bind, Execute, Sync): two
 * connections' messages must never interleave, or a query runs another's
 * portal and fails with `portal "" does not exist`.
 */
describe('embedded database under concurrent queries', () => {
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
