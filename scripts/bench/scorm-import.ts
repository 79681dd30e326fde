/**
 * Importing a 200 MB SCORM package: time and peak memory. The package is
 * built in a temporary folder (a SCORM 1.2 manifest, a launch page and
 * incompressible media files, so the zip itself is 200 MB) and imported
 * through the real importer in a child process; the import must stream, so
 * the whole process stays under 150 MB however big the package is.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ZipArchive } from 'archiver';
import pg from 'pg';
import { PRODUCT_TYPES } from '../../server/db';
import { versionDir } from '../../modules/scorm/service';
import { ROOT } from '../../test/support/process';
import { round } from './support';
import type { BenchContext, BenchResult } from './types';

const MANIFEST = (files: string[]) => `<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="bench-large-package" version="1.0" xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2" xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
  <organizations default="org">
    <organization identifier="org">
      <title>Recognising coercive control (video course)</title>
      <item identifier="item1" identifierref="res1"><title>Recognising coercive control</title></item>
    </organization>
  </organizations>
  <resources>
    <resource identifier="res1" type="webcontent" adlcp:scormtype="sco" href="index.html">
      <file href="index.html"/>
${files.map((f) => `      <file href="${f}"/>`).join('\n')}
    </resource>
  </resources>
</manifest>`;

/** Writes the zip to `file`: `mb` megabytes of random (incompressible) media in 5 MB files. */
export async function buildPackage(file: string, mb: number): Promise<number> {
  const media = Array.from({ length: Math.ceil(mb / 5) }, (_, i) => `media/part-${String(i + 1).padStart(3, '0')}.mp4`);
  const out = fs.createWriteStream(file);
  const zip = new ZipArchive({ zlib: { level: 1 } });
  const done = new Promise<void>((resolve, reject) => {
    out.on('close', resolve);
    zip.on('error', reject);
  });
  zip.pipe(out);
  zip.append(MANIFEST(media), { name: 'imsmanifest.xml' });
  zip.append('<!doctype html><html lang="en"><head><title>Course</title></head><body><video src="media/part-001.mp4"></video></body></html>', {
    name: 'index.html',
  });
  for (const name of media) zip.append(randomBytes(5 * 2 ** 20), { name, store: true });
  await zip.finalize();
  await done;
  return fs.statSync(file).size;
}

export async function run(ctx: BenchContext): Promise<BenchResult> {
  const mb = ctx.quick ? 50 : 200;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-scorm-import-'));
  const zipFile = path.join(dir, 'large.zip');
  const scormDir = path.join(dir, 'content-store');
  const pool = new pg.Pool({ connectionString: ctx.databaseUrl, max: 1, types: PRODUCT_TYPES });
  try {
    const size = await buildPackage(zipFile, mb);
    ctx.log(`built a ${(size / 2 ** 20).toFixed(0)} MB package`);
    const output = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/bench/import-child.ts', zipFile, ctx.databaseUrl, scormDir], {
        cwd: ROOT,
        env: { ...process.env, LOG_LEVEL: 'warn' },
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (err += d));
      child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`the import exited with ${code}: ${err}`))));
    });
    const r = JSON.parse(output.trim().split('\n').pop()!) as {
      seconds: number;
      rssBeforeMb: number;
      peakRssMb: number;
      packageVersionId: string;
      packageId: string;
      courseId: string;
    };
    ctx.log(`imported in ${r.seconds.toFixed(1)} s, peak RSS ${r.peakRssMb.toFixed(0)} MB (${r.rssBeforeMb.toFixed(0)} MB before the import)`);
    fs.rmSync(versionDir({ scormDir }, r.packageVersionId), { recursive: true, force: true });
    await pool.query('delete from scorm_packages where id = $1', [r.packageId]);
    await pool.query('delete from courses where id = $1', [r.courseId]);
    return {
      id: 'scorm-import',
      title: `SCORM import of a ${Math.round(size / 2 ** 20)} MB package`,
      target: 'streams: peak memory under 150 MB',
      met: r.peakRssMb < 150,
      figures: [
        { label: 'package size', value: round(size / 2 ** 20), unit: 'MB' },
        { label: 'import time (check every entry and the manifest, then unpack)', value: round(r.seconds, 2), unit: 's' },
        { label: 'peak RSS of the importing process', value: round(r.peakRssMb), unit: 'MB' },
        { label: 'RSS of that process before the import began', value: round(r.rssBeforeMb), unit: 'MB' },
        { label: 'import throughput', value: round(size / 2 ** 20 / r.seconds), unit: 'MB/s' },
      ],
      notes: [
        "Imported by modules/scorm/service.ts importPackage in its own Node process (scripts/bench/import-child.ts, run with tsx as `npm start` and the CLI are); peak memory is that process's high-water mark (VmHWM), start-up included, so the import's own share is the peak less the RSS before it began.",
        "Measurement fixed 2026-11-23 (session 3): the child used to report resourceUsage().maxRSS, which Linux carries over from the parent across fork and exec, so it reported the runner's own size after writing the 200 MB package (the 144–237 MB figures of earlier runs). VmHWM belongs to the new process alone.",
        'Fix, before and after on the same 200 MB package of stored media, measured by VmHWM in the child (2026-11-23, idle machine): streaming each entry (a new 64 KB buffer per chunk, collected late) peaked at 151–155 MB, 1.2–1.3 s; copying stored entries through one reused 1 MB buffer (modules/scorm/importer.ts copyStored) peaked at 117–118 MB (2–4 MB over the process before the import), 0.26–0.31 s. Deflated entries still stream through zlib.',
        'Before and after a fix (50 MB package, same machine, 2026-11-23): the process held 159 MB before the import began and peaked at 179 MB, because server/db imported PGlite (about 50 MB of WebAssembly) even on PostgreSQL. PGlite is now loaded only when the embedded database is used: 116 MB before the import, peak 154 MB. The importer itself streams each entry from the zip to disk, so its share does not grow with the package.',
      ],
    };
  } finally {
    await pool.end();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
