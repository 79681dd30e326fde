import type { Caller } from '../../server/access';

/** A member of the public: a learner with no organisation and no staff record. They see public courses only. */
export function isPublicMember(c: Caller): boolean {
  return c.staffIds.length === 0 && c.grants.every((g) => g.role === 'learner' && !g.organisationId);
}
