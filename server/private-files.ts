import fs from 'node:fs';
import path from 'node:path';

/**
 * The data directory holds the database files, the session secret, the
 * database socket and (often) imported e-learning: readable by this product's
 * own user only. A process mask makes every file it creates 0600 and every
 * folder 0700, whatever the library that creates it (PGlite, pg_dump, the
 * SCORM importer); the functions below say so explicitly where a file leaves
 * the data directory (backups, exports) or was made before the mask existed.
 */
export const PRIVATE_UMASK = 0o077;
export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Called first thing by the server and the CLI, before anything is written. */
export function usePrivateUmask(): void {
  process.umask(PRIVATE_UMASK);
}

/**
 * Creates the folder 0700, or makes an existing one so. A folder that was
 * readable by others (a data directory from before this rule) has everything
 * in it made private too, once: afterwards the folder's own mode says it is done.
 */
export function ensurePrivateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const mode = fs.statSync(dir).mode & 0o777;
  if (mode === PRIVATE_DIR_MODE) return;
  makeTreePrivate(dir);
}

/** Every folder under dir 0700 and every file 0600 (symbolic links are left alone, never followed). */
export function makeTreePrivate(dir: string): void {
  fs.chmodSync(dir, PRIVATE_DIR_MODE);
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) makeTreePrivate(full);
    else if (entry.isFile()) fs.chmodSync(full, PRIVATE_FILE_MODE);
  }
}

/** Writes a file only its owner can read, whatever the process mask (exports run inside tests too). */
export function writePrivateFile(file: string, data: string | NodeJS.ArrayBufferView): void {
  fs.writeFileSync(file, data, { mode: PRIVATE_FILE_MODE });
  fs.chmodSync(file, PRIVATE_FILE_MODE);
}
