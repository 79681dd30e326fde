import { expect } from 'chai';
import type { Caller, Role } from '../../server/access';
import { checkInvitation, checkRoleGrant, invitableRoles } from './rules';

const ORG_A = '00000000-0000-4000-8000-00000000000a';
const ORG_B = '00000000-0000-4000-8000-00000000000b';

function callerWith(role: Role, organisationId: string | null = null): Caller {
  return { userId: 'u', email: 'u@example.org', name: 'U', grants: [{ role, organisationId }], staffIds: [], staffOrganisationIds: [], via: 'session' };
}

describe('who may invite whom', () => {
  const form = { name: 'Nia Volunteer', email: 'nia@example.org', role: 'learner', organisationId: ORG_A };

  it('lets an organisational lead invite learners into their own organisation and nowhere else', () => {
    const lead = callerWith('org-lead', ORG_A);
    expect(invitableRoles(lead)).to.deep.equal(['learner']);
    expect(checkInvitation(lead, form)).to.include({ outOfScope: false, role: 'learner', organisationId: ORG_A });
    expect(checkInvitation(lead, form).errors).to.deep.equal([]);
    expect(checkInvitation(lead, { ...form, organisationId: ORG_B }).outOfScope).to.equal(true);
    expect(checkInvitation(lead, { ...form, role: 'partnership-admin' }).errors.map((e) => e.href)).to.deep.equal(['#role']);
    expect(checkInvitation(lead, { ...form, organisationId: '' }).errors.map((e) => e.href)).to.include('#organisationId');
  });

  it('lets an administrator invite any role, partnership-wide roles without an organisation', () => {
    const admin = callerWith('partnership-admin');
    expect(checkInvitation(admin, { ...form, role: 'board-member', organisationId: '' }).errors).to.deep.equal([]);
    expect(checkInvitation(admin, { ...form, role: 'org-lead', organisationId: '' }).errors.map((e) => e.href)).to.deep.equal(['#organisationId']);
    expect(checkInvitation(admin, { ...form, organisationId: ORG_B }).outOfScope).to.equal(false);
  });

  it('gives nobody else the right to invite', () => {
    for (const role of ['learner', 'trainer', 'board-member'] as Role[]) {
      expect(invitableRoles(callerWith(role, ORG_A))).to.deep.equal([]);
      const checked = checkInvitation(callerWith(role, ORG_A), form);
      expect(checked.outOfScope || checked.errors.some((e) => e.href === '#role'), role).to.equal(true);
    }
  });

  it('ties an organisational lead to an organisation and keeps partnership roles partnership-wide', () => {
    expect(checkRoleGrant('org-lead', '').errors).to.have.length(1);
    expect(checkRoleGrant('org-lead', ORG_A)).to.deep.include({ role: 'org-lead', organisationId: ORG_A });
    expect(checkRoleGrant('partnership-admin', ORG_A)).to.deep.include({ role: 'partnership-admin', organisationId: null });
    expect(checkRoleGrant('superuser', '').errors.map((e) => e.href)).to.deep.equal(['#role']);
  });
});
