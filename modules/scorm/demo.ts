import fs from 'node:fs';
import path from 'node:path';
import type { ModuleContext } from '../../server/module';
import { DEMO_AWARENESS_SLUG } from '../courses/api';
import { SHIPPED_PACKAGES_DIR, shippedPackageZip } from './package-zip';
import { importPackage } from './service';

/** The project's own awareness module, scorm-packages/domestic-abuse-awareness/ (the identifier its imsmanifest.xml gives). */
const DEMO_PACKAGE = 'domestic-abuse-awareness';
const DEMO_PACKAGE_IDENTIFIER = 'org.example.vale-partnership.domestic-abuse-awareness';

/** The project's own awareness module, imported into the demo catalogue's awareness course (the courses module's seedDemo makes it). Safe to run twice. */
export async function seedDemoScorm(ctx: ModuleContext): Promise<void> {
  const pool = ctx.database.pool;
  const { rows: pkg } = await pool.query('select 1 from scorm_packages p join scorm_package_versions v on v.package_id = p.id where p.identifier = $1', [
    DEMO_PACKAGE_IDENTIFIER,
  ]);
  if (pkg.length) return;
  const zip = shippedPackageZip(DEMO_PACKAGE);
  try {
    await importPackage(ctx, zip, { courseSlug: DEMO_AWARENESS_SLUG });
  } finally {
    // A zip made from the sources just now (not the build's) was only for this import.
    if (path.dirname(zip) !== SHIPPED_PACKAGES_DIR) fs.rmSync(path.dirname(zip), { recursive: true, force: true });
  }
}
