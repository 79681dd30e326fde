import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { APP_DIR } from '../../server/paths';

/**
 * The e-learning modules the product ships: plain source folders in
 * `scorm-packages/<name>/` when run from the sources, zips made from them in
 * `dist/scorm-packages/<name>.zip` by the build (see scorm-packages/README.md).
 */
export const SHIPPED_PACKAGES_DIR = path.join(APP_DIR, 'scorm-packages');

/** A folder is a module when it has a SCORM or cmi5 manifest at its top. */
export function isPackageFolder(dir: string): boolean {
  return fs.existsSync(path.join(dir, 'imsmanifest.xml')) || fs.existsSync(path.join(dir, 'cmi5.xml'));
}

function filesUnder(dir: string, prefix = ''): string[] {
  const names: string[] = [];
  for (const entry of fs.readdirSync(path.join(dir, prefix), { withFileTypes: true })) {
    const name = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) names.push(...filesUnder(dir, name));
    else if (entry.isFile()) names.push(name);
  }
  return names;
}

// 1 January 2000 in MS-DOS form: every entry carries the same date, so the zip depends only on the files.
const DOS_TIME = 0;
const DOS_DATE = ((2000 - 1980) << 9) | (1 << 5) | 1;

/** The fields a zip's local header and its central directory entry share, in the same order, from `at`. */
function writeEntryFields(header: Buffer, at: number, entry: { crc: number; compressed: number; size: number; nameLength: number }): void {
  header.writeUInt16LE(20, at); // version needed: deflate
  header.writeUInt16LE(0x0800, at + 2); // names in UTF-8
  header.writeUInt16LE(8, at + 4); // deflated
  header.writeUInt16LE(DOS_TIME, at + 6);
  header.writeUInt16LE(DOS_DATE, at + 8);
  header.writeUInt32LE(entry.crc, at + 10);
  header.writeUInt32LE(entry.compressed, at + 14);
  header.writeUInt32LE(entry.size, at + 18);
  header.writeUInt16LE(entry.nameLength, at + 22);
}

/**
 * Zips a module folder the same way every time (names sorted, one fixed date,
 * no owner or permissions), so a rebuild of unchanged sources gives the same
 * bytes and an import of it is recognised as the same package.
 */
export function zipPackageFolder(dir: string, outFile: string): string {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  const names = filesUnder(dir).sort();
  for (const file of names) {
    const name = Buffer.from(file, 'utf8');
    const content = fs.readFileSync(path.join(dir, file));
    const data = zlib.deflateRawSync(content, { level: 9 });
    const crc = zlib.crc32(content);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    writeEntryFields(local, 4, { crc, compressed: data.length, size: content.length, nameLength: name.length });
    locals.push(local, name, data);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    writeEntryFields(central, 6, { crc, compressed: data.length, size: content.length, nameLength: name.length });
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += 30 + name.length + data.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(names.length, 8);
  end.writeUInt16LE(names.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  fs.writeFileSync(outFile, Buffer.concat([...locals, directory, end]));
  return outFile;
}

/** Zips every module folder under `sourceDir` into `outDir/<name>.zip`; returns the zips written. */
export function zipShippedPackages(sourceDir: string, outDir: string): string[] {
  if (!fs.existsSync(sourceDir)) return [];
  return fs
    .readdirSync(sourceDir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && isPackageFolder(path.join(sourceDir, e.name)))
    .map((e) => e.name)
    .sort()
    .map((name) => zipPackageFolder(path.join(sourceDir, name), path.join(outDir, `${name}.zip`)));
}

/**
 * The zip of one shipped module: the build's, or (run from the sources) one
 * made now from its folder into a temporary folder.
 */
export function shippedPackageZip(name: string, packagesDir = SHIPPED_PACKAGES_DIR): string {
  const built = path.join(packagesDir, `${name}.zip`);
  if (fs.existsSync(built)) return built;
  const source = path.join(packagesDir, name);
  if (!isPackageFolder(source)) throw new Error(`The e-learning module ${name} is not in ${packagesDir} (neither ${name}.zip nor a folder with its manifest).`);
  return zipPackageFolder(source, path.join(fs.mkdtempSync(path.join(os.tmpdir(), `${name}-`)), `${name}.zip`));
}
