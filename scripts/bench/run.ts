/**
 * Runs every benchmark in this folder against the generated data set (see
 * generate.ts) and writes docs/benchmarks.md and docs/benchmarks.json from
 * what they return: the machine, the date, the data size, each figure, its
 * floor and the ratio, all measured in the same run on the same machine.
 *
 *   npm run bench:run -- [--only scorm-commit,reminder-scan] [--quick] [--database-url URL] [--docs-only]
 *
 * --only runs the named benchmarks and keeps the other results already in
 * docs/benchmarks.json; --quick uses fewer learners and shorter runs (a smoke
 * test: the figures are then marked indicative); --docs-only writes
 * benchmarks.md again from benchmarks.json and scripts/bench/findings.md.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { PRODUCT_TYPES } from '../../server/db';
import { readFlags } from '../../server/cli-args';
import { UsageError } from '../../server/errors';
import { prepare } from '../../server/runtime';
import { benchConfig, type DataSetRecord, DEFAULT_BENCH_URL, NATIONAL, readDataSet } from './generate';
import type { BenchContext, Benchmark, BenchResult } from './types';

/** Each benchmark file and the result ids it produces. Files that do not (yet) export `run` are skipped. */
const BENCHMARKS: { id: string; file: string; produces: string[] }[] = [
  { id: 'organisation-compliance', file: 'compliance-organisation.ts', produces: ['organisation-compliance'] },
  { id: 'board-coverage', file: 'board-coverage.ts', produces: ['board-coverage'] },
  { id: 'reminder-scan', file: 'reminder-scan.ts', produces: ['reminder-scan'] },
  { id: 'certificate-pdf', file: 'certificate-pdf.ts', produces: ['certificate-pdf'] },
  { id: 'scorm-import', file: 'scorm-import.ts', produces: ['scorm-import'] },
  { id: 'scorm-commit', file: 'scorm-commit.ts', produces: ['scorm-commit', 'server-memory'] },
  { id: 'dashboards', file: 'dashboards.ts', produces: ['dashboard-organisation', 'dashboard-board'] },
];

const DOCS = path.resolve(__dirname, '../../docs');
const FINDINGS = path.join(__dirname, 'findings.md');

interface Machine {
  cpu: string;
  cores: number;
  ramGiB: number;
  node: string;
  postgres: string;
  /** The settings that most change the figures: shared_buffers and whether autovacuum runs (older reports lack it). */
  postgresSettings?: string;
  os: string;
  loadAverageAtStart: number[];
}

interface StoredResult extends BenchResult {
  measuredAt: string;
  quick: boolean;
}

interface Report {
  machine: Machine;
  date: string;
  dataSet: DataSetRecord;
  results: StoredResult[];
}

const USAGE = 'npm run bench:run -- [--only ID,ID] [--quick] [--database-url URL] [--docs-only]';

function parseArgs(argv: string[]) {
  const { values } = readFlags(
    argv,
    { only: { type: 'string' }, quick: { type: 'boolean' }, 'database-url': { type: 'string' }, 'docs-only': { type: 'boolean' } },
    USAGE,
  );
  const only = values.only === undefined ? undefined : values.only.split(',').filter(Boolean);
  const known = BENCHMARKS.map((b) => b.id);
  for (const id of only ?? []) if (!known.includes(id)) throw new UsageError(`--only: no benchmark "${id}" (there are: ${known.join(', ')})`);
  if (only && !only.length) throw new UsageError('--only needs one or more benchmark ids, separated by commas');
  return { only, quick: values.quick ?? false, databaseUrl: values['database-url'] ?? DEFAULT_BENCH_URL, docsOnly: values['docs-only'] ?? false };
}

async function machine(pool: pg.Pool): Promise<Machine> {
  const { rows } = await pool.query<{ v: string; settings: string }>(
    `select current_setting('server_version') as v,
            'shared_buffers ' || current_setting('shared_buffers') || ', autovacuum ' || current_setting('autovacuum') as settings`,
  );
  let osName = `${os.type()} ${os.release()}`;
  try {
    osName = /PRETTY_NAME="([^"]+)"/.exec(fs.readFileSync('/etc/os-release', 'utf8'))?.[1] ?? osName;
  } catch {
    // not Linux: keep the kernel name
  }
  return {
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores: os.cpus().length,
    ramGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    postgres: rows[0].v,
    postgresSettings: rows[0].settings,
    os: osName,
    loadAverageAtStart: os.loadavg().map((n) => Math.round(n * 100) / 100),
  };
}

const fmt = (n: number) => (Number.isInteger(n) ? n.toLocaleString('en-GB') : n.toLocaleString('en-GB', { maximumFractionDigits: 3 }));

/** The data set `--national` makes (the largest organisation capped, as a national roll-out's employers are). */
function isNational(d: DataSetRecord): boolean {
  return d.organisations === NATIONAL.organisations && d.staff === NATIONAL.staff && d.largestOrganisation.staff <= NATIONAL.largest;
}

export function markdown(report: Report): string {
  const { machine: m, dataSet: d } = report;
  const lines: string[] = [];
  lines.push('# Benchmarks', '');
  lines.push('Written by `npm run bench:run` (scripts/bench/run.ts) from one run on one machine; do not edit by hand.');
  lines.push('Every figure is measured against its floor in the same run. A figure that misses its target says so.', '');
  lines.push(
    'Reproduce:',
    '',
    '```sh',
    `npm run bench:generate -- ${isNational(d) ? '--national ' : ''}--seed ${d.seed}   # the data set below, into PostgreSQL database lms_bench`,
    'npm run bench:run                          # every benchmark; writes this file and benchmarks.json',
    '```',
    '',
  );
  lines.push('## Machine', '');
  lines.push('| | |', '| --- | --- |');
  lines.push(
    `| CPU | ${m.cores} × ${m.cpu} |`,
    `| Memory | ${m.ramGiB} GiB |`,
    `| Operating system | ${m.os} |`,
    `| Node.js | ${m.node} |`,
    `| PostgreSQL | ${m.postgres}${m.postgresSettings ? ` (${m.postgresSettings})` : ''} |`,
  );
  lines.push(`| Load average when the run began | ${m.loadAverageAtStart.join(', ')} |`, `| Date | ${report.date} |`, '');
  if (m.loadAverageAtStart[0] > m.cores) {
    lines.push(
      `The machine was shared with other work during this run (load average ${m.loadAverageAtStart[0]} on ${m.cores} cores), so absolute figures are lower than an idle machine gives; each ratio compares figures taken under the same load.`,
      '',
    );
  }
  lines.push('## Data set', '');
  lines.push(`Generated by \`scripts/bench/generate.ts\` with seed ${d.seed}, as of ${d.asOf}, in ${d.generatedSeconds} s (bulk COPY).`, '');
  lines.push('| | |', '| --- | --- |');
  lines.push(
    `| Organisations | ${fmt(d.organisations)} (largest: ${d.largestOrganisation.slug}, ${fmt(d.largestOrganisation.staff)} staff) |`,
    `| Staff (four groups) | ${fmt(d.staff)} |`,
    `| Accounts | ${fmt(d.users)} |`,
    `| Evidence records (five years, with corrections and withdrawals) | ${fmt(d.evidence)} |`,
    `| SCORM attempts (with CMI data) | ${fmt(d.scormAttempts)} |`,
    `| Face-to-face sessions / bookings | ${fmt(d.trainingSessions)} / ${fmt(d.bookings)} |`,
    `| Certificates | ${fmt(d.certificates)} |`,
    '',
  );
  lines.push('## Summary', '');
  lines.push('| Benchmark | Target | Met? | Ratio to floor |', '| --- | --- | --- | --- |');
  for (const r of report.results) {
    const ratio = r.ratios?.map((x) => `${fmt(x.value)} (${x.label})`).join('; ') ?? '';
    lines.push(`| ${r.title}${r.quick ? ' (quick run: indicative)' : ''} | ${r.target} | ${r.met ? 'yes' : '**no**'} | ${ratio} |`);
  }
  lines.push('');
  for (const r of report.results) {
    lines.push(`## ${r.title}`, '');
    lines.push(
      `Id \`${r.id}\`. Target: ${r.target}. Met: ${r.met ? 'yes' : '**no**'}. Measured ${r.measuredAt}${r.quick ? ' with --quick (indicative only)' : ''}.`,
      '',
    );
    lines.push('| Figure | Value |', '| --- | --- |');
    for (const f of r.figures) lines.push(`| ${f.label} | ${fmt(f.value)}${f.unit ? ` ${f.unit}` : ''} |`);
    for (const x of r.ratios ?? []) lines.push(`| Ratio: ${x.label} | ${fmt(x.value)} |`);
    lines.push('');
    for (const n of r.notes ?? []) lines.push(`- ${n}`);
    if (r.notes?.length) lines.push('');
  }
  // The analysis (profiles, fixes with before and after, what is left) is kept by hand beside the runner.
  if (fs.existsSync(FINDINGS)) lines.push(fs.readFileSync(FINDINGS, 'utf8').trim(), '');
  return `${lines.join('\n')}\n`;
}

async function loadBenchmark(file: string): Promise<Benchmark | undefined> {
  const full = path.join(__dirname, file);
  if (!fs.existsSync(full)) return undefined;
  // Only files written to the runner's contract: older scripts run their own main() when imported.
  if (!/export\s+(async\s+function\s+run\b|const\s+run\b|\{[^}]*\brun\b)/.test(fs.readFileSync(full, 'utf8'))) return undefined;
  const mod = (await import(full)) as { run?: Benchmark };
  return mod.run;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.docsOnly) {
    // Re-render benchmarks.md from benchmarks.json (after editing findings.md), measuring nothing.
    const report = JSON.parse(fs.readFileSync(path.join(DOCS, 'benchmarks.json'), 'utf8')) as Report;
    fs.writeFileSync(path.join(DOCS, 'benchmarks.md'), markdown(report));
    console.log('wrote docs/benchmarks.md from docs/benchmarks.json');
    return;
  }
  // A data set generated by an earlier version gets this version's migrations first, as the product's own start would.
  const migrated = await prepare(benchConfig(args.databaseUrl), { role: 'cli' });
  await migrated.database.close();
  const pool = new pg.Pool({ connectionString: args.databaseUrl, max: 1, types: PRODUCT_TYPES });
  let dataSet: DataSetRecord;
  let host: Machine;
  try {
    dataSet = await readDataSet(pool);
    host = await machine(pool);
  } finally {
    await pool.end();
  }
  const ctx: BenchContext = {
    databaseUrl: args.databaseUrl,
    dataSet: { organisations: dataSet.organisations, staff: dataSet.staff, evidence: dataSet.evidence, seed: dataSet.seed },
    quick: args.quick,
    log: (message) => console.log(`  ${message}`),
  };
  const fresh: StoredResult[] = [];
  const failed: string[] = [];
  for (const b of BENCHMARKS) {
    if (args.only && !args.only.includes(b.id)) continue;
    const bench = await loadBenchmark(b.file);
    if (!bench) {
      console.log(`${b.id}: skipped (${b.file} does not export run yet)`);
      continue;
    }
    console.log(`${b.id}: running`);
    try {
      const out = await bench(ctx);
      for (const r of Array.isArray(out) ? out : [out]) {
        fresh.push({ ...r, measuredAt: `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`, quick: args.quick });
        console.log(`${r.id}: ${r.met ? 'met' : 'MISSED'} (${r.target})`);
      }
    } catch (err) {
      failed.push(b.id);
      console.error(`${b.id}: failed: ${(err as Error).stack ?? err}`);
    }
  }

  const jsonFile = path.join(DOCS, 'benchmarks.json');
  let kept: StoredResult[] = [];
  if (args.only && fs.existsSync(jsonFile)) {
    try {
      const previous = JSON.parse(fs.readFileSync(jsonFile, 'utf8')) as Report;
      const replaced = new Set(fresh.map((r) => r.id));
      kept = previous.results.filter((r) => !replaced.has(r.id));
    } catch {
      kept = [];
    }
  }
  const order = BENCHMARKS.flatMap((b) => b.produces);
  const results = [...kept, ...fresh].sort((a, b) => (order.indexOf(a.id) + 1 || 99) - (order.indexOf(b.id) + 1 || 99));
  const report: Report = { machine: host, date: new Date().toISOString().slice(0, 10), dataSet, results };
  fs.mkdirSync(DOCS, { recursive: true });
  fs.writeFileSync(jsonFile, `${JSON.stringify(report, null, 2)}\n`);
  fs.writeFileSync(path.join(DOCS, 'benchmarks.md'), markdown(report));
  console.log(`wrote docs/benchmarks.md and docs/benchmarks.json (${results.length} results)`);
  if (failed.length) {
    console.error(`failed: ${failed.join(', ')}`);
    process.exit(1);
  }
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (err: Error) => {
      console.error(`bench:run failed: ${err.message}`);
      process.exit(1);
    },
  );
}
