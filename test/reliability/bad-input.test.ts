import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { importPackage } from '../../modules/scorm/service';
import { TEST_DB } from '../support/database';
import { rawZip } from '../support/zip';
import { addUser, startTestServer, TestAgent, type TestServer, TEST_PASSWORD } from '../support/server';
import { changedTables, snapshotDatabase } from './snapshot';

/**
 * The bad-input corpus: hostile or broken input the other suites do not
 * already try (SCORM zips: modules/scorm/import.test.ts; CMI for SCORM 1.2:
 * modules/scorm/scorm.test.ts; CSV rows and Windows-1252: modules/staff;
 * SAML tampering: modules/sso/saml.test.ts; formulas in CSV exports:
 * modules/compliance/dashboard.test.ts). Each gets a clear error, and every
 * table is compared before and after to show nothing stored changed.
 */

const manifest2004 = (title: string) => `<?xml version="1.0"?>
<manifest identifier="corpus.${Math.random().toString(36).slice(2)}" xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3">
  <metadata><schema>ADL SCORM</schema><schemaversion>2004 3rd Edition</schemaversion></metadata>
  <organizations default="o"><organization identifier="o"><title>${title}</title>
    <item identifier="i1" identifierref="r1"><title>${title}</title></item>
  </organization></organizations>
  <resources><resource identifier="r1" type="webcontent" adlcp:scormType="sco" href="index.html"><file href="index.html"/></resource></resources>
</manifest>`;

describe(`bad input corpus (${TEST_DB})`, function () {
  this.timeout(120_000);
  let server: TestServer;
  let tmp: string;
  let admin: TestAgent;
  let lead: TestAgent;
  // Sessions are touched by every request; everything else must stay as it was.
  const snapshot = () => snapshotDatabase(server.product.database.pool, { except: ['sessions'] });

  before(async () => {
    server = await startTestServer();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lms-corpus-'));
    await server.product.database.pool.query("insert into organisations (slug, name, sector) values ('corpus-council', 'Corpus Council', 'local-authority')");
    const adminUser = await addUser(server, 'partnership-admin');
    const leadUser = await addUser(server, 'org-lead', { organisationSlug: 'corpus-council' });
    admin = new TestAgent(server.url);
    await admin.signIn(adminUser.email, TEST_PASSWORD);
    lead = new TestAgent(server.url);
    await lead.signIn(leadUser.email, TEST_PASSWORD);
  });
  after(async () => {
    await server?.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('SCORM: refuses a zip bomb whose headers understate what it unpacks to, and stores nothing', async () => {
    const before = await snapshot();
    const bomb = rawZip(tmp, [
      { name: 'imsmanifest.xml', content: manifest2004('Bomb') },
      { name: 'index.html', content: '<p>hi</p>' },
      { name: 'big.bin', content: Buffer.alloc(4 * 1024 * 1024), deflate: true, claimedSize: 100 },
    ]);
    expect(fs.statSync(bomb).size).to.be.below(20_000);
    const err = await importPackage({ config: { ...server.product.config, scormMaxUploadBytes: 1024 * 1024 }, database: server.product.database }, bomb).catch(
      (e: Error) => e,
    );
    expect((err as Error).name).to.equal('PackageRefused');
    expect((err as Error).message).to.match(/not the size the zip says|unpacks to more than 1 MB/);
    expect(changedTables(before, await snapshot())).to.deep.equal([]);
  });

  describe('with a SCORM 2004 course whose title is HTML', () => {
    const title = '<script>alert("title")</script><img src=x onerror=alert(1)>';
    let commitUrl: string;
    let sco: string;

    before(async () => {
      const zip = rawZip(tmp, [
        { name: 'imsmanifest.xml', content: manifest2004(title.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')) },
        { name: 'index.html', content: '<p>content</p>' },
      ]);
      const imported = await importPackage({ config: server.product.config, database: server.product.database }, zip);
      const play = await admin.get(`/courses/${imported.courseSlug}/play`);
      expect(play.status).to.equal(200);
      // The title is shown as text, never as markup.
      expect(play.text).to.not.contain('<script>alert(');
      expect(play.text).to.not.contain('<img src=x');
      expect(play.text).to.contain('&lt;script&gt;alert(');
      commitUrl = play.text.match(/\/scorm\/attempts\/[0-9a-f-]{36}\/commit/)![0];
      sco = 'i1';
    });

    it('CMI: leaves out values of the wrong type or size and unknown elements in SCORM 2004, names them, and stores the rest', async () => {
      const ok = await admin.postJson(commitUrl, { sco, sequence: 1, sessionId: 'corpus', cmi: { 'cmi.location': 'page-1' } });
      expect(ok.status).to.equal(200);
      const bad: Record<string, string>[] = [
        { 'cmi.score.scaled': 'lots' },
        { 'cmi.score.scaled': '1.5' },
        { 'cmi.completion_status': 'done' },
        { 'cmi.success_status': 'yes' },
        { 'cmi.suspend_data': 'x'.repeat(64_001) },
        { 'cmi.location': 'x'.repeat(1001) },
        { 'cmi.no_such_element': '1' },
        { 'cmi.core.lesson_status': 'passed' },
      ];
      // A module that sends one bad value loses only that value: the learner's other progress is kept (issue 19).
      const stored = async () => {
        const { rows } = await server.product.database.pool.query<{ cmi: Record<string, string> }>(
          "select cmi from scorm_sco_states where sco_identifier = $1 and session_sequences ? 'corpus'",
          [sco],
        );
        return rows[0]?.cmi ?? {};
      };
      let sequence = 2;
      for (const cmi of bad) {
        const location = `page-${sequence}`;
        const res = await admin.postJson(commitUrl, { sco, sequence: sequence++, sessionId: 'corpus', cmi: { 'cmi.location': location, ...cmi } });
        const body = await res.json();
        const label = JSON.stringify(cmi).slice(0, 80);
        expect(res.status, label).to.equal(200);
        expect(body.problems, label).to.be.an('array').that.is.not.empty;
        const now = await stored();
        const [name, value] = Object.entries(cmi)[0];
        expect(now[name], label).to.not.equal(value);
        if (name !== 'cmi.location') expect(now['cmi.location'], label).to.equal(location);
      }
    });

    it('JSON: answers malformed, oversized and wrongly shaped commit bodies with a clear error, storing nothing', async () => {
      const before = await snapshot();
      const post = (body: string, type = 'application/json') =>
        admin.request('POST', commitUrl, { body, headers: { 'content-type': type, 'x-csrf-token': admin.csrfToken ?? '', accept: 'application/json' } });

      const malformed = await post('{"sco": "i1", "sequence": 3, "cmi": {');
      expect(malformed.status).to.equal(400);
      expect((await malformed.json()).error.message).to.equal('The request body is not valid JSON.');

      const huge = await post(JSON.stringify({ sco, sequence: 3, cmi: { 'cmi.suspend_data': 'x'.repeat(2 * 1024 * 1024) } }));
      expect(huge.status).to.equal(413);
      expect((await huge.json()).error.message).to.equal('The request is too large.');

      const deep = await post(`${'['.repeat(50_000)}${']'.repeat(50_000)}`);
      expect(deep.status).to.be.oneOf([400, 413]);
      expect((await deep.json()).error.message).to.be.a('string').and.not.empty;

      for (const shape of [
        '[]',
        '"text"',
        '42',
        'null',
        '{"sco": 1, "sequence": "3", "cmi": []}',
        '{"sco": "i1", "sequence": -1, "cmi": {}}',
        '{"sco": "i1", "sequence": 1e300, "cmi": {}}',
      ]) {
        const res = await post(shape);
        expect(res.status, shape).to.be.oneOf([400, 422]);
        expect((await res.json()).error.message, shape).to.be.a('string').and.not.empty;
      }
      const beacon = await admin.request('POST', commitUrl, {
        body: new URLSearchParams({ _csrf: admin.csrfToken ?? '', payload: '{not json' }),
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      });
      expect(beacon.status).to.equal(400);
      expect((await beacon.json()).error.message).to.equal('The payload is not valid JSON.');
      expect(changedTables(before, await snapshot())).to.deep.equal([]);
    });
  });

  it('CSV: refuses UTF-16, binary and oversized staff files with a clear message, storing nothing', async () => {
    const before = await snapshot();
    await lead.get('/staff/import');
    const upload = async (name: string, bytes: Buffer) => {
      const form = new FormData();
      form.append('_csrf', lead.csrfToken ?? '');
      form.append('org', 'corpus-council');
      form.append('file', new Blob([new Uint8Array(bytes)]), name);
      const res = await lead.request('POST', '/staff/import', { body: form, headers: { accept: 'text/html' } });
      return { status: res.status, text: await res.text() };
    };
    const csv = 'name,email,job_title\nAda Lovelace,ada@corpus.example,Housing Officer\n';

    // Excel's "Unicode Text" and some exports are UTF-16 with a byte order mark.
    const utf16 = await upload('staff.csv', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(csv, 'utf16le')]));
    expect(utf16.status).to.equal(400);
    expect(utf16.text)
      .to.match(/govuk-error-summary/)
      .and.match(/UTF-8/);

    // A spreadsheet saved as .xlsx (a zip) and renamed .csv.
    const xlsx = await upload('staff.csv', Buffer.concat([Buffer.from('PK\u0003\u0004'), Buffer.alloc(2000, 7)]));
    expect(xlsx.status).to.equal(400);
    expect(xlsx.text).to.match(/govuk-error-summary/);

    const huge = await upload('staff.csv', Buffer.concat([Buffer.from('name,email\n'), Buffer.alloc(11 * 1024 * 1024, 'a')]));
    expect(huge.status).to.equal(413);
    expect(huge.text).to.match(/larger than 10 MB/);

    expect(changedTables(before, await snapshot())).to.deep.equal([]);
  });

  it('SAML: refuses garbage, XXE and entity-expansion responses and oversized posts with the sign-in refusal, creating no one', async () => {
    // An organisation with single sign-on switched on (its IdP's certificate only has to be real PEM).
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        path.join(tmp, 'idp.key'),
        '-out',
        path.join(tmp, 'idp.crt'),
        '-days',
        '2',
        '-subj',
        '/CN=corpus-idp',
      ],
      { stdio: 'ignore' },
    );
    // Single sign-on cannot be switched on for an organisation without email domains.
    await server.product.database.pool.query(`update organisations set email_domains = '{corpus.example}' where slug = 'corpus-council'`);
    await admin.get('/admin/sso/corpus-council');
    const saved = await admin.postForm('/admin/sso/corpus-council', {
      enabled: 'yes',
      idpEntryPoint: 'https://idp.corpus.example/saml',
      idpEntityId: 'urn:corpus:idp',
      certificates: fs.readFileSync(path.join(tmp, 'idp.crt'), 'utf8'),
      spEntityId: '',
      attr_email: 'email',
      attr_givenName: 'givenName',
      attr_surname: 'surname',
      attr_displayName: 'displayName',
      attr_jobTitle: 'jobTitle',
      attr_team: 'team',
      attr_staffNumber: 'staffNumber',
    });
    expect(saved.status, await saved.clone().text()).to.equal(302);

    // Audit rows record each refusal; sessions are touched by requests. Nothing else may change.
    const before = await snapshotDatabase(server.product.database.pool, { except: ['sessions', 'audit_log'] });
    const b64 = (xml: string) => Buffer.from(xml, 'utf8').toString('base64');
    const samlp = 'xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"';
    const unsigned = `<samlp:Response ${samlp} ID="_r1" Version="2.0" IssueInstant="${new Date().toISOString()}"><saml:Issuer>urn:corpus:idp</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status><saml:Assertion ID="_a1" Version="2.0" IssueInstant="${new Date().toISOString()}"><saml:Issuer>urn:corpus:idp</saml:Issuer><saml:Subject><saml:NameID>intruder@corpus.example</saml:NameID></saml:Subject></saml:Assertion></samlp:Response>`;
    const responses: Record<string, string> = {
      'not base64': '%%% not base64 %%%',
      'not XML': b64('hello, this is not XML'),
      empty: '',
      'external entity (XXE)': b64(
        `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><samlp:Response ${samlp} ID="_x">&x;</samlp:Response>`,
      ),
      'entity expansion': b64(
        `<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]><samlp:Response ${samlp} ID="_l">&d;</samlp:Response>`,
      ),
      'unsigned assertion for a made-up person': b64(unsigned),
    };
    for (const [what, SAMLResponse] of Object.entries(responses)) {
      const stranger = new TestAgent(server.url);
      const res = await stranger.request('POST', '/auth/saml/corpus-council/acs', {
        body: new URLSearchParams({ SAMLResponse, RelayState: '/' }),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      const html = await res.text();
      expect(res.status, what).to.equal(403);
      expect(html, what).to.contain('We could not sign you in');
      expect(html, what).to.not.match(/root:x:0|lollol|at .*\(.*:\d+:\d+\)/);
    }
    const huge = await new TestAgent(server.url).request('POST', '/auth/saml/corpus-council/acs', {
      body: new URLSearchParams({ SAMLResponse: 'A'.repeat(2 * 1024 * 1024) }),
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
    });
    expect(huge.status).to.equal(413);
    expect(await huge.text()).to.contain('The request is too large.');
    expect(changedTables(before, await snapshotDatabase(server.product.database.pool, { except: ['sessions', 'audit_log'] }))).to.deep.equal([]);
  });
});
