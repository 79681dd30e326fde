import { expect } from 'chai';
import type { Certificate } from '../certificates/api';
import { credentialUrls, openBadgeCredential, validityOf } from './badge';

const certificate: Certificate = {
  id: '6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f',
  code: '7K3QX9M2PAB',
  kind: 'framework',
  staffId: 'staff',
  organisationId: 'org',
  courseId: null,
  groupNumber: 2,
  achievement: 'Group 2 Responder level',
  competencies: [
    { groupNumber: 1, number: 1, text: 'Understand what domestic abuse is' },
    { groupNumber: 2, number: 3, text: 'Ask about domestic abuse safely' },
  ],
  personName: 'Sam Taylor',
  organisationName: 'Vale County Council',
  partnershipName: 'Vale Domestic Abuse Partnership',
  issuedOn: '2026-03-01',
  expiresOn: '2029-03-01',
  status: 'valid',
  revokedReason: null,
  revokedAt: null,
  replacesId: null,
  replacedBy: null,
  reissueReason: null,
  team: 'Frontline services',
};

describe('Open Badges credential of a certificate', () => {
  it('is current from the start of the issue day to the end of the expiry day in England, and open-ended without an expiry', () => {
    expect(validityOf(certificate)).to.deep.equal({ validFrom: '2026-03-01T00:00:00Z', validUntil: '2029-03-01T23:59:59Z' });
    expect(validityOf({ ...certificate, expiresOn: null })).to.deep.equal({ validFrom: '2026-03-01T00:00:00Z' });
    // British Summer Time: the day starts and ends an hour earlier in UTC.
    expect(validityOf({ issuedOn: '2026-07-01', expiresOn: '2029-07-01' })).to.deep.equal({
      validFrom: '2026-06-30T23:00:00Z',
      validUntil: '2029-07-01T22:59:59Z',
    });
  });

  it('names the person, the achievement and each competency it evidences, and where its status is published', () => {
    // biome-ignore lint/suspicious/noExplicitAny: a credential is a JSON document
    const credential = openBadgeCredential(certificate, 'https://training.example.org/', { listNumber: 2, listIndex: 4711 }) as Record<string, any>;
    expect(credential.issuer.id).to.equal('https://training.example.org/credentials/issuer');
    expect(credential.credentialSubject.identifier[0].identityHash).to.equal('Sam Taylor');
    expect(credential.credentialSubject.achievement.alignment.map((a: { targetName: string }) => a.targetName)).to.deep.equal([
      'Group 1 competency 1',
      'Group 2 competency 3',
    ]);
    expect(credential.credentialStatus).to.deep.equal({
      id: 'https://training.example.org/credentials/status/2#4711',
      type: 'BitstringStatusListEntry',
      statusPurpose: 'revocation',
      statusListIndex: '4711',
      statusListCredential: 'https://training.example.org/credentials/status/2',
    });
    expect(credentialUrls('https://training.example.org').key('k')).to.equal('https://training.example.org/credentials/keys/k');
  });
});
