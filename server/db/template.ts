import '../compile-cache';
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../config';
import { usePrivateUmask } from '../private-files';
import { prepare } from '../runtime';
import { EMBEDDED_TEMPLATE_DIR } from './embedded';

/**
 * Makes the template a new embedded database starts from (see openEmbedded):
 * a fresh PGlite cluster with every migration beside this code applied and
 * each module's start-up data (the default framework, its job title mappings)
 * loaded, as a first start would. No demo data: its dates are relative to the
 * day it is loaded. `npm run build` runs this file after compiling.
 */
export async function makeEmbeddedTemplate(dir = EMBEDDED_TEMPLATE_DIR): Promise<void> {
  usePrivateUmask();
  // Not made from an older template.
  fs.rmSync(dir, { recursive: true, force: true });
  const work = fs.mkdtempSync(`${dir}.partial-`);
  try {
    const config = loadConfig({ ...process.env, NODE_ENV: 'production', DATABASE_URL: '', DATA_DIR: work, LOG_LEVEL: 'warn' });
    const prepared = await prepare(config, { role: 'cli' });
    await prepared.database.close();
    fs.renameSync(path.join(work, 'pgdata'), dir);
    // It holds only the schema and the framework, and whichever user runs the server (a container's) must be able to copy it.
    makeTreeReadable(dir);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

function makeTreeReadable(dir: string): void {
  fs.chmodSync(dir, 0o755);
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) makeTreeReadable(full);
    else if (entry.isFile()) fs.chmodSync(full, 0o644);
  }
}

if (require.main === module) {
  makeEmbeddedTemplate().catch((err: Error) => {
    console.error(`Could not make the embedded database's template (${err.message}); a new embedded database will be made at its first start instead.`);
    process.exitCode = 1;
  });
}
