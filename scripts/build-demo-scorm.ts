import path from 'node:path';
import { buildDemoScorm } from '../modules/scorm/demo-package';

/**
 * Builds the project's own SCORM 1.2 demo module (domestic abuse awareness,
 * Group 1) into scorm-packages/demo/, where the demo data imports it from.
 * Usage: npx tsx scripts/build-demo-scorm.ts [OUT.zip]
 */
async function main(): Promise<void> {
  const out = path.resolve(process.argv[2] ?? path.join(__dirname, '..', 'scorm-packages', 'demo', 'domestic-abuse-awareness.zip'));
  await buildDemoScorm(out);
  console.log(`Built ${out}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
