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

/** A folder that is not the product's to lock: one everybody may write in (such as /tmp), or the root. */
export class SharedFolderError extends Error {
  constructor(readonly dir: string) {
    super(`${dir} is a folder others share (anyone may write in it); give the product a folder of its own, such as ${path.join(dir, 'da-training')}`);
    this.name = 'SharedFolderError';
  }
}

/**
 * Creates the folder 0700, or makes an existing one so. A folder that was
 * readable by others (a data directory from before this rule) has everything
 * in it made private too, once: afterwards the folder's own mode says it is done.
 * A shared folder (/tmp) is refused rather than taken away from everyone else.
 */
export function ensurePrivateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const mode = fs.statSync(dir).mode & 0o7777;
  if ((mode & 0o777) === PRIVATE_DIR_MODE) return;
  if (mode & 0o1002 || path.resolve(dir) === path.parse(path.resolve(dir)).root) throw new SharedFolderError(dir);
  makeTreePrivate(dir);
}

/**
 * Takes the group's and others' permissions off every folder and file under
 * dir, keeping the owner's (nothing loses its execute bit); symbolic links are
 * left alone, never followed.
 */
export function makeTreePrivate(dir: string): void {
  fs.chmodSync(dir, fs.statSync(dir).mode & 0o700);
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) makeTreePrivate(full);
    else if (entry.isFile()) {
      const mode = fs.statSync(full).mode & 0o777;
      if (mode & 0o077) fs.chmodSync(full, mode & 0o700);
    }
  }
}

/** Writes a file only its owner can read, whatever the process mask (exports run inside tests too). */
export function writePrivateFile(file: string, data: string | NodeJS.ArrayBufferView): void {
  fs.writeFileSync(file, data, { mode: PRIVATE_FILE_MODE });
  fs.chmodSync(file, PRIVATE_FILE_MODE);
}
