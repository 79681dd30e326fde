import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import yauzl from 'yauzl';
import { PackageRefused, type ParsedManifest, parseManifest } from './manifest';

export interface ZipLimits {
  maxBytes: number;
  maxFiles: number;
}

interface ZipEntryInfo {
  name: string;
  size: number;
  isDirectory: boolean;
}

const MANIFEST = 'imsmanifest.xml';
const MAX_MANIFEST_BYTES = 5 * 1024 * 1024;

function openZip(file: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    // strictFileNames: a backslash is refused rather than silently turned into a folder separator.
    yauzl.open(file, { lazyEntries: true, autoClose: false, strictFileNames: true, validateEntrySizes: true }, (err, zip) => {
      // The zip library's own words ("End of central directory record signature not found") mean nothing to an administrator.
      if (err || !zip) reject(new PackageRefused('The file is not a zip file. Choose the SCORM package as a .zip file, as exported from your authoring tool.'));
      else resolve(zip);
    });
  });
}

/** Why a name is not acceptable inside a package, or null when it is. */
export function unsafePathReason(name: string): string | null {
  if (name.includes('\\')) return 'uses a backslash';
  if (name.startsWith('/') || /^[a-zA-Z]:/.test(name)) return 'is an absolute path';
  if (name.split('/').some((part) => part === '..')) return 'climbs out of the package folder';
  if (name.includes('\0')) return 'contains a null character';
  return null;
}

function refusedForYauzl(err: Error): PackageRefused {
  if (err instanceof PackageRefused) return err;
  const m = err.message;
  if (/invalid relative path|absolute path|invalid characters in fileName/i.test(m)) {
    return new PackageRefused(
      `The package contains a file path that is absolute, climbs out of the package folder or uses backslashes (${m}). It was refused.`,
    );
  }
  if (/too many bytes|too few bytes|too large|size mismatch/i.test(m))
    return new PackageRefused(`A file in the package is not the size the zip says it is (${m}). It was refused.`);
  return new PackageRefused('The zip file is damaged and could not be read. Export the SCORM package again and upload the new file.');
}

/** Reads the central directory only: names, declared sizes and link flags. */
async function listEntries(zip: yauzl.ZipFile, limits: ZipLimits, manifestName = MANIFEST): Promise<{ entries: ZipEntryInfo[]; manifestEntry?: yauzl.Entry }> {
  return new Promise((resolve, reject) => {
    const entries: ZipEntryInfo[] = [];
    let manifestEntry: yauzl.Entry | undefined;
    let declared = 0;
    let failed = false;
    const fail = (err: Error) => {
      if (failed) return;
      failed = true;
      reject(refusedForYauzl(err));
    };
    zip.on('error', fail);
    zip.on('entry', (entry: yauzl.Entry) => {
      if (failed) return;
      const name = entry.fileName;
      const reason = unsafePathReason(name);
      if (reason) return fail(new PackageRefused(`The package contains a file path that ${reason} ("${name}"). It was refused.`));
      const mode = (entry.externalFileAttributes >>> 16) & 0o170000;
      if (mode === 0o120000)
        return fail(new PackageRefused(`The package contains a link ("${name}"). Links are not allowed in e-learning packages, so it was refused.`));
      const isDirectory = name.endsWith('/');
      if (!isDirectory) {
        declared += entry.uncompressedSize;
        if (entries.filter((e) => !e.isDirectory).length + 1 > limits.maxFiles) {
          return fail(new PackageRefused(`The package has more than ${limits.maxFiles} files, the most this service accepts. It was refused.`));
        }
        if (declared > limits.maxBytes) {
          return fail(
            new PackageRefused(
              `The package unpacks to more than ${Math.round(limits.maxBytes / 1024 / 1024)} MB, the most this service accepts. It was refused.`,
            ),
          );
        }
      }
      if (name === manifestName) manifestEntry = entry;
      entries.push({ name, size: entry.uncompressedSize, isDirectory });
      zip.readEntry();
    });
    zip.on('end', () => {
      if (!failed) resolve({ entries, manifestEntry });
    });
    zip.readEntry();
  });
}

function openEntry(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<NodeJS.ReadableStream> {
  return new Promise((resolve, reject) =>
    zip.openReadStream(entry, (err, stream) => (err || !stream ? reject(refusedForYauzl(err ?? new Error('no stream'))) : resolve(stream))),
  );
}

async function readManifest(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<string> {
  const tooLarge = `${entry.fileName} is larger than 5 MB, which no real manifest is. The package was refused.`;
  if (entry.uncompressedSize > MAX_MANIFEST_BYTES) throw new PackageRefused(tooLarge);
  const stream = await openEntry(zip, entry);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_MANIFEST_BYTES) throw new PackageRefused(tooLarge);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/^\uFEFF/, '');
}

/** Counts real bytes as they are written, so a zip that lies about its sizes is stopped. */
function byteLimiter(counter: { bytes: number }, maxBytes: number): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      counter.bytes += chunk.length;
      if (counter.bytes > maxBytes)
        done(new PackageRefused(`The package unpacks to more than ${Math.round(maxBytes / 1024 / 1024)} MB, the most this service accepts. It was refused.`));
      else done(null, chunk);
    },
  });
}

function dataStart(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<number> {
  return new Promise((resolve, reject) =>
    zip.readLocalFileHeader(entry, { minimal: true }, (err: Error | null, header: { fileDataStart: number }) =>
      err ? reject(refusedForYauzl(err)) : resolve(header.fileDataStart),
    ),
  );
}

/** How much a stored entry is copied at a time, through one buffer per import. */
const COPY_BUFFER_BYTES = 1024 * 1024;

/**
 * Copies a stored (uncompressed) entry straight from the zip to `target`
 * through one buffer reused for every entry of the import. Media files are
 * usually stored, and most of a large package's bytes are media: copied as a
 * stream, each 64 KB chunk would be a new buffer left for the garbage
 * collector, and a 200 MB package would take the process well over 150 MB
 * before it ran.
 */
async function copyStored(
  source: fs.promises.FileHandle,
  from: number,
  size: number,
  target: string,
  buffer: Buffer,
  counter: { bytes: number },
  maxBytes: number,
): Promise<void> {
  const out = await fs.promises.open(target, 'wx');
  try {
    let done = 0;
    while (done < size) {
      const want = Math.min(buffer.length, size - done);
      const { bytesRead } = await source.read(buffer, 0, want, from + done);
      if (bytesRead <= 0) throw new PackageRefused('A file in the package is not the size the zip says it is (the zip ends early). It was refused.');
      counter.bytes += bytesRead;
      if (counter.bytes > maxBytes)
        throw new PackageRefused(`The package unpacks to more than ${Math.round(maxBytes / 1024 / 1024)} MB, the most this service accepts. It was refused.`);
      let written = 0;
      while (written < bytesRead) written += (await out.write(buffer, written, bytesRead - written)).bytesWritten;
      done += bytesRead;
    }
  } finally {
    await out.close();
  }
}

async function extractAll(zip: yauzl.ZipFile, file: string, into: string, maxBytes: number): Promise<number> {
  const counter = { bytes: 0 };
  const root = path.resolve(into);
  const source = await fs.promises.open(file, 'r');
  const buffer = Buffer.allocUnsafe(COPY_BUFFER_BYTES);
  try {
    await extractEntries(zip, root, counter, maxBytes, source, buffer);
  } finally {
    await source.close();
  }
  return counter.bytes;
}

async function extractEntries(
  zip: yauzl.ZipFile,
  root: string,
  counter: { bytes: number },
  maxBytes: number,
  source: fs.promises.FileHandle,
  buffer: Buffer,
): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    let failed = false;
    const fail = (err: Error) => {
      if (failed) return;
      failed = true;
      reject(refusedForYauzl(err));
    };
    zip.on('error', fail);
    zip.on('end', () => {
      if (!failed) resolve();
    });
    zip.on('entry', async (entry: yauzl.Entry) => {
      if (failed) return;
      try {
        const target = path.resolve(root, entry.fileName);
        // Belt and braces: the name was checked already; the resolved path must still be inside.
        if (target !== root && !target.startsWith(root + path.sep))
          throw new PackageRefused(`The package contains a file path that climbs out of the package folder ("${entry.fileName}"). It was refused.`);
        if (entry.fileName.endsWith('/')) {
          fs.mkdirSync(target, { recursive: true });
        } else {
          fs.mkdirSync(path.dirname(target), { recursive: true });
          if (entry.compressionMethod === 0 && !entry.isEncrypted()) {
            if (entry.compressedSize !== entry.uncompressedSize)
              throw new PackageRefused(`A file in the package is not the size the zip says it is ("${entry.fileName}"). It was refused.`);
            await copyStored(source, await dataStart(zip, entry), entry.uncompressedSize, target, buffer, counter, maxBytes);
          } else {
            const stream = await openEntry(zip, entry);
            await pipeline(stream, byteLimiter(counter, maxBytes), fs.createWriteStream(target, { flags: 'wx' }));
          }
        }
        zip.readEntry();
      } catch (err) {
        fail(err as Error);
      }
    });
    zip.readEntry();
  });
}

export interface CheckedPackage {
  manifest: ParsedManifest;
  fileCount: number;
  declaredBytes: number;
}

export function normalise(p: string): string {
  return path.posix.normalize(p).replace(/^\.\//, '');
}

/** A zip's files and the text of its manifest, read with every name, size and link checked. */
export interface ReadZip {
  /** Every file's path (no folders), normalised. */
  files: Set<string>;
  manifestXml: string;
  declaredBytes: number;
}

/**
 * Opens a zip, checks every name, size and link, and reads the manifest
 * named `manifestName` at its top (imsmanifest.xml for SCORM, cmi5.xml for
 * cmi5). `kind` names the package in messages. Nothing is written anywhere.
 */
export async function readPackageZip(file: string, limits: ZipLimits, manifestName: string, kind: string): Promise<ReadZip> {
  const zip = await openZip(file);
  try {
    const { entries, manifestEntry } = await listEntries(zip, limits, manifestName);
    if (!manifestEntry) {
      const nested = entries.find((e) => e.name.endsWith(`/${manifestName}`));
      if (nested) {
        throw new PackageRefused(
          `The package's ${manifestName} is inside the folder "${nested.name.slice(0, -manifestName.length)}", not at the top of the zip. Zip the contents of that folder, not the folder itself.`,
        );
      }
      throw new PackageRefused(`This zip has no ${manifestName}, so it is not a ${kind} package.`);
    }
    const manifestXml = await readManifest(zip, manifestEntry);
    const files = new Set(entries.filter((e) => !e.isDirectory).map((e) => normalise(e.name)));
    return { files, manifestXml, declaredBytes: entries.reduce((n, e) => n + e.size, 0) };
  } finally {
    zip.close();
  }
}

/**
 * Opens a zip, checks every name and size, reads and checks the manifest and
 * that every launch file is present. Nothing is written anywhere.
 */
export async function inspectPackage(file: string, limits: ZipLimits): Promise<CheckedPackage> {
  const { files, manifestXml, declaredBytes } = await readPackageZip(file, limits, MANIFEST, 'SCORM');
  const manifest = parseManifest(manifestXml);
  for (const sco of manifest.scos) {
    const launch = normalise(sco.launchFile);
    if (/^[a-z][a-z0-9+.-]*:/i.test(sco.launchFile))
      throw new PackageRefused(`"${sco.title}" launches an outside address (${sco.launchFile}); only content inside the package can be played.`);
    if (unsafePathReason(sco.launchFile) || !files.has(launch)) {
      throw new PackageRefused(`The launch file of "${sco.title}" (${sco.launchFile}) is not in the package.`);
    }
  }
  return { manifest, fileCount: files.size, declaredBytes };
}

/**
 * Unpacks a checked package into a temporary folder beside `finalDir` and
 * renames it into place, so a half-written package is never visible.
 * Returns the actual number of bytes written.
 */
export async function extractPackage(file: string, finalDir: string, limits: ZipLimits): Promise<number> {
  const parent = path.dirname(finalDir);
  fs.mkdirSync(parent, { recursive: true });
  const temp = path.join(parent, `.importing-${randomBytes(8).toString('hex')}`);
  fs.mkdirSync(temp);
  try {
    const zip = await openZip(file);
    let bytes: number;
    try {
      bytes = await extractAll(zip, file, temp, limits.maxBytes);
    } finally {
      zip.close();
    }
    fs.renameSync(temp, finalDir);
    return bytes;
  } catch (err) {
    fs.rmSync(temp, { recursive: true, force: true });
    throw err;
  }
}
