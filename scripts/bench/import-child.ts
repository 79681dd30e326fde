/**
 * Imports one SCORM zip through the product's importer in a process of its
 * own, so its peak memory is the import's alone, and prints what happened as
 * one JSON line. Used by scripts/bench/scorm-import.ts.
 *
 *   npx tsx scripts/bench/import-child.ts <zip> <database-url> <scorm-dir>
 */
import { performance } from 'node:perf_hooks';
import { importPackage } from '../../modules/scorm/service';
import { openDatabase } from '../../server/db';
import { createLogger } from '../../server/logger';
import { benchConfig } from './generate';

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
        // maxRSS is in kilobytes: the high-water mark of the whole process, start-up included.
        peakRssMb: process.resourceUsage().maxRSS / 1024,
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
