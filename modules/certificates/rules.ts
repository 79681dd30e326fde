import { DateTime } from 'luxon';
import type { Certificate } from './store';

/** Today's date in England, where the partnership works. */
export function todayInLondon(now: Date = new Date()): string {
  return DateTime.fromJSDate(now).setZone('Europe/London').toISODate()!;
}

export function addMonths(date: string, months: number): string {
  return DateTime.fromISO(date, { zone: 'utc' }).plus({ months }).toISODate()!;
}

/**
 * When a certificate stops being current: the course's own validity when it
 * has one, otherwise the organisation's refresher interval for the person's
 * staff group. No interval known (a person not yet in a group) means no expiry date.
 */
export function expiryFor(issuedOn: string, options: { courseValidityMonths?: number | null; refresherMonths: Record<string, number>; groupNumber: number | null }): string | null {
  const months = options.courseValidityMonths ?? (options.groupNumber !== null ? options.refresherMonths[String(options.groupNumber)] : undefined);
  return typeof months === 'number' && months > 0 ? addMonths(issuedOn, months) : null;
}

/** A group and every group it includes, through includes_groups, as the framework describes (Group 3 needs Groups 1 and 2). */
export function groupsRequired(groups: { number: number; includesGroups: number[] }[], groupNumber: number): number[] {
  const byNumber = new Map(groups.map((g) => [g.number, g]));
  const seen = new Set<number>();
  const visit = (n: number) => {
    if (seen.has(n) || !byNumber.has(n)) return;
    seen.add(n);
    for (const inc of byNumber.get(n)!.includesGroups) visit(inc);
  };
  visit(groupNumber);
  return [...seen].sort((a, b) => a - b);
}

/**
 * Whether evidence achieved on `achievedOn` is still current on `today`,
 * given the refresher interval in months (none: it never lapses).
 */
export function evidenceIsCurrent(achievedOn: string, today: string, refresherMonths: number | undefined): boolean {
  if (achievedOn > today) return false;
  if (!refresherMonths) return true;
  return addMonths(achievedOn, refresherMonths) >= today;
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
