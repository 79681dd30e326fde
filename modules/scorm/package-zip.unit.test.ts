import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import yauzl from 'yauzl';
import { APP_DIR } from '../../server/paths';
import { shippedPackageZip, zipPackageFolder, zipShippedPackages } from './package-zip';

/** Every file in a zip, by name, read with the same zip library the importer uses. */
function unzip(file: string): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true, strictFileNames: true, validateEntrySizes: true }, (err, zip) => {
      if (err || !zip) return reject(err);
      const files = new Map<string, Buffer>();
      zip.on('entry', (entry: yauzl.Entry) => {
        zip.openReadStream(entry, (e, stream) => {
          if (e || !stream) return reject(e);
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('end', () => {
            files.set(entry.fileName, Buffer.concat(chunks));
            zip.readEntry();
          });
        });
      });
      zip.on('end', () => resolve(files));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}

describe('the e-learning modules the product ships (scorm-packages/)', () => {
  const sources = path.join(APP_DIR, 'scorm-packages');
  const demo = path.join(sources, 'domestic-abuse-awareness');
  let work: string;
  beforeEach(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'package-zip-'));
  });
  afterEach(() => fs.rmSync(work, { recursive: true, force: true }));

  it('zips the demo module with exactly its source files, the same bytes every time', async () => {
    const first = fs.readFileSync(zipPackageFolder(demo, path.join(work, 'a.zip')));
    // A later copy of the same files (new modification times) still gives the same zip.
    const copy = path.join(work, 'copy');
    fs.cpSync(demo, copy, { recursive: true });
    const second = fs.readFileSync(zipPackageFolder(copy, path.join(work, 'b.zip')));
    expect(second.equals(first)).to.equal(true);
    const files = await unzip(path.join(work, 'a.zip'));
    expect([...files.keys()]).to.deep.equal(['course.css', 'course.js', 'imsmanifest.xml', 'index.html']);
    for (const [name, content] of files) expect(content.equals(fs.readFileSync(path.join(demo, name))), name).to.equal(true);
  });

  it('zips every folder with a manifest, nothing else, and keeps sub-folders', async () => {
    fs.mkdirSync(path.join(work, 'src', 'one', 'media'), { recursive: true });
    fs.writeFileSync(path.join(work, 'src', 'one', 'imsmanifest.xml'), '<manifest/>');
    fs.writeFileSync(path.join(work, 'src', 'one', 'media', 'a.txt'), 'a');
    fs.mkdirSync(path.join(work, 'src', 'content', 'leftover'), { recursive: true });
    fs.writeFileSync(path.join(work, 'src', 'README.md'), '# not a module');
    const zips = zipShippedPackages(path.join(work, 'src'), path.join(work, 'out'));
    expect(zips.map((z) => path.basename(z))).to.deep.equal(['one.zip']);
    expect([...(await unzip(zips[0])).keys()]).to.deep.equal(['imsmanifest.xml', 'media/a.txt']);
  });

  it("uses the build's zip when there is one, and zips the source folder when run from the sources", () => {
    fs.mkdirSync(path.join(work, 'built'));
    fs.writeFileSync(path.join(work, 'built', 'domestic-abuse-awareness.zip'), 'the build');
    expect(shippedPackageZip('domestic-abuse-awareness', path.join(work, 'built'))).to.equal(path.join(work, 'built', 'domestic-abuse-awareness.zip'));
    const made = shippedPackageZip('domestic-abuse-awareness', sources);
    try {
      expect(fs.readFileSync(made).equals(fs.readFileSync(zipPackageFolder(demo, path.join(work, 'c.zip'))))).to.equal(true);
    } finally {
      fs.rmSync(path.dirname(made), { recursive: true, force: true });
    }
    expect(() => shippedPackageZip('no-such-module', sources)).to.throw(/not in/);
  });
});
