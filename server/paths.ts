import fs from 'node:fs';
import path from 'node:path';

/**
 * Where the running code sits: the project root when run from source (tsx),
 * `dist/` when run from the build. The build copies views, SQL migrations and
 * public files beside the compiled code, so both read them from here.
 */
export const APP_DIR = path.resolve(__dirname, '..');

/**
 * The project root (where package.json is). Versions before imported
 * e-learning moved into DATA_DIR kept it in `scorm-packages/` here.
 */
export const PROJECT_DIR = fs.existsSync(path.join(APP_DIR, 'package.json')) ? APP_DIR : path.dirname(APP_DIR);

/** A dependency's installed folder, found the way `require` finds it (not by assuming where node_modules is). */
export function packageDir(name: string, subdir = ''): string {
  // From the package's main file up to its own folder: not every package exports its package.json.
  const main = require.resolve(name);
  const marker = `${path.sep}node_modules${path.sep}${name.split('/').join(path.sep)}${path.sep}`;
  return path.join(main.slice(0, main.lastIndexOf(marker) + marker.length), subdir);
}
