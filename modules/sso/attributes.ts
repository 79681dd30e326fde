import type { AttributeNames } from './store';

/** The attribute names an identity product sends by default (or as its documentation tells admins to set them up). */
export const ATTRIBUTE_PRESETS: Record<string, { label: string; attributes: AttributeNames }> = {
  entra: {
    label: 'Microsoft Entra ID',
    attributes: {
      email: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
      givenName: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname',
      surname: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname',
      displayName: 'http://schemas.microsoft.com/identity/claims/displayname',
      jobTitle: 'jobtitle',
      team: 'department',
      staffNumber: 'employeeid',
    },
  },
  adfs: {
    label: 'ADFS (Active Directory Federation Services)',
    attributes: {
      email: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
      givenName: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname',
      surname: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname',
      displayName: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name',
      jobTitle: 'jobtitle',
      team: 'department',
      staffNumber: 'employeeid',
    },
  },
  shibboleth: {
    // eduPerson / inetOrgPerson as Shibboleth releases them (the SAML2 "urn:oid:" names).
    label: 'Shibboleth or another LDAP directory (urn:oid: names)',
    attributes: {
      email: 'urn:oid:0.9.2342.19200300.100.1.3',
      givenName: 'urn:oid:2.5.4.42',
      surname: 'urn:oid:2.5.4.4',
      displayName: 'urn:oid:2.16.840.1.113730.3.1.241',
      jobTitle: 'urn:oid:2.5.4.12',
      team: 'urn:oid:2.5.4.11',
      staffNumber: 'urn:oid:2.16.840.1.113730.3.1.3',
    },
  },
  google: {
    label: 'Google Workspace',
    attributes: {
      email: 'email',
      givenName: 'firstName',
      surname: 'lastName',
      displayName: '',
      jobTitle: 'jobTitle',
      team: 'department',
      staffNumber: 'employeeId',
    },
  },
};

export const PRESET_NAMES = [...Object.keys(ATTRIBUTE_PRESETS), 'custom'] as const;

/** The preset whose names these are, else 'custom'. */
export function presetFor(attributes: AttributeNames): string {
  for (const [name, preset] of Object.entries(ATTRIBUTE_PRESETS)) {
    if ((Object.keys(preset.attributes) as (keyof AttributeNames)[]).every((k) => preset.attributes[k] === attributes[k])) return name;
  }
  return 'custom';
}

/** One attribute as the IdP sent it in a verified assertion. */
export interface ReceivedAttribute {
  name: string;
  friendlyName: string;
  values: string[];
}

type XmlNode = { $?: Record<string, string>; _?: string; [k: string]: unknown };

function valueText(v: unknown): string {
  if (typeof v === 'string') return v.trim();
  if (v && typeof v === 'object') {
    const node = v as XmlNode;
    if (typeof node._ === 'string') return node._.trim();
    // A NameID-typed value (eduPersonTargetedID) nests its text one level down.
    for (const [k, inner] of Object.entries(node)) if (k !== '$' && Array.isArray(inner)) return valueText(inner[0]);
  }
  return '';
}

/**
 * Every attribute of the verified assertion with its Name and FriendlyName
 * (node-saml's profile keeps only the Name), read from the assertion node-saml
 * has already checked, so nothing here is unsigned.
 */
export function receivedAttributes(assertion: unknown): ReceivedAttribute[] {
  const root = (assertion as { Assertion?: XmlNode } | undefined)?.Assertion;
  if (!root) return [];
  const out: ReceivedAttribute[] = [];
  const statements = Object.entries(root)
    .filter(([k]) => /(^|:)AttributeStatement$/.test(k))
    .flatMap(([, v]) => (Array.isArray(v) ? v : []));
  for (const st of statements as XmlNode[]) {
    const attrs = Object.entries(st)
      .filter(([k]) => /(^|:)Attribute$/.test(k))
      .flatMap(([, v]) => (Array.isArray(v) ? v : []));
    for (const a of attrs as XmlNode[]) {
      const values = Object.entries(a)
        .filter(([k]) => /(^|:)AttributeValue$/.test(k))
        .flatMap(([, v]) => (Array.isArray(v) ? v : []));
      out.push({ name: a.$?.Name ?? '', friendlyName: a.$?.FriendlyName ?? '', values: values.map(valueText).filter(Boolean) });
    }
  }
  return out;
}

/** The first value of the attribute whose Name is `wanted`, or whose FriendlyName is (any letter case). */
export function attributeValue(received: ReceivedAttribute[], wanted: string): string {
  if (!wanted) return '';
  const byName = received.find((a) => a.name === wanted && a.values.length);
  const byFriendly = received.find((a) => a.friendlyName && a.friendlyName.toLowerCase() === wanted.toLowerCase() && a.values.length);
  return (byName ?? byFriendly)?.values[0]?.trim() ?? '';
}
