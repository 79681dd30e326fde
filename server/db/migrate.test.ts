import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { Pool } from 'pg';
import { createTestDatabase } from '../../test/support/database';
import { createLogger } from '../logger';
import { loadModules } from '../module';
import { migrationSources } from '../runtime';
import { runMigrations } from './migrate';

/** The core's migrations as they were when the core still made the organisations' and the partnership's tables. */
const CORE_BEFORE_MODULES_OWNED_THEIR_TABLES = path.join(__dirname, 'fixtures', 'core-migrations-before-table-ownership');
/** The modules that had no migrations of their own then: their tables were the core's. */
const MODULES_THAT_TOOK_TABLES_FROM_THE_CORE = ['organisations', 'partnership'];

/** Everything a migration can make, as text that two databases can be compared by (column order included). */
async function schemaOf(pool: Pool): Promise<Record<string, string[]>> {
  const lines = async (sql: string) => (await pool.query<{ line: string }>(sql)).rows.map((r) => r.line);
  return {
    columns:
      await lines(`select table_name || '.' || column_name || ' ' || data_type || ' ' || udt_name || ' null=' || is_nullable || ' default=' || coalesce(column_default, '') as line
      from information_schema.columns where table_schema = current_schema() order by table_name, ordinal_position`),
    constraints: await lines(`select conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) as line
      from pg_constraint where connamespace = current_schema()::regnamespace order by 1`),
    indexes: await lines(`select indexdef as line from pg_indexes where schemaname = current_schema() order by indexname`),
    triggers: await lines(`select pg_get_triggerdef(t.oid) as line from pg_trigger t join pg_class c on c.oid = t.tgrelid
      where not t.tgisinternal and c.relnamespace = current_schema()::regnamespace order by 1`),
    functions: await lines(`select pg_get_functiondef(oid) as line from pg_proc where pronamespace = current_schema()::regnamespace order by proname, 1`),
    views: await lines(`select viewname || ' ' || definition as line from pg_views where schemaname = current_schema() order by viewname`),
    sequences: await lines(
      `select sequence_name || ' ' || data_type as line from information_schema.sequences where sequence_schema = current_schema() order by 1`,
    ),
  };
}

describe('tables made by the module that owns them', () => {
  const logger = createLogger({ env: 'test', logLevel: 'silent' });

  it('leaves an installation migrated while the core made them with the same schema as a new installation', async () => {
    const sources = migrationSources(loadModules());
    const fresh = await createTestDatabase();
    const older = await createTestDatabase();
    try {
      await runMigrations(fresh.database.pool, sources, logger);

      const sourcesThen = [
        { module: 'core', dir: CORE_BEFORE_MODULES_OWNED_THEIR_TABLES },
        ...sources.filter((s) => s.module !== 'core' && !MODULES_THAT_TOOK_TABLES_FROM_THE_CORE.includes(s.module)),
      ];
      await runMigrations(older.database.pool, sourcesThen, logger);
      // Someone's data, which moving the tables' definitions must leave where it is.
      await older.database.pool.query(`insert into organisations (slug, name, sector) values ('kept', 'Kept Council', 'local-authority')`);
      await older.database.pool.query(`insert into partnership (name, area_name) values ('Kept Partnership', 'Kept')`);
      // The code of today starts on that database: the core's files it still has were applied then, the modules' new ones are not.
      const applied = await runMigrations(older.database.pool, sources, logger);
      const theirs = sources.filter((s) => MODULES_THAT_TOOK_TABLES_FROM_THE_CORE.includes(s.module));
      const sqlIn = (dir: string) => fs.readdirSync(dir).filter((f) => f.endsWith('.sql'));
      // And the core's own migrations written since.
      const coreSince = sqlIn(sources.find((s) => s.module === 'core')!.dir).filter((f) => !sqlIn(CORE_BEFORE_MODULES_OWNED_THEIR_TABLES).includes(f));
      expect(applied).to.equal(theirs.flatMap((s) => sqlIn(s.dir)).length + coreSince.length);

      expect(await schemaOf(older.database.pool)).to.deep.equal(await schemaOf(fresh.database.pool));
      // A backup restores only onto a database that recorded the same migrations.
      const recorded = async (pool: Pool) =>
        (await pool.query<{ key: string }>(`select module || '/' || name as key from schema_migrations order by 1`)).rows.map((r) => r.key);
      expect(await recorded(older.database.pool)).to.deep.equal(await recorded(fresh.database.pool));
      const { rows } = await older.database.pool.query(
        'select (select name from organisations) as organisation, (select name from partnership) as partnership',
      );
      expect(rows[0]).to.deep.equal({ organisation: 'Kept Council', partnership: 'Kept Partnership' });
    } finally {
      await fresh.drop();
      await older.drop();
    }
  });

  it('moves the quick exit address and the leavers’ retention period off the partnership’s row into the safety and data-protection modules’ tables, keeping an installation’s choices', async () => {
    const sources = migrationSources(loadModules());
    const moves = ['safety/002_quick_exit_table.sql', 'data-protection/002_leaver_retention_table.sql'];
    // Each module's migrations as they were before the move: the same files, less the one that moves its setting.
    const before = fs.mkdtempSync(path.join(os.tmpdir(), 'lms-migrations-'));
    const sourcesThen = sources.map((s) => {
      const leftOut = moves.filter((m) => m.startsWith(`${s.module}/`)).map((m) => m.slice(s.module.length + 1));
      if (!leftOut.length) return s;
      const dir = path.join(before, s.module);
      fs.mkdirSync(dir);
      for (const f of fs.readdirSync(s.dir).filter((f) => f.endsWith('.sql') && !leftOut.includes(f))) fs.copyFileSync(path.join(s.dir, f), path.join(dir, f));
      return { module: s.module, dir };
    });
    const fresh = await createTestDatabase();
    const older = await createTestDatabase();
    try {
      await runMigrations(fresh.database.pool, sources, logger);
      await runMigrations(older.database.pool, sourcesThen, logger);
      await older.database.pool.query(
        `insert into partnership (name, area_name, exit_url, leaver_retention_months) values ('Kept Partnership', 'Kept', 'https://news.example/local', 84)`,
      );
      expect(await runMigrations(older.database.pool, sources, logger)).to.equal(moves.length);

      expect(await schemaOf(older.database.pool)).to.deep.equal(await schemaOf(fresh.database.pool));
      const { rows } = await older.database.pool.query(
        'select (select exit_url from quick_exit) as "exitUrl", (select months from leaver_retention) as months, (select name from partnership) as partnership',
      );
      expect(rows[0]).to.deep.equal({ exitUrl: 'https://news.example/local', months: 84, partnership: 'Kept Partnership' });
      // A new installation starts with the quick exit's usual address and the retention period from the configuration.
      const { rows: defaults } = await fresh.database.pool.query(
        'select (select exit_url from quick_exit) as "exitUrl", (select months from leaver_retention) as months',
      );
      expect(defaults[0]).to.deep.equal({ exitUrl: 'https://www.bbc.co.uk/weather', months: null });
    } finally {
      await fresh.drop();
      await older.drop();
      fs.rmSync(before, { recursive: true, force: true });
    }
  });

  it('keeps the keys from the core’s tables to the organisations in a new installation', async () => {
    const fresh = await createTestDatabase();
    try {
      await runMigrations(fresh.database.pool, migrationSources(loadModules()), logger);
      const { rows } = await fresh.database.pool.query<{ key: string }>(
        `select conrelid::regclass::text || ' ' || pg_get_constraintdef(oid) as key from pg_constraint
          where contype = 'f' and confrelid = 'organisations'::regclass and conrelid::regclass::text in ('user_roles', 'audit_log', 'outbound_messages') order by 1`,
      );
      expect(rows.map((r) => r.key)).to.deep.equal([
        'audit_log FOREIGN KEY (organisation_id) REFERENCES organisations(id) ON DELETE SET NULL',
        'outbound_messages FOREIGN KEY (organisation_id) REFERENCES organisations(id) ON DELETE SET NULL',
        'user_roles FOREIGN KEY (organisation_id) REFERENCES organisations(id) ON DELETE CASCADE',
      ]);
    } finally {
      await fresh.drop();
    }
  });
});
