import { expect } from 'chai';
import { DEMO_PASSWORD } from '../../server/demo';
import { startTestServer, TestAgent, type TestServer } from '../support/server';

/**
 * Upload forms carry their token in the form, never in the address. An
 * attacker's page that makes a signed-in browser post a file to any upload,
 * without the token, with a made-up one, or with the token only in the
 * address, changes nothing.
 */
describe('forged uploads', () => {
  let server: TestServer;
  let admin: TestAgent;
  let learnerStaffId: string;
  const count = async (table: string) => (await server.product.database.pool.query<{ n: number }>(`select count(*)::int as n from ${table}`)).rows[0].n;

  before(async () => {
    server = await startTestServer({ demo: true });
    admin = new TestAgent(server.url);
    await admin.signIn('admin@vale-partnership.example', DEMO_PASSWORD);
    await admin.get('/staff/import');
    learnerStaffId = (await server.product.database.pool.query(`select id from staff where email = 'learner@valecounty.example'`)).rows[0].id;
  });
  after(async () => {
    await server?.close();
  });

  it('refuses every upload whose form has no token or a forged one, and stores nothing', async () => {
    const uploads = [
      { url: '/staff/import', table: 'staff_import_batches', fields: { org: 'vale-county-council' }, file: ['file', 'staff.csv', 'name\nMallory\n'] },
      { url: `/staff/${learnerStaffId}/evidence/upload`, table: 'evidence_documents', fields: { title: 'Forged' }, file: ['document', 'x.pdf', '%PDF-1.4\n'] },
      { url: '/scorm/packages', table: 'scorm_package_versions', fields: {}, file: ['package', 'x.zip', 'PK\u0003\u0004'] },
      {
        url: '/admin/framework/import',
        table: 'frameworks',
        fields: {},
        file: [
          'document',
          'f.json',
          JSON.stringify({ name: 'Forged', groups: [{ number: 1, name: 'G', level: 'L', competencies: [{ number: 1, text: 'T' }] }] }),
        ],
      },
      { url: '/cmi5/packages', table: 'cmi5_package_versions', fields: {}, file: ['package', 'cmi5.xml', '<courseStructure/>'] },
      {
        url: '/admin/sso/vale-county-council/import',
        table: 'saml_identity_providers',
        fields: { metadataXml: '<EntityDescriptor entityID="urn:evil"/>' },
        file: ['metadataFile', 'm.xml', ''],
      },
    ];
    for (const u of uploads) {
      const before = await count(u.table);
      for (const attempt of [
        { token: undefined, query: '' },
        { token: 'forged-token-forged-token-forged', query: '' },
        { token: undefined, query: `?_csrf=${encodeURIComponent(admin.csrfToken ?? '')}` },
      ]) {
        const form = new FormData();
        if (attempt.token) form.append('_csrf', attempt.token);
        for (const [k, v] of Object.entries(u.fields)) form.append(k, v);
        form.append(u.file[0], new Blob([u.file[2]]), u.file[1]);
        const res = await admin.request('POST', `${u.url}${attempt.query}`, { body: form, headers: { accept: 'text/html' } });
        expect(res.status, `${u.url} ${JSON.stringify(attempt)}`).to.equal(403);
      }
      expect(await count(u.table), u.table).to.equal(before);
    }
  });
});
