import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import type { ModuleContext } from '../../server/module';
import { DEMO_AWARENESS_SLUG } from '../courses/api';
import { buildDemoScorm, DEMO_PACKAGE_IDENTIFIER } from './demo-package';
import { importPackage } from './service';

/** The project's own awareness module, imported into the demo catalogue's awareness course (the courses module's seedDemo makes it). Safe to run twice. */
export async function seedDemoScorm(ctx: ModuleContext): Promise<void> {
  const pool = ctx.database.pool;
  const { rows: pkg } = await pool.query('select 1 from scorm_packages p join scorm_package_versions v on v.package_id = p.id where p.identifier = $1', [DEMO_PACKAGE_IDENTIFIER]);
  if (pkg.length) return;
  // scorm-packages/demo/ is where `npx tsx scripts/build-demo-scorm.ts` puts it; build it there (or in a temp folder) when missing.
  let zip = path.join(ctx.config.scormDir, 'demo', 'domestic-abuse-awareness.zip');
  if (!fs.existsSync(zip)) {
    try {
      await buildDemoScorm(zip);
    } catch {
      zip = await buildDemoScorm(path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'demo-scorm-')), 'domestic-abuse-awareness.zip'));
    }
  }
  await importPackage(ctx, zip, { courseSlug: DEMO_AWARENESS_SLUG });
}
