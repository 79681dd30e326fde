import { createPrivateKey, X509Certificate } from 'node:crypto';
import { expect } from 'chai';
import { emailWithinDomains } from './provision';
import { explainValidationError, personFromProfile, precheck, responseShape, splitCertificates, usesSha1 } from './saml';
import { generateSpKey } from './sp-keys';
import type { IdentityProvider } from './store';

const NAMES = { email: 'mail', givenName: 'given', surname: 'sn', displayName: 'display', jobTitle: 'title', team: 'dept', staffNumber: 'empid' };

describe('reading a person from a verified assertion', () => {
  it('uses the organisation’s attribute names and lower-cases the email', () => {
    const person = personFromProfile(
      { mail: 'Sam.Jones@ValeCounty.example', given: 'Sam', sn: 'Jones', title: ['Housing Officer'], dept: 'Housing', empid: 'E1' },
      NAMES,
    );
    expect(person).to.deep.equal({ email: 'sam.jones@valecounty.example', name: 'Sam Jones', jobTitle: 'Housing Officer', team: 'Housing', staffNumber: 'E1' });
  });

  it('prefers the display name, falls back to an email-shaped NameID, and refuses a person with no email', () => {
    expect(personFromProfile({ nameID: 'sam@vale.example', display: 'Sam J' }, NAMES)).to.include({
      email: 'sam@vale.example',
      name: 'Sam J',
      staffNumber: null,
    });
    expect(personFromProfile({ nameID: 'opaque-id-123' }, NAMES)).to.have.property('problem');
  });

  it('splits pasted certificates for rollover, PEM or bare base64', () => {
    const pem = (body: string) => `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----`;
    expect(splitCertificates(`${pem('AAAA')}\n\n${pem('BBBB')}`)).to.have.length(2);
    expect(splitCertificates('  MIIB AAAA\nBBBB ')).to.deep.equal(['MIIBAAAABBBB']);
    expect(splitCertificates('   ')).to.deep.equal([]);
  });
});

describe('SAML response checks before any cryptography', () => {
  const provider = (over: Partial<IdentityProvider> = {}): IdentityProvider => ({
    organisationId: 'o',
    slug: 's',
    organisationName: 'Vale County Council',
    emailDomains: ['valecounty.example'],
    enabled: true,
    idpEntryPoint: 'https://idp.example/sso',
    idpEntityId: 'urn:idp',
    idpCertificates: [],
    spEntityId: null,
    attributes: { email: 'e', givenName: 'g', surname: 's', displayName: 'd', jobTitle: 'j', team: 't', staffNumber: 'n' },
    signingRequired: 'either',
    allowIdpInitiated: false,
    subjectAttribute: '',
    metadataUrl: null,
    metadataRefreshedAt: null,
    metadataProblem: null,
    idpLogoutUrl: null,
    ...over,
  });
  const sig = (alg = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256') =>
    `<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:SignatureMethod Algorithm="${alg}"/></ds:SignedInfo></ds:Signature>`;
  const response = (opts: { responseSig?: string; assertionSig?: string; inResponseTo?: boolean }) =>
    Buffer.from(
      `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r"${opts.inResponseTo === false ? '' : ' InResponseTo="_q"'} Destination="https://sp/acs"><saml:Issuer>urn:idp</saml:Issuer>${opts.responseSig ?? ''}<saml:Assertion ID="_a"><saml:Issuer>urn:idp</saml:Issuer>${opts.assertionSig ?? ''}</saml:Assertion></samlp:Response>`,
    ).toString('base64');

  it('reads which parts are signed, the Destination and the Issuer', () => {
    const shape = responseShape(response({ responseSig: sig() }));
    expect(shape).to.include({
      isResponse: true,
      responseSigned: true,
      assertionSigned: false,
      encrypted: false,
      inResponseTo: '_q',
      destination: 'https://sp/acs',
      issuer: 'urn:idp',
      sha1: false,
    });
  });

  it('refuses SHA-1 whichever part it signs', () => {
    expect(usesSha1('<ds:DigestMethod Algorithm="http://www.w3.org/2000/09/xmldsig#sha1"/>')).to.equal(true);
    // RSA-OAEP's digest in an encrypted key (Entra ID's and ADFS's default) is no signature.
    const oaep =
      '<xenc:EncryptedKey><xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"><ds:DigestMethod Algorithm="http://www.w3.org/2000/09/xmldsig#sha1"/></xenc:EncryptionMethod></xenc:EncryptedKey>';
    expect(usesSha1(`${oaep}<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>`)).to.equal(false);
    expect(precheck(responseShape(response({ assertionSig: sig('http://www.w3.org/2000/09/xmldsig#rsa-sha1') })), provider())?.reason).to.match(/SHA-1/);
  });

  it('says what was signed and what the setting requires', () => {
    expect(precheck(responseShape(response({ assertionSig: sig() })), provider({ signingRequired: 'response' }))?.reason).to.equal(
      'the identity provider signed the assertion only, but this organisation is set to require the response to be signed',
    );
    expect(precheck(responseShape(response({ responseSig: sig() })), provider({ signingRequired: 'either' }))).to.equal(undefined);
    expect(precheck(responseShape(response({})), provider())?.reason).to.equal('neither the response nor the assertion is signed');
  });

  it('takes an assertion encrypted to a key this service does not hold for a set-up problem, not a forgery', () => {
    const encrypted = { ...responseShape(response({ responseSig: sig() })), encrypted: true };
    expect(explainValidationError('error:02000079:rsa routines::oaep decoding error', encrypted, provider())).to.include({ kind: 'configuration' });
  });

  it('refuses an unsolicited response unless IdP-initiated sign-in is on', () => {
    const unsolicited = responseShape(response({ responseSig: sig(), inResponseTo: false }));
    expect(precheck(unsolicited, provider())?.kind).to.equal('idp-initiated-off');
    expect(precheck(unsolicited, provider({ allowIdpInitiated: true }))).to.equal(undefined);
  });

  it('treats an organisation without email domains as having none of anyone’s addresses', () => {
    expect(emailWithinDomains('admin@vale-partnership.example', [])).to.equal(false);
    expect(emailWithinDomains('a@housing.valecounty.example', ['valecounty.example'])).to.equal(true);
    expect(emailWithinDomains('a@evilvalecounty.example', ['valecounty.example'])).to.equal(false);
  });

  it('makes its own key with a certificate any IdP can read', () => {
    const { privateKey, certificate } = generateSpKey('SAML service provider');
    const x = new X509Certificate(certificate);
    expect(x.subject).to.contain('SAML service provider');
    expect(x.checkPrivateKey(createPrivateKey(privateKey))).to.equal(true);
    expect(x.verify(x.publicKey)).to.equal(true);
  });
});
