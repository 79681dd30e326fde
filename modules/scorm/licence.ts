import type { Pool } from 'pg';
import { canLaunchElearning } from '../organisations/api';

export interface LaunchDecision {
  allowed: boolean;
  reason?: string;
}

/**
 * Whether a learner may start e-learning: allowed when any organisation they
 * work for may launch it (in the partnership's area, or holding a licence in
 * force); members of the public have no organisation and are not gated.
 */
export async function checkElearningLicence(pool: Pool, organisationIds: string[]): Promise<LaunchDecision> {
  if (organisationIds.length === 0) return { allowed: true };
  let reason: string | undefined;
  for (const organisationId of organisationIds) {
    const answer = await canLaunchElearning(pool, organisationId);
    if (answer.allowed) return { allowed: true };
    reason = answer.reason;
  }
  return { allowed: false, reason };
}
