import { XMLParser, XMLValidator } from 'fast-xml-parser';

export type ScormVersion = '1.2' | '2004-2' | '2004-3' | '2004-4';

export interface ManifestSco {
  /** The item identifier (unique in the manifest). */
  identifier: string;
  title: string;
  /** Path inside the package plus any query string: what the player frame opens. */
  launch: string;
  /** The launch file alone (no query, no fragment), which must exist in the package. */
  launchFile: string;
  /** 'sco' talks to the API; 'asset' is plain content. */
  kind: 'sco' | 'asset';
  /** Pass mark as a fraction 0..1 (1.2 masteryscore / 100, 2004 minNormalizedMeasure). */
  masteryScore: number | null;
  /** How deep in the organisation tree, for the table of contents. */
  depth: number;
  /** False when the manifest hides the item (isvisible="false"): it is played, never listed. */
  visible?: boolean;
  /** SCORM 1.2 adlcp:prerequisites (AICC script): what must be done before it can be opened. */
  prerequisites?: string;
  /**
   * False when a 2004 manifest's sequencing leaves the item out of the
   * course's rollup (deliveryControls tracked="false", or rollupRules with
   * both rollupObjectiveSatisfied and rollupProgressCompletion "false").
   */
  rollup?: boolean;
}

export interface ManifestItem {
  identifier: string;
  title: string;
  scoIdentifier: string | null;
  children: ManifestItem[];
  /** False when the manifest hides the item (isvisible="false"). */
  visible?: boolean;
  prerequisites?: string;
}

export interface ParsedManifest {
  identifier: string;
  scormVersion: ScormVersion;
  title: string;
  organisations: { identifier: string; title: string; items: ManifestItem[] }[];
  resources: { identifier: string; kind: 'sco' | 'asset'; href: string | null; files: string[] }[];
  scos: ManifestSco[];
}

/** A package that cannot be imported; the message is shown to the administrator as it is. */
export class PackageRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PackageRefused';
  }
}

type Node = Record<string, unknown>;

function list(value: unknown): Node[] {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]).filter((v): v is Node => typeof v === 'object' && v !== null);
}

function text(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'object') return text((value as Node)['#text']);
  return String(value).trim();
}

/** Attribute lookup that ignores case (SCORM 1.2 writes scormtype, 2004 scormType). */
function attr(node: Node, name: string): string | undefined {
  const wanted = `@_${name}`.toLowerCase();
  for (const [k, v] of Object.entries(node)) if (k.toLowerCase() === wanted) return v === undefined ? undefined : String(v);
  return undefined;
}

function child(node: Node, name: string): unknown {
  const wanted = name.toLowerCase();
  for (const [k, v] of Object.entries(node)) if (k.toLowerCase() === wanted) return v;
  return undefined;
}

export function detectVersion(manifest: Node, rawXml: string): ScormVersion {
  const metadata = list(child(manifest, 'metadata'))[0];
  const schemaVersion = metadata ? text(child(metadata, 'schemaversion')) : '';
  if (/^1\.2$/.test(schemaVersion)) return '1.2';
  if (/CAM 1\.3|2nd/i.test(schemaVersion)) return '2004-2';
  if (/3rd/i.test(schemaVersion)) return '2004-3';
  if (/4th/i.test(schemaVersion)) return '2004-4';
  if (/adlcp_rootv1p2/i.test(rawXml)) return '1.2';
  if (/adlcp_v1p3/i.test(rawXml)) return /adlnav_v1p3/i.test(rawXml) && /sequencingCollection|adlseq:objectives/i.test(rawXml) ? '2004-4' : '2004-3';
  throw new PackageRefused('The manifest does not say which SCORM version it is (no schemaversion and no SCORM namespace). Only SCORM 1.2 and SCORM 2004 packages can be imported.');
}

/** Joins xml:base values and an href the way the content packaging spec does. */
function joinBase(...parts: (string | undefined)[]): string {
  return parts.filter((p): p is string => !!p).reduce((acc, p) => (acc && !acc.endsWith('/') ? `${acc}/${p}` : `${acc}${p}`), '');
}

function withParameters(href: string, parameters: string | undefined): string {
  if (!parameters) return href;
  let p = parameters.trim();
  if (p.startsWith('#')) return href.includes('#') ? href : `${href}${p}`;
  p = p.replace(/^[?&]/, '');
  if (!p) return href;
  return href.includes('?') ? `${href}&${p}` : `${href}?${p}`;
}

/** Whether a 2004 item counts towards the course's completion and success (see ManifestSco.rollup). */
function countsInRollup(item: Node, version: ScormVersion): boolean {
  if (version === '1.2') return true;
  const sequencing = list(child(item, 'sequencing'))[0];
  if (!sequencing) return true;
  const delivery = list(child(sequencing, 'deliveryControls'))[0];
  if (delivery && attr(delivery, 'tracked') === 'false') return false;
  const rules = list(child(sequencing, 'rollupRules'))[0];
  return !(rules && attr(rules, 'rollupObjectiveSatisfied') === 'false' && attr(rules, 'rollupProgressCompletion') === 'false');
}

function masteryOf(item: Node, version: ScormVersion): number | null {
  if (version === '1.2') {
    const raw = text(child(item, 'masteryscore'));
    if (raw === '') return null;
    const n = Number(raw);
    return Number.isFinite(n) && n >= 0 && n <= 100 ? n / 100 : null;
  }
  const sequencing = list(child(item, 'sequencing'))[0];
  const objectives = sequencing ? list(child(sequencing, 'objectives'))[0] : undefined;
  const primary = objectives ? list(child(objectives, 'primaryObjective'))[0] : undefined;
  if (!primary || attr(primary, 'satisfiedByMeasure') !== 'true') return null;
  const raw = text(child(primary, 'minNormalizedMeasure'));
  const n = raw === '' ? 1 : Number(raw);
  return Number.isFinite(n) && n >= -1 && n <= 1 ? n : null;
}

/**
 * Reads imsmanifest.xml. Refuses DOCTYPE and ENTITY declarations outright: a
 * SCORM manifest never needs them, and refusing them stops external-entity
 * (XXE) and entity-expansion ("billion laughs") attacks before any parsing.
 */
/** The file a launch address names; a package whose address cannot be decoded is refused, not half imported. */
export function launchFileOf(launch: string, title: string): string {
  try {
    return decodeURIComponent(launch.split(/[?#]/)[0]);
  } catch {
    throw new PackageRefused(`The launch address of "${title}" (${launch.slice(0, 200)}) has a "%" that is not followed by two hexadecimal digits, so the file it names cannot be found.`);
  }
}

export function parseManifest(xml: string): ParsedManifest {
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) {
    throw new PackageRefused('The manifest contains a DOCTYPE or ENTITY declaration. SCORM manifests do not need these and they can be used to attack the server, so the package was refused.');
  }
  const valid = XMLValidator.validate(xml);
  if (valid !== true) {
    throw new PackageRefused(`imsmanifest.xml is not well-formed XML (line ${valid.err.line}: ${valid.err.msg}).`);
  }
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    removeNSPrefix: true,
    // Only the five XML entities and character references can appear (declarations are refused
    // above), so decoding is safe, and a title written "Tom &amp; Jerry" reads as it should.
    processEntities: true,
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: true,
  });
  const doc = parser.parse(xml) as Node;
  const manifest = list(child(doc, 'manifest'))[0];
  if (!manifest) throw new PackageRefused('imsmanifest.xml has no <manifest> element, so it is not a SCORM manifest.');
  const scormVersion = detectVersion(manifest, xml);
  const identifier = attr(manifest, 'identifier') ?? '';
  if (!identifier) throw new PackageRefused('The manifest has no identifier attribute, so versions of this package cannot be told apart.');

  const resourcesNode = list(child(manifest, 'resources'))[0] ?? {};
  const resourcesBase = attr(resourcesNode, 'base');
  const manifestBase = attr(manifest, 'base');
  const resources = list(child(resourcesNode, 'resource')).map((r) => {
    const href = attr(r, 'href');
    const base = attr(r, 'base');
    const kind: 'sco' | 'asset' = (attr(r, 'scormType') ?? '').toLowerCase() === 'sco' ? 'sco' : 'asset';
    return {
      identifier: attr(r, 'identifier') ?? '',
      kind,
      href: href ? joinBase(manifestBase, resourcesBase, base, href) : null,
      files: list(child(r, 'file')).map((f) => joinBase(manifestBase, resourcesBase, base, attr(f, 'href') ?? '')),
    };
  });
  const byId = new Map(resources.map((r) => [r.identifier, r]));

  const scos: ManifestSco[] = [];
  const walk = (items: Node[], depth: number): ManifestItem[] =>
    items.map((item) => {
      const itemId = attr(item, 'identifier') ?? `item-${scos.length + 1}`;
      const title = text(child(item, 'title')) || itemId;
      const ref = attr(item, 'identifierref');
      const visible = (attr(item, 'isvisible') ?? 'true').trim().toLowerCase() !== 'false';
      const prerequisites = scormVersion === '1.2' ? text(child(item, 'prerequisites')) || undefined : undefined;
      let scoIdentifier: string | null = null;
      if (ref) {
        const resource = byId.get(ref);
        if (!resource) throw new PackageRefused(`Item "${title}" refers to resource "${ref}", which the manifest does not define.`);
        if (resource.href) {
          const launch = withParameters(resource.href, attr(item, 'parameters'));
          scos.push({
            identifier: itemId,
            title,
            launch,
            launchFile: launchFileOf(launch, title),
            kind: resource.kind,
            masteryScore: masteryOf(item, scormVersion),
            depth,
            visible,
            ...(prerequisites ? { prerequisites } : {}),
            ...(countsInRollup(item, scormVersion) ? {} : { rollup: false }),
          });
          scoIdentifier = itemId;
        }
      }
      return { identifier: itemId, title, scoIdentifier, visible, ...(prerequisites ? { prerequisites } : {}), children: walk(list(child(item, 'item')), depth + 1) };
    });

  const orgsNode = list(child(manifest, 'organizations'))[0] ?? {};
  const defaultOrg = attr(orgsNode, 'default');
  const orgNodes = list(child(orgsNode, 'organization'));
  // The default organisation first: it is the one learners take.
  orgNodes.sort((a, b) => Number(attr(b, 'identifier') === defaultOrg) - Number(attr(a, 'identifier') === defaultOrg));
  const organisations = orgNodes.slice(0, 1).map((o) => ({
    identifier: attr(o, 'identifier') ?? '',
    title: text(child(o, 'title')),
    items: walk(list(child(o, 'item')), 0),
  }));
  if (scos.length === 0) {
    // A package without organisations may still launch its first SCO resource.
    const first = resources.find((r) => r.kind === 'sco' && r.href);
    if (first?.href) scos.push({ identifier: first.identifier, title: first.identifier, launch: first.href, launchFile: launchFileOf(first.href, first.identifier), kind: 'sco', masteryScore: null, depth: 0 });
  }
  if (scos.length === 0) throw new PackageRefused('The manifest names nothing to launch: no item points to a resource with an href.');
  const title = organisations[0]?.title || scos[0].title;
  return { identifier, scormVersion, title, organisations, resources, scos };
}
