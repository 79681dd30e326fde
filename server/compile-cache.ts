import fs from 'node:fs';
import module from 'node:module';
import path from 'node:path';

/**
 * Keeps V8's compiled form of the server's JavaScript (and its dependencies')
 * on disk, so a start reads it instead of compiling every file again: that
 * compilation was the largest single part of a restart after PGlite's own work.
 * Node checks each file's contents against its entry, so a changed file is
 * compiled afresh, never run stale.
 *
 * Imported first by each entry point (server/main.ts, scripts/cli.ts and the
 * build's template step, which fills the cache as it loads every module), so
 * it is on before anything else is loaded. The cache lives beside the build
 * (dist/.compile-cache); where that is read-only (an install owned by another
 * user) Node's own folder in the system's temporary directory is used instead.
 * NODE_COMPILE_CACHE, when set, is Node's own switch and wins; NODE_DISABLE_COMPILE_CACHE turns it off.
 */
export const COMPILE_CACHE_DIR = path.join(__dirname, '..', '.compile-cache');

function enable(): void {
  if (process.env.NODE_DISABLE_COMPILE_CACHE || process.env.NODE_COMPILE_CACHE || !module.enableCompileCache) return;
  // Only a build has a dist/ to put it in; running from the TypeScript sources (tsx) compiles through tsx anyway.
  if (!__filename.endsWith('.js')) return;
  let dir: string | undefined = COMPILE_CACHE_DIR;
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.accessSync(dir, fs.constants.W_OK);
  } catch {
    dir = undefined;
  }
  module.enableCompileCache(dir);
}

enable();
