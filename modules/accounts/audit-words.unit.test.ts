import { expect } from 'chai';
import { auditSentence } from './audit-words';

describe('audit log in words', () => {
  it('writes audit log entries as sentences, and an unknown one still as words', () => {
    expect(auditSentence('staff.group-changed', { from: null, to: 2, source: 'import', reason: null })).to.equal(
      'Staff group set to Group 2 by a staff import',
    );
    expect(auditSentence('staff.group-changed', { from: 1, to: 2, source: 'lead-override', reason: 'Works with victims' })).to.equal(
      'Staff group changed from Group 1 to Group 2 by the organisation’s lead: Works with victims',
    );
    expect(auditSentence('role.granted', { role: 'org-lead', email: 'a@b.example' })).to.equal('Role org-lead given to a@b.example');
    expect(auditSentence('sign-in', { method: 'password' })).to.equal('Signed in with a password');
    expect(auditSentence('certificates.downloaded', { count: 1, team: null })).to.equal('1 certificate downloaded as one zip file');
    expect(auditSentence('passport.accepted', {})).to.equal('Passport: accepted');
  });
});
