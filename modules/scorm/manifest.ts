import { XMLParser, XMLValidator } from 'fast-xml-parser';
import {
  type ChildActivitySet,
  type Consideration,
  DEFAULT_SEQUENCING,
  type RollupAction,
  type RollupConditionName,
  type RollupRule,
  type Sequencing,
} from './rollup';

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
  /**
   * SCORM 2004 deliveryControls completionSetByContent / objectiveSetByContent:
   * true when the SCO's own status is the only word on it; otherwise a status
   * it leaves unknown is settled when it terminates (settleAtFinish).
   */
  completionSetByContent?: boolean;
  objectiveSetByContent?: boolean;
}

export interface ManifestItem {
  identifier: string;
  title: string;
  scoIdentifier: string | null;
  children: ManifestItem[];
  /** False when the manifest hides the item (isvisible="false"). */
  visible?: boolean;
  prerequisites?: string;
  /** SCORM 2004: what the item's imsss:sequencing says about rollup, when it has any. */
  sequencing?: Sequencing;
}

export interface ParsedManifest {
  identifier: string;
  scormVersion: ScormVersion;
  title: string;
  /** The organisation's own sequencing (SCORM 2004) is the course's rollup. */
  organisations: { identifier: string; title: string; items: ManifestItem[]; sequencing?: Sequencing }[];
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
  throw new PackageRefused(
    'The manifest does not say which SCORM version it is (no schemaversion and no SCORM namespace). Only SCORM 1.2 and SCORM 2004 packages can be imported.',
  );
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
function countsInRollup(sequencing: Sequencing | undefined): boolean {
  return !sequencing || (sequencing.tracked && (sequencing.rollupObjectiveSatisfied || sequencing.rollupProgressCompletion));
}

const ACTIONS: RollupAction[] = ['satisfied', 'notSatisfied', 'completed', 'incomplete'];
const SETS: ChildActivitySet[] = ['all', 'any', 'none', 'atLeastCount', 'atLeastPercent'];
const CONDITIONS: RollupConditionName[] = [
  'satisfied',
  'objectiveStatusKnown',
  'objectiveMeasureKnown',
  'completed',
  'activityProgressKnown',
  'attempted',
  'attemptLimitExceeded',
  'timeLimitExceeded',
  'outsideAvailableTimeRange',
];
const CONSIDERATIONS: Consideration[] = ['always', 'ifAttempted', 'ifNotSkipped', 'ifNotSuspended'];

function oneOf<T extends string>(value: string | undefined, allowed: T[], fallback: T): T {
  return allowed.find((a) => a === value?.trim()) ?? fallback;
}

function numberIn(value: string | undefined, min: number, max: number, fallback: number): number {
  const n = value === undefined || value.trim() === '' ? NaN : Number(value);
  return Number.isFinite(n) && n >= min && n <= max ? n : fallback;
}

/**
 * An item's (or organisation's) imsss:sequencing as far as rollup goes. One
 * that names an entry of the manifest's sequencingCollection (IDRef) starts
 * from that entry, its own elements taking precedence. Values the schema does
 * not allow fall back to the defaults rather than refusing the package.
 */
function readSequencing(node: Node, collection: Map<string, Node>): Sequencing | undefined {
  const own = list(child(node, 'sequencing'))[0];
  // 4th edition: adlcp:completionThreshold with attributes (in 3rd edition it is a bare number, which rollup does not use).
  const threshold = list(child(node, 'completionThreshold'))[0];
  const byMeasure = threshold ? completionByMeasure(threshold) : undefined;
  if (!own) return byMeasure ? { ...DEFAULT_SEQUENCING, ...byMeasure } : undefined;
  const ref = attr(own, 'IDRef');
  const sequencing: Node = { ...(ref ? (collection.get(ref) ?? {}) : {}), ...own };
  const delivery = list(child(sequencing, 'deliveryControls'))[0] ?? {};
  const rollupRules = list(child(sequencing, 'rollupRules'))[0] ?? {};
  const considerations = list(child(sequencing, 'rollupConsiderations'))[0] ?? {};
  const objectives = list(child(sequencing, 'objectives'))[0];
  const primary = objectives ? list(child(objectives, 'primaryObjective'))[0] : undefined;
  const consideration = (name: string) => oneOf(attr(considerations, name) ?? attr(sequencing, name), CONSIDERATIONS, 'always');
  const rules: RollupRule[] = list(child(rollupRules, 'rollupRule')).flatMap((r) => {
    const actionNode = list(child(r, 'rollupAction'))[0];
    const action = actionNode ? ACTIONS.find((a) => a === attr(actionNode, 'action')) : undefined;
    if (!action) return [];
    const conditionsNode = list(child(r, 'rollupConditions'))[0] ?? {};
    const conditions = list(child(conditionsNode, 'rollupCondition')).flatMap((c) => {
      const condition = CONDITIONS.find((n) => n === attr(c, 'condition'));
      return condition ? [{ condition, not: attr(c, 'operator') === 'not' }] : [];
    });
    return [
      {
        action,
        childActivitySet: oneOf(attr(r, 'childActivitySet'), SETS, 'all'),
        minimumCount: numberIn(attr(r, 'minimumCount'), 0, Number.MAX_SAFE_INTEGER, 0),
        minimumPercent: numberIn(attr(r, 'minimumPercent'), 0, 1, 0),
        // IMS Simple Sequencing: rollup conditions combine with "any" unless they say otherwise.
        conditionCombination: attr(conditionsNode, 'conditionCombination') === 'all' ? 'all' : 'any',
        conditions,
      },
    ];
  });
  return {
    tracked: attr(delivery, 'tracked') !== 'false',
    rollupObjectiveSatisfied: attr(rollupRules, 'rollupObjectiveSatisfied') !== 'false',
    rollupProgressCompletion: attr(rollupRules, 'rollupProgressCompletion') !== 'false',
    objectiveMeasureWeight: numberIn(attr(rollupRules, 'objectiveMeasureWeight'), 0, 1, DEFAULT_SEQUENCING.objectiveMeasureWeight),
    rules,
    requiredForSatisfied: consideration('requiredForSatisfied'),
    requiredForNotSatisfied: consideration('requiredForNotSatisfied'),
    requiredForCompleted: consideration('requiredForCompleted'),
    requiredForIncomplete: consideration('requiredForIncomplete'),
    satisfiedByMeasure: !!primary && attr(primary, 'satisfiedByMeasure') === 'true',
    minNormalizedMeasure: primary ? numberIn(text(child(primary, 'minNormalizedMeasure')), -1, 1, 1) : 1,
    completionSetByContent: attr(delivery, 'completionSetByContent') === 'true',
    objectiveSetByContent: attr(delivery, 'objectiveSetByContent') === 'true',
    completedByMeasure: byMeasure?.completedByMeasure ?? DEFAULT_SEQUENCING.completedByMeasure,
    minProgressMeasure: byMeasure?.minProgressMeasure ?? DEFAULT_SEQUENCING.minProgressMeasure,
    progressWeight: byMeasure?.progressWeight ?? DEFAULT_SEQUENCING.progressWeight,
  };
}

function completionByMeasure(threshold: Node): Pick<Sequencing, 'completedByMeasure' | 'minProgressMeasure' | 'progressWeight'> {
  return {
    completedByMeasure: attr(threshold, 'completedByMeasure') === 'true',
    minProgressMeasure: numberIn(attr(threshold, 'minProgressMeasure'), 0, 1, DEFAULT_SEQUENCING.minProgressMeasure),
    progressWeight: numberIn(attr(threshold, 'progressWeight'), 0, 1, DEFAULT_SEQUENCING.progressWeight),
  };
}

function masteryOf(item: Node, version: ScormVersion, sequencing: Sequencing | undefined): number | null {
  if (version === '1.2') {
    const raw = text(child(item, 'masteryscore'));
    if (raw === '') return null;
    const n = Number(raw);
    return Number.isFinite(n) && n >= 0 && n <= 100 ? n / 100 : null;
  }
  return sequencing?.satisfiedByMeasure ? sequencing.minNormalizedMeasure : null;
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
    throw new PackageRefused(
      `The launch address of "${title}" (${launch.slice(0, 200)}) has a "%" that is not followed by two hexadecimal digits, so the file it names cannot be found.`,
    );
  }
}

export function parseManifest(xml: string): ParsedManifest {
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) {
    throw new PackageRefused(
      'The manifest contains a DOCTYPE or ENTITY declaration. SCORM manifests do not need these and they can be used to attack the server, so the package was refused.',
    );
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
  const collection = new Map<string, Node>();
  for (const c of list(child(manifest, 'sequencingCollection')))
    for (const seq of list(child(c, 'sequencing'))) if (attr(seq, 'ID')) collection.set(attr(seq, 'ID') as string, seq);
  const sequencingOf = (node: Node) => (scormVersion === '1.2' ? undefined : readSequencing(node, collection));
  const walk = (items: Node[], depth: number): ManifestItem[] =>
    items.map((item) => {
      const itemId = attr(item, 'identifier') ?? `item-${scos.length + 1}`;
      const title = text(child(item, 'title')) || itemId;
      const ref = attr(item, 'identifierref');
      const visible = (attr(item, 'isvisible') ?? 'true').trim().toLowerCase() !== 'false';
      const prerequisites = scormVersion === '1.2' ? text(child(item, 'prerequisites')) || undefined : undefined;
      const sequencing = sequencingOf(item);
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
            masteryScore: masteryOf(item, scormVersion, sequencing),
            depth,
            visible,
            ...(prerequisites ? { prerequisites } : {}),
            ...(countsInRollup(sequencing) ? {} : { rollup: false }),
            ...(sequencing?.completionSetByContent ? { completionSetByContent: true } : {}),
            ...(sequencing?.objectiveSetByContent ? { objectiveSetByContent: true } : {}),
          });
          scoIdentifier = itemId;
        }
      }
      return {
        identifier: itemId,
        title,
        scoIdentifier,
        visible,
        ...(prerequisites ? { prerequisites } : {}),
        ...(sequencing ? { sequencing } : {}),
        children: walk(list(child(item, 'item')), depth + 1),
      };
    });

  const orgsNode = list(child(manifest, 'organizations'))[0] ?? {};
  const defaultOrg = attr(orgsNode, 'default');
  const orgNodes = list(child(orgsNode, 'organization'));
  // The default organisation first: it is the one learners take.
  orgNodes.sort((a, b) => Number(attr(b, 'identifier') === defaultOrg) - Number(attr(a, 'identifier') === defaultOrg));
  const organisations = orgNodes.slice(0, 1).map((o) => {
    const sequencing = sequencingOf(o);
    return {
      identifier: attr(o, 'identifier') ?? '',
      title: text(child(o, 'title')),
      items: walk(list(child(o, 'item')), 0),
      ...(sequencing ? { sequencing } : {}),
    };
  });
  if (scos.length === 0) {
    // A package without organisations may still launch its first SCO resource.
    const first = resources.find((r) => r.kind === 'sco' && r.href);
    if (first?.href)
      scos.push({
        identifier: first.identifier,
        title: first.identifier,
        launch: first.href,
        launchFile: launchFileOf(first.href, first.identifier),
        kind: 'sco',
        masteryScore: null,
        depth: 0,
      });
  }
  if (scos.length === 0) throw new PackageRefused('The manifest names nothing to launch: no item points to a resource with an href.');
  const title = organisations[0]?.title || scos[0].title;
  return { identifier, scormVersion, title, organisations, resources, scos };
}
