import { type Caller, type OrganisationScope, trainingScope } from '../../server/access';

/** The person themself sees their own record; leads their organisation; trainers and admins everyone. */
export function viewScope(c: Caller, staffId: string): OrganisationScope {
  return c.staffIds.includes(staffId) ? { kind: 'all' } : trainingScope(c);
}

/** Who may record sign-off: leads for their organisation, trainers and admins for anyone. */
export function signOffScope(c: Caller): OrganisationScope {
  return trainingScope(c);
}
