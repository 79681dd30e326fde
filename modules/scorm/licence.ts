import type { Pool } from 'pg';

export interface LaunchDecision {
  allowed: boolean;
  reason?: string;
}

type LicenceCheck = (pool: Pool, organisationId: string) => Promise<unknown> | unknown;

/**
 * The hook where e-learning launches ask whether the learner's organisation
 * still holds a licence. When modules/organisations/licences.ts exports
 * `canLaunchElearning(pool, organisationId)` it is used; until then every
 * launch is allowed. Its answer may be a boolean or { allowed | ok, reason }.
 */
export async function checkElearningLicence(pool: Pool, organisationIds: string[]): Promise<LaunchDecision> {
  let check: LicenceCheck | undefined;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    check = (require('../organisations/licences') as { canLaunchElearning?: LicenceCheck }).canLaunchElearning;
  } catch {
    check = undefined;
  }
  if (typeof check !== 'function' || organisationIds.length === 0) return { allowed: true };
  let lastReason: string | undefined;
  for (const organisationId of organisationIds) {
    const answer = await check(pool, organisationId);
    if (typeof answer === 'boolean') {
      if (answer) return { allowed: true };
      continue;
    }
    const a = (answer ?? {}) as { allowed?: boolean; ok?: boolean; reason?: string; message?: string };
    if (a.allowed ?? a.ok) return { allowed: true };
    lastReason = a.reason ?? a.message;
  }
  return { allowed: false, reason: lastReason };
}
