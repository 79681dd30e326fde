import { londonToday } from '../../server/london';
import { addMonths } from '../compliance/api';
import { refresherMonthsFor } from '../organisations/api';
import type { Certificate } from './store';

export { addMonths };

/** Today's date in England, where the partnership works. */
export const todayInLondon = londonToday;

/**
 * When a certificate stops being current: the course's own validity when it
 * has one, otherwise the organisation's refresher interval for the person's
 * staff group, read the way the compliance engine reads it (36 months when
 * the organisation has not set one), so a certificate never claims more or
 * less than the person's compliance record.
 */
export function expiryFor(
  issuedOn: string,
  options: { courseValidityMonths?: number | null; refresherMonths: Record<string, number>; groupNumber: number | null },
): string {
  return addMonths(issuedOn, options.courseValidityMonths ?? refresherMonthsFor(options.refresherMonths, options.groupNumber));
}

export type VerificationOutcome = 'valid' | 'expired' | 'revoked' | 'not-found' | 'typo' | 'malformed';

/** The only facts a verifier sees: enough to compare with the paper, nothing more. */
export interface PublicCertificate {
  name: string;
  achievement: string;
  issuedOn: string;
  expiresOn: string | null;
  issuedBy: string;
}

export interface Verification {
  outcome: VerificationOutcome;
  certificate?: PublicCertificate;
}

export function verificationOf(certificate: Certificate | undefined, today: string): Verification {
  if (!certificate) return { outcome: 'not-found' };
  const outcome: VerificationOutcome =
    certificate.status === 'revoked' ? 'revoked' : certificate.expiresOn !== null && certificate.expiresOn < today ? 'expired' : 'valid';
  return {
    outcome,
    certificate: {
      name: certificate.personName,
      achievement: certificate.achievement,
      issuedOn: certificate.issuedOn,
      expiresOn: certificate.expiresOn,
      issuedBy: certificate.partnershipName,
    },
  };
}

/** How a certificate stands for its holder and their lead (the same words the verification page uses). */
export function statusOf(certificate: Certificate, today: string): 'valid' | 'expired' | 'revoked' {
  return verificationOf(certificate, today).outcome as 'valid' | 'expired' | 'revoked';
}

export function frameworkAchievement(group: { number: number; level: string }): string {
  return `Group ${group.number} ${group.level} level`;
}
