import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ZipArchive } from 'archiver';
import { expect } from 'chai';
import { TEST_DB } from '../../test/support/database';
import { startTestServer, type TestServer } from '../../test/support/server';
import { rawZip } from '../../test/support/zip';
import { importPackage } from './service';

const FIXTURES = path.resolve(__dirname, '../../../shared/scorm-fixtures');

const MANIFEST_12 = (launch = 'index.html') => `<?xml version="1.0"?>
<manifest identifier="test.pkg.${Math.random().toString(36).slice(2)}" xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2" xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
  <organizations default="o"><organization identifier="o"><title>Test</title>
    <item identifier="i1" identifierref="r1"><title>Page</title><adlcp:masteryscore>80</adlcp:masteryscore></item>
  </organization></organizations>
  <resources><resource identifier="r1" type="webcontent" adlcp:scormtype="sco" href="${launch}"><file href="${launch}"/></resource></resources>
</manifest>`;

type Entry = { name: string; content: string | Buffer };

/** Writes a zip with archiver (names are taken as given, so hostile ones can be made). */
async function makeZip(dir: string, entries: Entry[]): Promise<string> {
  const file = path.join(dir, `${Math.random().toString(36).slice(2)}.zip`);
  const archive = new ZipArchive({ zlib: { level: 9 } });
  const out = fs.createWriteStream(file);
  const done = new Promise<void>((resolve, reject) => {
    out.on('close', () => resolve());
    archive.on('error', reject);
  });
  archive.pipe(out);
  for (const e of entries) {
    archive.append(e.content, { name: e.name });
  }
  await archive.finalize();
  await done;
  return file;
}

describe(`SCORM import (${TEST_DB})`, () => {
  let server: TestServer;
  let tmp: string;
  const deps = () => ({ config: server.product.config, database: server.product.database });
  const countRows = async () => (await server.product.database.pool.query<{ n: number }>('select count(*) as n from scorm_package_versions')).rows[0].n;
  const contentDirs = () => {
    const d = path.join(server.product.config.scormDir, 'content');
    return fs.existsSync(d) ? fs.readdirSync(d) : [];
  };

  before(async function () {
    // Starting the product on a fresh database is the slow part; give it room on a busy machine.
    this.timeout(180_000);
    server = await startTestServer();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'scorm-import-'));
  });
  after(async () => {
    await server?.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  async function expectRefused(file: string, message: RegExp, config?: Partial<TestServer['product']['config']>): Promise<void> {
    const before = await countRows();
    const dirs = contentDirs().length;
    let error: Error | undefined;
    try {
      await importPackage({ config: { ...server.product.config, ...config }, database: server.product.database }, file);
    } catch (err) {
      error = err as Error;
    }
    expect(error?.name, error?.stack).to.equal('PackageRefused');
    expect(error?.message).to.match(message);
    expect(await countRows()).to.equal(before);
    expect(contentDirs()).to.have.length(dirs);
    expect(fs.readdirSync(path.join(server.product.config.scormDir, 'content')).filter((d) => d.startsWith('.'))).to.deep.equal([]);
  }

  it('imports the SCORM 1.2 golf example with its SCO, launch file and files on disk', async () => {
    const result = await importPackage(deps(), path.join(FIXTURES, 'singlescobasic.zip'));
    expect(result.manifest.scormVersion).to.equal('1.2');
    expect(result.manifest.identifier).to.equal('com.scorm.golfsamples.runtime.basicruntime.12');
    expect(result.manifest.scos).to.have.length(1);
    expect(result.manifest.scos[0]).to.include({ launch: 'shared/launchpage.html', kind: 'sco', title: 'Golf Explained' });
    expect(fs.existsSync(path.join(server.product.config.scormDir, 'content', result.packageVersionId, 'shared/launchpage.html'))).to.equal(true);
  });

  it('imports the SCORM 2004 3rd edition golf example, and a second upload is a new version', async () => {
    const first = await importPackage(deps(), path.join(FIXTURES, 'RuntimeBasicCalls_SCORM20043rdEdition.zip'));
    expect(first.manifest.scormVersion).to.equal('2004-3');
    // Its sequencing (controlMode on the organisation, deliveryControls on the item) keeps the item tracked, with the default rollup.
    expect(first.manifest.organisations[0].sequencing).to.include({ tracked: true, satisfiedByMeasure: false });
    expect(first.manifest.organisations[0].sequencing?.rules).to.deep.equal([]);
    expect(first.manifest.organisations[0].items[0].sequencing).to.include({ tracked: true, rollupObjectiveSatisfied: true, rollupProgressCompletion: true });
    expect(first.manifest.scos[0]).to.include({ masteryScore: null }).and.not.have.property('rollup');
    const second = await importPackage(deps(), path.join(FIXTURES, 'RuntimeBasicCalls_SCORM20043rdEdition.zip'));
    expect(second.version).to.equal(first.version + 1);
    expect(second.packageId).to.equal(first.packageId);
    expect(second.courseId).to.equal(first.courseId);
    expect(second.packageVersionId).to.not.equal(first.packageVersionId);
  });

  it('refuses a manifest whose launch address holds a bad percent-encoding, with a clear message', async () => {
    await expectRefused(
      await makeZip(tmp, [
        { name: 'imsmanifest.xml', content: MANIFEST_12('page%zz.html') },
        { name: 'page%zz.html', content: 'x' },
      ]),
      /launch address of "Page" \(page%zz\.html\) has a "%" that is not followed by two hexadecimal digits/,
    );
  });

  it('refuses badscorm.zip: the manifest is not at the root', async () => {
    await expectRefused(path.join(FIXTURES, 'badscorm.zip'), /imsmanifest\.xml is inside the folder "badscorm\/", not at the top of the zip/);
  });

  it('refuses invalid.zip: there is no manifest', async () => {
    await expectRefused(path.join(FIXTURES, 'invalid.zip'), /no imsmanifest\.xml, so it is not a SCORM package/);
  });

  it('refuses broken XML and a launch file missing from the package', async () => {
    await expectRefused(await makeZip(tmp, [{ name: 'imsmanifest.xml', content: '<manifest><broken></manifest>' }]), /not well-formed XML/);
    await expectRefused(
      await makeZip(tmp, [
        { name: 'imsmanifest.xml', content: MANIFEST_12('missing.html') },
        { name: 'other.html', content: 'x' },
      ]),
      /launch file of "Page" \(missing\.html\) is not in the package/,
    );
  });

  it('refuses XXE and billion-laughs manifests before parsing', async () => {
    const xxe = `<?xml version="1.0"?><!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]><manifest identifier="&x;"/>`;
    const laughs = `<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><manifest identifier="&c;"/>`;
    await expectRefused(await makeZip(tmp, [{ name: 'imsmanifest.xml', content: xxe }]), /DOCTYPE or ENTITY declaration/);
    await expectRefused(await makeZip(tmp, [{ name: 'imsmanifest.xml', content: laughs }]), /DOCTYPE or ENTITY declaration/);
  });

  it('refuses zip-slip paths, absolute paths, backslashes and links', async () => {
    const ok = { name: 'imsmanifest.xml', content: MANIFEST_12() };
    const page = { name: 'index.html', content: '<p>hi</p>' };
    await expectRefused(rawZip(tmp, [ok, page, { name: '../../evil.html', content: 'x' }]), /climbs out of the package folder/);
    await expectRefused(rawZip(tmp, [ok, page, { name: '/tmp/evil.html', content: 'x' }]), /absolute/);
    await expectRefused(rawZip(tmp, [ok, page, { name: 'sub\\..\\..\\evil.html', content: 'x' }]), /backslash/);
    await expectRefused(rawZip(tmp, [ok, page, { name: 'link.html', content: '/etc/passwd', mode: 0o120777 }]), /contains a link/);
    expect(fs.existsSync(path.join(tmp, '..', 'evil.html'))).to.equal(false);
  });

  it('copies stored (uncompressed) media byte for byte, larger than its copy buffer, and refuses a stored entry that lies about its size', async () => {
    const ok = { name: 'imsmanifest.xml', content: MANIFEST_12() };
    const media = Buffer.alloc(2.5 * 1024 * 1024 + 123);
    for (let i = 0; i < media.length; i += 4093) media[i] = i % 251;
    const file = rawZip(tmp, [
      ok,
      { name: 'index.html', content: '<p>hi</p>' },
      { name: 'media/clip.mp4', content: media },
      { name: 'empty.txt', content: '' },
    ]);
    const result = await importPackage(deps(), file);
    const dir = path.join(server.product.config.scormDir, 'content');
    const stored = fs
      .readdirSync(dir)
      .map((d) => path.join(dir, d, 'media', 'clip.mp4'))
      .find((f) => fs.existsSync(f) && fs.statSync(f).size === media.length);
    expect(stored, `imported ${result.packageVersionId}`).to.be.a('string');
    expect(fs.readFileSync(stored!).equals(media)).to.equal(true);
    // A stored entry whose sizes disagree (it claims more than it holds) is refused and leaves nothing behind.
    await expectRefused(
      rawZip(tmp, [ok, { name: 'index.html', content: '<p>hi</p>' }, { name: 'media/lie.mp4', content: media.subarray(0, 1000), claimedSize: 5000 }]),
      /not the size the zip says/,
    );
  });

  it('refuses packages over the size or file-count limits (zip bombs)', async () => {
    const ok = { name: 'imsmanifest.xml', content: MANIFEST_12() };
    const bomb = await makeZip(tmp, [ok, { name: 'index.html', content: 'x' }, { name: 'big.bin', content: Buffer.alloc(3 * 1024 * 1024) }]);
    expect(fs.statSync(bomb).size).to.be.below(50_000);
    await expectRefused(bomb, /unpacks to more than 2 MB/, { scormMaxUploadBytes: 2 * 1024 * 1024 });
    const many = await makeZip(tmp, [ok, { name: 'index.html', content: 'x' }, ...Array.from({ length: 10 }, (_, i) => ({ name: `f${i}.txt`, content: 'x' }))]);
    await expectRefused(many, /more than 5 files/, { scormMaxFiles: 5 });
  });
  it('imports with the scorm:import command, and refuses a bad package there as a usage error with the reason', async () => {
    const mod = server.product.modules.find((m) => m.definition.name === 'scorm')!;
    const command = mod.definition.cli!['scorm:import'];
    const ctx = server.product.contextFor(mod);
    const printed: string[] = [];
    const log = console.log;
    console.log = (line: string) => printed.push(line);
    try {
      await command.run(ctx, [path.join(FIXTURES, 'singlescobasic.zip')]);
    } finally {
      console.log = log;
    }
    expect(printed.join('\n')).to.match(
      /Imported "Golf Explained - Run-time Basic Calls" \(SCORM 1\.2, 1 SCO\) as version 2 of com\.scorm\.golfsamples\.runtime\.basicruntime\.12/,
    );
    const refused = await command.run(ctx, [path.join(FIXTURES, 'badscorm.zip')]).catch((err: Error) => err);
    expect(refused).to.be.instanceOf(Error);
    expect((refused as Error).name).to.equal('UsageError');
    expect((refused as Error).message).to.match(/^Refused: .*not at the top of the zip/);
  });
});
