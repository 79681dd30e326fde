import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

export interface RawZipEntry {
  name: string;
  content: string | Buffer;
  /** Unix mode bits (0o120777 makes a symbolic link). */
  mode?: number;
  /** Deflate the content instead of storing it. */
  deflate?: boolean;
  /** The uncompressed size the headers claim, when it should be a lie (a zip bomb that understates). */
  claimedSize?: number;
}

/**
 * A zip written byte by byte, for the hostile packages a zip library would
 * refuse to make or would clean up: '../' paths, backslashes, symlinks, and
 * entries whose headers lie about their size.
 */
export function rawZip(dir: string, entries: RawZipEntry[]): string {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const content = Buffer.isBuffer(e.content) ? e.content : Buffer.from(e.content, 'utf8');
    const data = e.deflate ? zlib.deflateRawSync(content) : content;
    const method = e.deflate ? 8 : 0;
    const size = e.claimedSize ?? content.length;
    const crc = zlib.crc32(content);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    locals.push(local, name, data);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by Unix, so the mode bits count
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(((e.mode ?? 0o100644) << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += 30 + name.length + data.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  const file = path.join(dir, `${Math.random().toString(36).slice(2)}.zip`);
  fs.writeFileSync(file, Buffer.concat([...locals, cd, end]));
  return file;
}
