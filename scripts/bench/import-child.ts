/**
 * Imports one SCORM zip through the product's importer in a process of its
 * own, so its peak memory is the import's alone, and prints what happened as
 * one JSON line. Used by scripts/bench/scorm-import.ts.
 *
 *   npx tsx scripts/bench/import-child.ts <zip> <database-url> <scorm-dir>
 */
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { importPackage } from '../../modules/scorm/service';
import { openDatabase } from '../../server/db';
import { createLogger } from '../../server/logger';
import { benchConfig } from './generate';

function peakRssKb(): number {
  try {
    const hwm = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (hwm) return Number(hwm[1]);
  } catch {
    // not Linux: fall back below
  }
  return process.resourceUsage().maxRSS;
}

async function main(): Promise<void> {
  const [file, databaseUrl, scormDir] = process.argv.slice(2);
  const config = benchConfig(databaseUrl, { scormDir });
  const database = await openDatabase(config, createLogger({ env: 'production', logLevel: 'warn' }), { role: 'cli' });
  try {
    const before = process.memoryUsage().rss;
    const started = performance.now();
    const result = await importPackage({ config, database }, file);
    const seconds = (performance.now() - started) / 1000;
    console.log(
      JSON.stringify({
        seconds,
        rssBeforeMb: before / 2 ** 20,
        // The high-water mark of this process's memory, start-up included: VmHWM from /proc, not
        // resourceUsage().maxRSS, which Linux carries over from the parent across fork and exec (the
        // benchmark runner holds the 200 MB package it just wrote, so maxRSS reported the runner's size).
        peakRssMb: peakRssKb() / 1024,
        packageVersionId: result.packageVersionId,
        packageId: result.packageId,
        courseId: result.courseId,
      }),
    );
  } finally {
    await database.close();
  }
}

main().catch((err: Error) => {
  console.error(`import failed: ${err.message}`);
  process.exit(1);
});
