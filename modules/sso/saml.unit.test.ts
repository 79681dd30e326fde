import { expect } from 'chai';
import { personFromProfile, splitCertificates } from './saml';

const NAMES = { email: 'mail', givenName: 'given', surname: 'sn', displayName: 'display', jobTitle: 'title', team: 'dept', staffNumber: 'empid' };

describe('reading a person from a verified assertion', () => {
  it('uses the organisation’s attribute names and lower-cases the email', () => {
    const person = personFromProfile({ mail: 'Sam.Jones@ValeCounty.example', given: 'Sam', sn: 'Jones', title: ['Housing Officer'], dept: 'Housing', empid: 'E1' }, NAMES);
    expect(person).to.deep.equal({ email: 'sam.jones@valecounty.example', name: 'Sam Jones', jobTitle: 'Housing Officer', team: 'Housing', staffNumber: 'E1' });
  });

  it('prefers the display name, falls back to an email-shaped NameID, and refuses a person with no email', () => {
    expect(personFromProfile({ nameID: 'sam@vale.example', display: 'Sam J' }, NAMES)).to.include({ email: 'sam@vale.example', name: 'Sam J', staffNumber: null });
    expect(personFromProfile({ nameID: 'opaque-id-123' }, NAMES)).to.have.property('problem');
  });

  it('splits pasted certificates for rollover, PEM or bare base64', () => {
    const pem = (body: string) => `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----`;
    expect(splitCertificates(`${pem('AAAA')}\n\n${pem('BBBB')}`)).to.have.length(2);
    expect(splitCertificates('  MIIB AAAA\nBBBB ')).to.deep.equal(['MIIBAAAABBBB']);
    expect(splitCertificates('   ')).to.deep.equal([]);
  });
});
