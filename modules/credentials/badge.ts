import { DateTime } from 'luxon';
import { LONDON } from '../../server/london';
import type { Certificate } from '../certificates/api';
import { OB_V3_CONTEXT, VC_V2_CONTEXT } from './contexts';

/** Where the partnership publishes what a verifier needs, all under the product's own address. */
export function credentialUrls(publicUrl: string) {
  const base = `${publicUrl.replace(/\/+$/, '')}/credentials`;
  return {
    issuer: `${base}/issuer`,
    key: (keyId: string) => `${base}/keys/${keyId}`,
    statusList: (listNumber: number) => `${base}/status/${listNumber}`,
    framework: `${publicUrl.replace(/\/+$/, '')}/framework`,
  };
}

export interface StatusEntry {
  listNumber: number;
  listIndex: number;
}

const inLondon = (date: string) => DateTime.fromISO(date, { zone: LONDON });
const utc = (moment: DateTime) => moment.toUTC().set({ millisecond: 0 }).toISO({ suppressMilliseconds: true }) as string;

/**
 * The first moment of the day a certificate was issued, and the last second of
 * the day it expires (it is current through that day), in England, where the
 * dates were set: a certificate issued just after midnight in summer is valid
 * at once, not an hour later.
 */
export function validityOf(certificate: Pick<Certificate, 'issuedOn' | 'expiresOn'>): { validFrom: string; validUntil?: string } {
  return {
    validFrom: utc(inLondon(certificate.issuedOn).startOf('day')),
    ...(certificate.expiresOn ? { validUntil: utc(inLondon(certificate.expiresOn).endOf('day')) } : {}),
  };
}

/**
 * A certificate as an Open Badges 3.0 credential (an OpenBadgeCredential in
 * the W3C Verifiable Credentials 2.0 data model), before it is signed. It
 * says what the paper certificate says: who, what, which competencies, when
 * issued and until when, and by which partnership; the status entry lets a
 * verifier see a revocation or a reissue without asking us about the person.
 */
export function openBadgeCredential(certificate: Certificate, publicUrl: string, status: StatusEntry): Record<string, unknown> {
  const urls = credentialUrls(publicUrl);
  const statusList = urls.statusList(status.listNumber);
  const isCourse = certificate.kind === 'course';
  const achievementId = isCourse && certificate.courseId ? `urn:uuid:${certificate.courseId}` : `${urls.framework}#group-${certificate.groupNumber}`;
  const description = isCourse
    ? `Completed the course "${certificate.achievement}", part of the ${certificate.partnershipName} training programme.`
    : `Evidenced every competency of staff group ${certificate.groupNumber} in the ${certificate.partnershipName} learning development framework.`;
  return {
    '@context': [VC_V2_CONTEXT, OB_V3_CONTEXT],
    id: `urn:uuid:${certificate.id}`,
    type: ['VerifiableCredential', 'OpenBadgeCredential'],
    name: certificate.achievement,
    issuer: { id: urls.issuer, type: ['Profile'], name: certificate.partnershipName, url: publicUrl },
    ...validityOf(certificate),
    credentialSubject: {
      type: ['AchievementSubject'],
      // The learner is named as on the paper certificate; they have no identifier of their own outside this service.
      identifier: [{ type: 'IdentityObject', identityType: 'name', hashed: false, identityHash: certificate.personName }],
      achievement: {
        id: achievementId,
        type: ['Achievement'],
        achievementType: isCourse ? 'Course' : 'Certificate',
        name: certificate.achievement,
        description,
        criteria: {
          narrative: isCourse
            ? 'Complete the course, and any assessment it includes, as recorded by the partnership.'
            : `Hold current evidence for every competency that staff group ${certificate.groupNumber} needs.`,
        },
        alignment: certificate.competencies.map((c) => ({
          type: ['Alignment'],
          targetName: `Group ${c.groupNumber} competency ${c.number}`,
          targetDescription: c.text,
          targetUrl: `${urls.framework}#group-${c.groupNumber}-competency-${c.number}`,
          targetType: 'ext:LearningDevelopmentFrameworkCompetency',
        })),
      },
    },
    credentialStatus: {
      id: `${statusList}#${status.listIndex}`,
      type: 'BitstringStatusListEntry',
      statusPurpose: 'revocation',
      statusListIndex: String(status.listIndex),
      statusListCredential: statusList,
    },
  };
}
