import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ATTRIBUTE_PRESETS, attributeValue, presetFor, receivedAttributes } from './attributes';
import { fetchMetadata, MetadataError, metadataUrlProblem, parseIdpMetadata, postBindingHint } from './metadata';
import { formFromBody, validateProviderForm } from './routes';
import { personFromProfile } from './saml';

// node-saml's own XML reading, so the attributes are shaped as after a real validation.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { parseXml2JsFromString } = require('@node-saml/node-saml/lib/xml') as { parseXml2JsFromString(xml: string): Promise<unknown> };

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sso-unit-'));
execFileSync(
  'openssl',
  ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(tmp, 'k'), '-out', path.join(tmp, 'c'), '-days', '2', '-subj', '/CN=unit'],
  { stdio: 'ignore' },
);
const CERT = fs
  .readFileSync(path.join(tmp, 'c'), 'utf8')
  .replace(/-----[^-]+-----/g, '')
  .replace(/\s+/g, '');
fs.rmSync(tmp, { recursive: true, force: true });

const key = (use?: string) =>
  `<KeyDescriptor${use ? ` use="${use}"` : ''}><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>${CERT}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></KeyDescriptor>`;
const idp = (entityId: string, inner: string) =>
  `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="${entityId}"><IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">${inner}</IDPSSODescriptor></EntityDescriptor>`;
const REDIRECT = '<SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example/sso"/>';
const POST = '<SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://idp.example/idp/profile/SAML2/POST/SSO"/>';

async function expectRejection(promise: Promise<unknown>, message: RegExp): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: Error) => e,
  );
  expect(err, 'expected a refusal').to.be.instanceOf(MetadataError);
  expect(err?.message).to.match(message);
}

const DOMAINS = ['idp.example'];

describe('reading identity provider metadata', () => {
  it('takes the entity ID, the HTTP-Redirect sign-in and logout URLs and the signing certificates, not the encryption one', () => {
    const md = parseIdpMetadata(
      idp(
        'https://idp.example/idp/shibboleth',
        `${key('signing')}${key('encryption')}<SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example/slo"/>${POST}${REDIRECT}`,
      ),
    );
    expect(md).to.deep.include({
      entityId: 'https://idp.example/idp/shibboleth',
      ssoRedirectUrl: 'https://idp.example/sso',
      sloRedirectUrl: 'https://idp.example/slo',
      signingCertificates: [CERT],
    });
  });

  it('keeps an HTTP-POST-only endpoint aside to explain it, and knows Shibboleth’s POST URL from its Redirect twin', () => {
    const md = parseIdpMetadata(idp('urn:x', `${key()}${POST}`));
    expect(md.ssoRedirectUrl).to.equal(null);
    expect(md.ssoPostUrl).to.contain('/POST/SSO');
    expect(postBindingHint('https://idp.example/idp/profile/SAML2/POST/SSO')).to.equal('https://idp.example/idp/profile/SAML2/Redirect/SSO');
    expect(postBindingHint('https://idp.example/idp/profile/SAML2/Redirect/SSO')).to.equal(undefined);
  });

  it('chooses one identity provider from an aggregate by entity ID, and asks for it when there are several', () => {
    const two = `<EntitiesDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata">${idp('urn:a', key() + REDIRECT)}${idp('urn:b', key() + REDIRECT)}</EntitiesDescriptor>`;
    expect(parseIdpMetadata(two, 'urn:b').entityId).to.equal('urn:b');
    expect(() => parseIdpMetadata(two)).to.throw(MetadataError, /2 identity providers/);
    expect(() => parseIdpMetadata(idp('urn:a', key() + REDIRECT), 'urn:other')).to.throw(MetadataError, /not the identity provider entity ID entered/);
  });

  it('refuses a document type (entity expansion, external entities), non-metadata, SP metadata and metadata without a certificate, each with a reason', () => {
    expect(() => parseIdpMetadata(`<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>${idp('urn:a', '&e;')}`)).to.throw(
      MetadataError,
      /DOCTYPE/,
    );
    expect(() => parseIdpMetadata('-----BEGIN CERTIFICATE-----')).to.throw(MetadataError, /not SAML metadata/);
    expect(() => parseIdpMetadata('<EntityDescriptor entityID="x"><SPSSODescriptor/></EntityDescriptor>')).to.throw(MetadataError, /no identity provider/);
    expect(() => parseIdpMetadata(idp('urn:a', REDIRECT))).to.throw(MetadataError, /no signing certificate/);
    expect(() => parseIdpMetadata(`<EntityDescriptor entityID="x"><IDPSSODescriptor`)).to.throw(MetadataError);
  });

  it('fetches metadata over https only, except from this machine outside production', () => {
    expect(metadataUrlProblem('https://login.microsoftonline.com/x/federationmetadata.xml', true)).to.equal(undefined);
    expect(metadataUrlProblem('http://adfs.council.example/FederationMetadata.xml', false)).to.match(/https/);
    expect(metadataUrlProblem('http://127.0.0.1:8080/metadata', false)).to.equal(undefined);
    expect(metadataUrlProblem('http://127.0.0.1:8080/metadata', true)).to.match(/https/);
    expect(metadataUrlProblem('file:///etc/passwd', false)).to.match(/https/);
    expect(metadataUrlProblem('not a url', false)).to.match(/in full/);
  });

  it('gives up on a metadata URL that does not answer in time, sends too much, or redirects to plain http', async () => {
    const server = http.createServer((req, res) => {
      if (req.url === '/slow') return; // never answers
      if (req.url === '/redirect') {
        res.writeHead(302, { location: 'http://idp.example/metadata' }).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/xml' });
      const chunk = Buffer.alloc(64 * 1024, 'a');
      let sent = 0;
      const pump = () => {
        while (sent < 4 * 1024 * 1024 && res.write(chunk)) sent += chunk.length;
        if (sent < 4 * 1024 * 1024) res.once('drain', pump);
        else res.end();
      };
      pump();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      await expectRejection(fetchMetadata(`${base}/slow`, false, 300), /did not answer within/);
      await expectRejection(fetchMetadata(`${base}/huge`, false), /larger than 2 MB/);
      await expectRejection(fetchMetadata(`${base}/redirect`, false), /redirects to http:\/\/idp\.example\/metadata: the metadata URL must start https/);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});

describe('attribute presets and names', () => {
  const assertion = (attrs: string) =>
    parseXml2JsFromString(
      `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_a"><saml:AttributeStatement>${attrs}</saml:AttributeStatement></saml:Assertion>`,
    );

  it('matches an attribute by its Name or its FriendlyName, as Shibboleth and pysaml2 send them', async () => {
    const received = receivedAttributes(
      await assertion(
        `<saml:Attribute Name="urn:oid:0.9.2342.19200300.100.1.3" FriendlyName="mail"><saml:AttributeValue>Sam@Vale.example</saml:AttributeValue></saml:Attribute>
         <saml:Attribute Name="urn:oid:2.5.4.12" FriendlyName="title"><saml:AttributeValue>Housing Officer</saml:AttributeValue></saml:Attribute>
         <saml:Attribute Name="urn:oid:2.5.4.42" FriendlyName="givenName"><saml:AttributeValue>Sam</saml:AttributeValue></saml:Attribute>`,
      ),
    );
    expect(received[0]).to.deep.equal({ name: 'urn:oid:0.9.2342.19200300.100.1.3', friendlyName: 'mail', values: ['Sam@Vale.example'] });
    expect(attributeValue(received, 'urn:oid:2.5.4.12')).to.equal('Housing Officer');
    expect(attributeValue(received, 'MAIL')).to.equal('Sam@Vale.example');
    const byFriendly = { email: 'mail', givenName: 'givenName', surname: '', displayName: '', jobTitle: 'title', team: '', staffNumber: '' };
    expect(personFromProfile({ nameID: 'opaque' }, byFriendly, received)).to.deep.equal({
      email: 'sam@vale.example',
      name: 'Sam',
      jobTitle: 'Housing Officer',
      team: '',
      staffNumber: null,
    });
    expect(personFromProfile({ nameID: 'opaque' }, ATTRIBUTE_PRESETS.shibboleth.attributes, received)).to.include({
      email: 'sam@vale.example',
      jobTitle: 'Housing Officer',
    });
  });

  it('names the missing email attribute and what was sent instead', async () => {
    const received = receivedAttributes(await assertion(`<saml:Attribute Name="upn"><saml:AttributeValue>x</saml:AttributeValue></saml:Attribute>`));
    const result = personFromProfile({ nameID: 'opaque' }, ATTRIBUTE_PRESETS.entra.attributes, received);
    expect(result).to.have.property('problem').that.contains('"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"').and.contains('upn');
  });

  it('needs only the email attribute; a preset’s names are used as they are', () => {
    const base = { idpEntryPoint: 'https://idp.example/sso', idpEntityId: 'urn:x', certificates: CERT, enabled: 'yes' };
    const custom = formFromBody({ ...base, preset: 'custom', attr_email: 'mail' });
    expect(validateProviderForm(custom, DOMAINS).errors).to.deep.equal([]);
    expect(validateProviderForm(formFromBody({ ...base, preset: 'custom' }), DOMAINS).errors.map((e) => e.href)).to.deep.equal(['#attr_email']);
    const google = formFromBody({ ...base, preset: 'google', attr_email: 'ignored' });
    expect(google.attributes).to.deep.equal(ATTRIBUTE_PRESETS.google.attributes);
    expect(presetFor(google.attributes)).to.equal('google');
  });

  it('reads metadata pasted into the certificate box, and explains an HTTP-POST sign-in URL', () => {
    const form = formFromBody({ preset: 'entra', certificates: idp('urn:pasted', key() + REDIRECT) });
    const { input, errors } = validateProviderForm(form, DOMAINS);
    expect(errors).to.deep.equal([]);
    expect(input).to.include({ idpEntityId: 'urn:pasted', idpEntryPoint: 'https://idp.example/sso' });
    expect(input?.idpCertificates).to.have.length(1);
    const post = validateProviderForm(
      formFromBody({ preset: 'entra', idpEntityId: 'urn:x', certificates: CERT, idpEntryPoint: 'https://idp.example/idp/profile/SAML2/POST/SSO' }),
      DOMAINS,
    );
    expect(post.errors[0].text).to.match(/HTTP-POST endpoint[\s\S]*\/SAML2\/Redirect\/SSO/);
    const postOnly = validateProviderForm(formFromBody({ preset: 'entra', certificates: idp('urn:p', key() + POST) }), DOMAINS);
    expect(postOnly.errors[0].text).to.match(/only by HTTP-POST/);
  });
});
