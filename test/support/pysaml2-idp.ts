import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { type KeyPair, makeKeyPair } from './saml-keys';

/**
 * An independent SAML identity provider for tests: pysaml2 (Debian's
 * python3-pysaml2, signing and encryption through xmlsec1) run from
 * test/support/pysaml2-idp.py on a random loopback port. It shares no code
 * with the product or with node-saml, so a test sees what another
 * implementation really sends. Usable from Chromium (its sign-in endpoint
 * answers with the auto-posting form) and from an HTTP client (`respond`,
 * `unsolicited`).
 */

/** A fresh RSA key and self-signed certificate (PEM), as an IdP or SP would hold. */
function freshKeyPair(name: string): KeyPair {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'saml-keys-'));
  try {
    return makeKeyPair(dir, name);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A free loopback port, so a test server can be started with PUBLIC_URL equal
 * to its real address: the ACS URL it sends to the IdP is then one a browser
 * can post to, and Destination/Recipient checks see the true address.
 */
export async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

export interface SamlAttribute {
  name: string;
  nameFormat?: string;
  friendlyName?: string;
  values: string[];
}

export const NAME_FORMAT_URI = 'urn:oasis:names:tc:SAML:2.0:attrname-format:uri';
export const NAME_FORMAT_BASIC = 'urn:oasis:names:tc:SAML:2.0:attrname-format:basic';
export const NAMEID_EMAIL = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';
export const NAMEID_PERSISTENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent';

export interface PersonClaims {
  email: string;
  givenName?: string;
  surname?: string;
  displayName?: string;
  jobTitle?: string;
  team?: string;
  staffNumber?: string;
}

/** The attribute names each kind of IdP sends by default. */
export type AttributeStyle = 'entra' | 'adfs' | 'oid' | 'google' | 'friendly';

type Names = Record<keyof PersonClaims, { name: string; friendly?: string }>;

const ENTRA: Names = {
  email: { name: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress' },
  givenName: { name: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname' },
  surname: { name: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname' },
  displayName: { name: 'http://schemas.microsoft.com/identity/claims/displayname' },
  jobTitle: { name: 'jobtitle' },
  team: { name: 'department' },
  staffNumber: { name: 'employeeid' },
};

const FRIENDLY: Names = {
  email: { name: 'email' },
  givenName: { name: 'firstName' },
  surname: { name: 'lastName' },
  displayName: { name: 'displayName' },
  jobTitle: { name: 'jobTitle' },
  team: { name: 'department' },
  staffNumber: { name: 'employeeNumber' },
};

const NAMES: Record<AttributeStyle, Names> = {
  entra: ENTRA,
  // ADFS's "Send LDAP Attributes as Claims" rule, as docs/sso/adfs.md sets it up: Display-Name goes out as the Name claim.
  adfs: { ...ENTRA, displayName: { name: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name' } },
  // Google Workspace's custom SAML app: the App attribute names typed in its attribute mapping (docs/sso/google-workspace.md).
  google: { ...FRIENDLY, staffNumber: { name: 'employeeId' } },
  // Shibboleth and LDAP directories: eduPerson / inetOrgPerson OIDs with FriendlyName.
  oid: {
    email: { name: 'urn:oid:0.9.2342.19200300.100.1.3', friendly: 'mail' },
    givenName: { name: 'urn:oid:2.5.4.42', friendly: 'givenName' },
    surname: { name: 'urn:oid:2.5.4.4', friendly: 'sn' },
    displayName: { name: 'urn:oid:2.16.840.1.113730.3.1.241', friendly: 'displayName' },
    jobTitle: { name: 'urn:oid:2.5.4.12', friendly: 'title' },
    team: { name: 'urn:oid:2.5.4.11', friendly: 'ou' },
    staffNumber: { name: 'urn:oid:2.16.840.1.113730.3.1.3', friendly: 'employeeNumber' },
  },
  friendly: FRIENDLY,
};

/** A person's claims as a given kind of IdP would name them. */
export function attributesFor(person: PersonClaims, style: AttributeStyle = 'entra'): SamlAttribute[] {
  const out: SamlAttribute[] = [];
  for (const [key, value] of Object.entries(person) as [keyof PersonClaims, string | undefined][]) {
    if (!value) continue;
    const n = NAMES[style][key];
    out.push({
      name: n.name,
      friendlyName: n.friendly,
      nameFormat: style === 'friendly' || style === 'google' ? NAME_FORMAT_BASIC : NAME_FORMAT_URI,
      values: [value],
    });
  }
  return out;
}

/** How the IdP makes its next responses (until changed). Fields left out take the defaults. */
export interface IdpMode {
  /** default true */
  signResponse?: boolean;
  /** default true */
  signAssertion?: boolean;
  /** default sha256 */
  algorithm?: 'sha1' | 'sha256';
  /** Encrypt the assertion to this certificate (PEM), as the SP's metadata publishes it. */
  encryptTo?: string;
  /** default aes256-cbc, as Entra ID and ADFS */
  blockCipher?: 'aes256-cbc' | 'aes128-cbc' | 'aes128-gcm' | 'aes256-gcm' | 'tripledes-cbc';
  attributes?: SamlAttribute[];
  nameId?: { value: string; format?: string };
  /** Forgeries made before signing, so only the product's own checks can catch them. */
  issuer?: string;
  destination?: string;
  recipient?: string;
  audience?: string;
  inResponseTo?: string;
  /** The SP's signing certificate (PEM, from its metadata): LogoutRequests must be signed by it. */
  spSigningCert?: string;
  /** Where the IdP sends its LogoutResponse, and its own LogoutRequests (the SP's single logout URL). */
  spSloUrl?: string;
  /** A certificate rollover announced: the metadata lists the next signing certificate beside the current one. */
  publishNext?: boolean;
  /** The rollover done: responses and logout messages are signed with the next key. */
  signWithNext?: boolean;
}

export interface PostedResponse {
  action: string;
  SAMLResponse: string;
  RelayState: string;
}

export interface Pysaml2Idp {
  entityId: string;
  /** http://127.0.0.1:PORT */
  url: string;
  /** The HTTP-Redirect sign-in URL an administrator would enter. */
  ssoUrl: string;
  metadataUrl: string;
  /** The HTTP-Redirect single logout URL: it refuses a LogoutRequest not signed by the mode's spSigningCert. */
  sloUrl: string;
  keys: KeyPair;
  /** The key a certificate rollover moves to (see IdpMode.publishNext, signWithNext). */
  nextKeys: KeyPair;
  metadata(): Promise<string>;
  setMode(mode: IdpMode): Promise<void>;
  /** For an HTTP client: answers the AuthnRequest in a redirect URL the product gave, as the form fields. */
  respond(redirectUrl: string): Promise<PostedResponse>;
  /** An IdP-initiated (unsolicited) response to an SP's ACS, as the form fields. */
  unsolicited(acs: string, spEntityId: string, relayState?: string): Promise<PostedResponse>;
  /** The URL a browser opens for an IdP-initiated sign-in (an "app tile"): it auto-posts to the ACS. */
  unsolicitedUrl(acs: string, spEntityId: string, relayState?: string): string;
  /** The last AuthnRequest the IdP received. */
  lastRequest(): Promise<{ id: string; issuer: string; acs: string; destination: string; relay_state: string | null } | null>;
  /**
   * For an HTTP client: hands the IdP a LogoutRequest redirect URL the product
   * gave; the signed LogoutResponse redirect back to the SP, or why it was refused.
   */
  logout(redirectUrl: string): Promise<{ status: number; location?: string; error?: string }>;
  lastLogout(): Promise<{ id: string; issuer: string; name_id: string; session_index: string[]; destination: string } | null>;
  /** The URL a browser opens to sign out at the IdP: it redirects to the mode's spSloUrl with a signed LogoutRequest for this NameID. */
  signOutAtIdpUrl(nameId: string, spEntityId: string, nameIdFormat?: string): string;
  /** The last LogoutResponse an SP sent back to a logout this IdP started. */
  lastLogoutResponse(): Promise<{ in_response_to: string; issuer: string; status: string; signed: boolean } | null>;
  close(): Promise<void>;
}

export const PYSAML2_SCRIPT = path.join(__dirname, 'pysaml2-idp.py');

export async function startPysaml2Idp(options: { entityId?: string; keys?: KeyPair } = {}): Promise<Pysaml2Idp> {
  const entityId = options.entityId ?? `urn:test:pysaml2-idp:${process.pid}:${Date.now()}`;
  const keys = options.keys ?? freshKeyPair('pysaml2-idp');
  const nextKeys = freshKeyPair('pysaml2-idp-next');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pysaml2-idp-'));
  const files: Record<string, string> = { 'key.pem': keys.key, 'cert.pem': keys.cert, 'next-key.pem': nextKeys.key, 'next-cert.pem': nextKeys.cert };
  for (const [name, pem] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), pem, { mode: 0o600 });
  const args = ['--entity-id', entityId, '--key', 'key.pem', '--cert', 'cert.pem', '--next-key', 'next-key.pem', '--next-cert', 'next-cert.pem'];
  const child: ChildProcess = spawn('/usr/bin/python3', [PYSAML2_SCRIPT, ...args.map((a) => (a.endsWith('.pem') ? path.join(dir, a) : a))], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const port = await new Promise<number>((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.once('line', (line) => {
      try {
        resolve((JSON.parse(line) as { port: number }).port);
      } catch {
        reject(new Error(`pysaml2 IdP did not start: ${line}\n${stderr}`));
      }
    });
    child.once('exit', (code) => reject(new Error(`pysaml2 IdP exited (${code}): ${stderr}`)));
  });
  const url = `http://127.0.0.1:${port}`;

  async function call(pathAndQuery: string, init?: RequestInit): Promise<Response> {
    const res = await fetch(`${url}${pathAndQuery}`, init);
    if (res.status >= 400) throw new Error(`pysaml2 IdP ${pathAndQuery.split('?')[0]} answered ${res.status}: ${await res.text()}`);
    return res;
  }
  const asJson = { headers: { accept: 'application/json' } };

  return {
    entityId,
    url,
    ssoUrl: `${url}/sso/redirect`,
    metadataUrl: `${url}/metadata`,
    sloUrl: `${url}/slo/redirect`,
    keys,
    nextKeys,
    metadata: async () => (await call('/metadata')).text(),
    async setMode(mode) {
      const body = {
        sign_response: mode.signResponse ?? true,
        sign_assertion: mode.signAssertion ?? true,
        alg: mode.algorithm ?? 'sha256',
        encrypt: Boolean(mode.encryptTo),
        encrypt_cert: mode.encryptTo ?? null,
        block_cipher: mode.blockCipher ?? 'aes256-cbc',
        attributes: (mode.attributes ?? []).map((a) => ({ name: a.name, name_format: a.nameFormat, friendly_name: a.friendlyName, values: a.values })),
        name_id: mode.nameId ? { text: mode.nameId.value, format: mode.nameId.format } : null,
        issuer: mode.issuer ?? null,
        destination: mode.destination ?? null,
        recipient: mode.recipient ?? null,
        audience: mode.audience ?? null,
        in_response_to: mode.inResponseTo ?? null,
        sp_signing_cert: mode.spSigningCert ?? null,
        sp_slo_url: mode.spSloUrl ?? null,
        publish_next: mode.publishNext ?? false,
        sign_with_next: mode.signWithNext ?? false,
      };
      await call('/mode', { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    },
    async respond(redirectUrl) {
      const target = new URL(redirectUrl);
      if (`${target.origin}${target.pathname}` !== `${url}/sso/redirect`) throw new Error(`not this IdP's sign-in URL: ${redirectUrl}`);
      return (await call(`/sso/redirect${target.search}`, asJson)).json() as Promise<PostedResponse>;
    },
    async unsolicited(acs, spEntityId, relayState = '') {
      const q = new URLSearchParams({ acs, sp: spEntityId, relay_state: relayState });
      return (await call(`/unsolicited?${q}`, asJson)).json() as Promise<PostedResponse>;
    },
    unsolicitedUrl(acs, spEntityId, relayState = '') {
      return `${url}/unsolicited?${new URLSearchParams({ acs, sp: spEntityId, relay_state: relayState })}`;
    },
    lastRequest: async () => (await call('/last')).json(),
    async logout(redirectUrl) {
      const target = new URL(redirectUrl);
      if (`${target.origin}${target.pathname}` !== `${url}/slo/redirect`) throw new Error(`not this IdP's logout URL: ${redirectUrl}`);
      const res = await fetch(`${url}/slo/redirect${target.search}`, asJson);
      const text = await res.text();
      if (res.status >= 500) throw new Error(`pysaml2 IdP /slo/redirect answered ${res.status}: ${text}`);
      return { status: res.status, ...(JSON.parse(text) as { location?: string; error?: string }) };
    },
    lastLogout: async () => (await call('/last-logout')).json(),
    signOutAtIdpUrl(nameId, spEntityId, nameIdFormat = NAMEID_EMAIL) {
      return `${url}/slo/initiate?${new URLSearchParams({ name_id: nameId, name_id_format: nameIdFormat, sp: spEntityId })}`;
    },
    lastLogoutResponse: async () => (await call('/last-logout-response')).json(),
    async close() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
