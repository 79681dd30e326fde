import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { createLogger } from '../../server/logger';
import { type Prepared, prepare } from '../../server/runtime';
import { createTestDatabase, type TestDatabase, testConfig } from '../../test/support/database';
import type { TestServer } from '../../test/support/server';
import { reissueCertificate } from '../certificates/api';
import mod from './index';

/** Runs a CLI command as `npm run cli` would, capturing what it prints. */
async function cli(prepared: Prepared, name: 'export' | 'import', args: string[]): Promise<string> {
  const loaded = prepared.modules.find((m) => m.definition.name === 'partnership-export')!;
  const lines: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => lines.push(a.join(' '));
  try {
    await mod.cli![name].run(prepared.contextFor(loaded), args);
  } finally {
    console.log = log;
  }
  return lines.join('\n');
}

const tableFiles = (dir: string) =>
  fs
    .readdirSync(dir)
    .filter((f) => f !== 'manifest.json' && f !== 'README.md')
    .sort();

/** Run by test/safety-passport-export.browser.test.ts last, so the export holds what the other suites made. */
export function exportSuite(demo: () => TestServer): void {
  describe('leaving with everything: export and import', () => {
    let source: TestServer;
    let target: TestDatabase;
    let fresh: Prepared;
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'lms-export-'));
    const first = path.join(work, 'first');

    before(async () => {
      source = demo();
      target = await createTestDatabase();
      fresh = await prepare(testConfig({ databaseUrl: target.databaseUrl }), {
        logger: createLogger({ env: 'test', logLevel: 'warn' }),
        database: target.database,
        role: 'test',
      });
    });
    after(async () => {
      await target?.drop();
      fs.rmSync(work, { recursive: true, force: true });
    });

    it('exports the demo partnership from a running server as documented CSV and JSON, one pair per table', async () => {
      // A reissued certificate: two rows naming each other, which the import must put back in a workable order.
      const pool = source.product.database.pool;
      const { rows: certs } = await pool.query<{ id: string }>(
        `select id from certificates where status = 'valid' and replaced_by is null order by id limit 1`,
      );
      const { rows: admins } = await pool.query<{ id: string }>(`select id from users where email = 'admin@vale-partnership.example'`);
      expect(certs, 'the demo has certificates').to.have.length(1);
      await source.product.database.transaction((client) => reissueCertificate(client, { kind: 'all' }, certs[0].id, 'Name spelt wrongly', admins[0].id));
      const said = await cli(source.product, 'export', ['--out', first]);
      expect(said).to.match(/^Exported \d+ tables \(\d+ rows\)/);
      const manifest = JSON.parse(fs.readFileSync(path.join(first, 'manifest.json'), 'utf8'));
      expect(manifest.formatVersion).to.equal(1);
      const names = manifest.tables.map((t: { name: string }) => t.name);
      for (const entity of ['organisations', 'staff', 'staff_groups', 'evidence', 'scorm_attempts', 'certificates', 'training_sessions']) {
        expect(names, entity).to.include(entity);
        expect(fs.existsSync(path.join(first, `${entity}.csv`)), `${entity}.csv`).to.equal(true);
      }
      // Each table comes after the ones it refers to.
      expect(names.indexOf('organisations')).to.be.lessThan(names.indexOf('staff'));
      expect(names.indexOf('staff')).to.be.lessThan(names.indexOf('evidence'));
      expect(names).not.to.include('sessions');
      const orgs = manifest.tables.find((t: { name: string }) => t.name === 'organisations');
      expect(orgs.rows).to.be.greaterThan(1);
      const csv = fs.readFileSync(path.join(first, 'organisations.csv'), 'utf8').split(/\r?\n/);
      expect(csv[0].split(',')).to.include.members(['id', 'slug', 'name', 'sector']);
      expect(csv.filter(Boolean)).to.have.length(orgs.rows + 1);
      const readme = fs.readFileSync(path.join(first, 'README.md'), 'utf8');
      expect(readme).to.include('## evidence').and.include('| achieved_on | date | no |');
    });

    it('imports into a new installation and exporting again gives the same files, byte for byte', async () => {
      const said = await cli(fresh, 'import', ['--in', first]);
      expect(said).to.match(/^Imported \d+ rows/);
      const again = path.join(work, 'again');
      await cli(fresh, 'export', ['--out', again]);
      expect(tableFiles(again)).to.deep.equal(tableFiles(first));
      for (const f of tableFiles(first)) expect(fs.readFileSync(path.join(again, f)).equals(fs.readFileSync(path.join(first, f))), f).to.equal(true);
      // New records continue after the imported ones instead of colliding with them.
      await fresh.database.pool.query(`insert into audit_log (action) values ('test.after-import')`);
    });

    it('refuses to merge into a database that already holds a partnership, and changes nothing', async () => {
      const before = await source.product.database.pool.query('select count(*)::int as n from staff');
      let message = '';
      try {
        await cli(source.product, 'import', ['--in', first]);
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).to.match(/already holds a partnership.*Nothing was imported/);
      const after = await source.product.database.pool.query('select count(*)::int as n from staff');
      expect(after.rows[0].n).to.equal(before.rows[0].n);
    });

    it('refuses a damaged export or one from another format version, naming the problem', async () => {
      const damaged = path.join(work, 'damaged');
      fs.cpSync(first, damaged, { recursive: true });
      const file = path.join(damaged, 'staff.json');
      fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('"name":"', '"name":"X'));
      const failure = (dir: string) =>
        cli(fresh, 'import', ['--in', dir]).then(
          () => '',
          (err: Error) => err.message,
        );
      expect(await failure(damaged)).to.match(/staff\.json has been changed or damaged/);
      const manifest = JSON.parse(fs.readFileSync(path.join(first, 'manifest.json'), 'utf8'));
      fs.writeFileSync(path.join(damaged, 'manifest.json'), JSON.stringify({ ...manifest, formatVersion: 99 }));
      expect(await failure(damaged)).to.match(/format version 99.*reads format version 1 only/);
      expect(await failure(path.join(work, 'nowhere'))).to.match(/has no manifest\.json/);
      expect(await cli(fresh, 'export', ['--out', first]).catch((err: Error) => err.message)).to.match(/is not empty/);
    });
  });
}
