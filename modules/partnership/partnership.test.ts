import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import QRCode from 'qrcode';
import { TEST_DB } from '../../test/support/database';
import { startTestServer, type TestServer } from '../../test/support/server';
import { renderCertificatePdf } from '../certificates/api';
import { partnershipLogo, setPartnership } from './settings';

function imagesIn(pdf: Buffer): number {
  const file = path.join(os.tmpdir(), `cert-${process.pid}-${Date.now()}.pdf`);
  fs.writeFileSync(file, pdf);
  try {
    // pdfimages -list prints two header lines, then a line per image (and per transparency mask).
    return execFileSync('pdfimages', ['-list', file], { encoding: 'utf8' }).trim().split('\n').length - 2;
  } finally {
    fs.rmSync(file, { force: true });
  }
}

describe(`partnership settings (${TEST_DB})`, function () {
  this.timeout(120_000);
  let server: TestServer;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'partnership-'));
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('needs a name and area the first time, then shows the new name on every page', async () => {
    const pool = server.product.database.pool;
    try {
      await setPartnership(pool, { name: 'Westshire Domestic Abuse Board' });
      expect.fail('should have asked for the area');
    } catch (err) {
      expect((err as Error).message).to.contain('--area');
    }
    await setPartnership(pool, { name: 'Westshire Domestic Abuse Board', areaName: 'Westshire' });
    server.product.app.locals.partnershipCache.forget();
    const home = await (await fetch(`${server.url}/`)).text();
    expect(home).to.contain('Westshire Domestic Abuse Board');
  });

  it('prints the partnership logo on certificates, and refuses a file that is not a PNG', async () => {
    const pool = server.product.database.pool;
    const notPng = path.join(dir, 'logo.jpg');
    fs.writeFileSync(notPng, Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]));
    try {
      await setPartnership(pool, { logoFile: notPng });
      expect.fail('a JPEG should be refused');
    } catch (err) {
      expect((err as Error).message).to.equal('The logo must be a PNG image.');
    }
    expect(await partnershipLogo(pool)).to.equal(undefined);

    const png = path.join(dir, 'logo.png');
    fs.writeFileSync(png, await QRCode.toBuffer('Westshire'));
    await setPartnership(pool, { logoFile: png });
    const logoPng = await partnershipLogo(pool);
    expect(logoPng?.equals(fs.readFileSync(png))).to.equal(true);

    const certificate = {
      code: 'ABCDEFGHJKM',
      kind: 'course' as const,
      personName: 'Sam Taylor',
      organisationName: 'Westshire Council',
      achievement: 'Domestic abuse awareness',
      competencies: [],
      issuedOn: '2026-11-23',
      expiresOn: '2029-11-23',
      partnershipName: 'Westshire Domestic Abuse Board',
    };
    const without = await renderCertificatePdf(certificate, server.url, server.product.database.pool);
    const withLogo = await renderCertificatePdf({ ...certificate, logoPng }, server.url, server.product.database.pool);
    expect(imagesIn(without)).to.equal(0);
    expect(imagesIn(withLogo)).to.be.greaterThan(0);
  });
});
