import { type Caller, hasRole, isRole, managedScope, type Role, ROLE_NAMES, ROLES, scopeIncludes } from '../../server/access';
import { passwordProblem } from '../../server/auth/passwords';

export type FieldError = { text: string; href: string };

/** Roles that are always tied to one organisation. */
export const ORGANISATION_ROLES: readonly Role[] = ['org-lead', 'learner'];

/** Which roles a caller may invite people into: administrators any, organisational leads learners only. */
export function invitableRoles(caller: Caller): Role[] {
  if (hasRole(caller, 'partnership-admin')) return [...ROLES];
  if (hasRole(caller, 'org-lead')) return ['learner'];
  return [];
}

export interface InvitationForm {
  name: string;
  email: string;
  role: string;
  organisationId: string;
}

/**
 * Checks an invitation. `outOfScope` means the organisation is one the caller
 * may not manage: the route answers 404, as for any id it may not see.
 */
export function checkInvitation(
  caller: Caller,
  form: InvitationForm,
): { errors: FieldError[]; outOfScope: boolean; role?: Role; organisationId: string | null } {
  const errors: FieldError[] = [];
  const organisationId = form.organisationId || null;
  if (organisationId && !scopeIncludes(managedScope(caller), organisationId)) return { errors, outOfScope: true, organisationId };
  if (!form.name.trim()) errors.push({ text: 'Enter the person’s full name', href: '#name' });
  else if (form.name.length > 200) errors.push({ text: 'Name must be 200 characters or fewer', href: '#name' });
  if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(form.email.trim()))
    errors.push({ text: 'Enter an email address in the correct format, like name@example.org.uk', href: '#email' });
  const allowed = invitableRoles(caller);
  let role: Role | undefined;
  if (!isRole(form.role) || !allowed.includes(form.role)) errors.push({ text: 'Select what the person will do', href: '#role' });
  else role = form.role;
  if (role && ORGANISATION_ROLES.includes(role) && !organisationId)
    errors.push({ text: `Select the organisation the ${ROLE_NAMES[role].toLowerCase()} belongs to`, href: '#organisationId' });
  if (!hasRole(caller, 'partnership-admin') && !organisationId) errors.push({ text: 'Select the organisation the person works for', href: '#organisationId' });
  return { errors, outOfScope: false, role, organisationId };
}

/** A new password and its confirmation, by the NCSC rules in server/auth/passwords.ts. */
export function checkNewPassword(password: string, confirm: string, email: string): FieldError[] {
  const problem = passwordProblem(password, email);
  if (problem) return [{ text: problem, href: '#password' }];
  if (password !== confirm) return [{ text: 'The passwords do not match', href: '#confirm' }];
  return [];
}

/** A role grant by an administrator: org-lead needs an organisation, partnership-wide roles take none. */
export function checkRoleGrant(role: string, organisationId: string): { errors: FieldError[]; role?: Role; organisationId: string | null } {
  if (!isRole(role)) return { errors: [{ text: 'Select a role', href: '#role' }], organisationId: null };
  if (role === 'org-lead' && !organisationId)
    return { errors: [{ text: 'Select the organisation the organisational lead is for', href: '#organisationId' }], organisationId: null };
  const orgId = role === 'org-lead' || role === 'trainer' || role === 'learner' ? organisationId || null : null;
  return { errors: [], role, organisationId: orgId };
}
