import { expect } from 'chai';
import { redactUrl, withoutSecretLinks } from './redact';

describe('secrets in addresses', () => {
  it('takes tokens out of logged addresses and keeps what traces a request', () => {
    expect(redactUrl('/password-reset/abc')).to.equal('/password-reset/[redacted]');
    expect(redactUrl('/password-reset/new')).to.equal('/password-reset/new');
    expect(redactUrl('/invitations/Zx9_yy-abc')).to.equal('/invitations/[redacted]');
    expect(redactUrl('/invitations/accept')).to.equal('/invitations/accept');
    expect(redactUrl('/public-learning/confirm/tok')).to.equal('/public-learning/confirm/[redacted]');
    expect(redactUrl('/sign-in?_csrf=abc&returnTo=%2Fstaff')).to.equal('/sign-in?_csrf=[redacted]&returnTo=%2Fstaff');
    expect(redactUrl('/x?SAMLResponse=PHNhbWw%2B&RelayState=r')).to.equal('/x?SAMLResponse=[redacted]&RelayState=[redacted]');
    expect(redactUrl('/training-sessions/offers/Ab3dEf6hIj9kLm2nOp5qRs8t')).to.equal('/training-sessions/offers/[redacted]');
    expect(redactUrl('/staff/0b0f6a56-1111-4a4a-9b9b-000000000001/evidence')).to.equal('/staff/0b0f6a56-1111-4a4a-9b9b-000000000001/evidence');
    expect(redactUrl('/compliance/vale-county-council/staff?sort=name')).to.equal('/compliance/vale-county-council/staff?sort=name');
  });

  it('withholds secret links in an email shown in the outbox, and leaves others', () => {
    const text = 'Reset: https://lms.example/password-reset/abcdef123\nHelp: https://lms.example/support';
    expect(withoutSecretLinks(text)).to.equal('Reset: [link withheld: only the person it was sent to can use it]\nHelp: https://lms.example/support');
  });
});
