import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { PackageRefused } from '../scorm/api';
import type { MoveOn } from './move-on';

/** The namespace of cmi5's course structure (CourseStructure.xsd). */
export const CMI5_NAMESPACE = 'https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd';

export const MOVE_ON_VALUES: readonly MoveOn[] = ['Passed', 'Completed', 'CompletedAndPassed', 'CompletedOrPassed', 'NotApplicable'];

export interface StructureAu {
  /** The publisher's id of the AU (never used as the launch's activityId). */
  id: string;
  title: string;
  description: string;
  /** As written: relative (inside a zip) or an absolute http(s) address. */
  url: string;
  launchMethod: 'AnyWindow' | 'OwnWindow';
  moveOn: MoveOn;
  /** 0..1, up to 4 decimal places; null when the course structure gives none. */
  masteryScore: number | null;
  launchParameters: string | null;
  entitlementKey: string | null;
  activityType: string | null;
}

export interface StructureBlock {
  id: string;
  title: string;
  /** Every AU inside the block, however deeply nested. */
  auIds: string[];
}

export interface CourseStructure {
  id: string;
  title: string;
  description: string;
  aus: StructureAu[];
  blocks: StructureBlock[];
}

type Element = Record<string, unknown>;

/** An element's children in the cmi5 namespace, and whether it has any other in that namespace. */
interface Scope {
  /** Prefix ('' for the default) to namespace URI. */
  namespaces: Map<string, string>;
}

function refuse(message: string): never {
  throw new PackageRefused(`cmi5.xml: ${message}`);
}

function attributes(el: Element): Record<string, string> {
  const attrs = (el[':@'] ?? {}) as Record<string, unknown>;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(attrs)) out[k.replace(/^@_/, '')] = String(v);
  return out;
}

function scopeOf(el: Element, parent: Scope): Scope {
  const namespaces = new Map(parent.namespaces);
  for (const [k, v] of Object.entries(attributes(el))) {
    if (k === 'xmlns') namespaces.set('', v);
    else if (k.startsWith('xmlns:')) namespaces.set(k.slice(6), v);
  }
  return { namespaces };
}

function nameOf(el: Element): string {
  return Object.keys(el).find((k) => k !== ':@') ?? '';
}

/** The element's local name when it is in the cmi5 namespace, null when it is in another (an extension). */
function cmi5Name(el: Element, scope: Scope): string | null {
  const qname = nameOf(el);
  if (qname.startsWith('#') || qname.startsWith('?')) return null;
  const colon = qname.indexOf(':');
  const prefix = colon >= 0 ? qname.slice(0, colon) : '';
  const local = colon >= 0 ? qname.slice(colon + 1) : qname;
  const ns = scope.namespaces.get(prefix);
  if (prefix && ns === undefined) refuse(`the element <${qname}> uses the prefix "${prefix}", which is not declared.`);
  return ns === CMI5_NAMESPACE ? local : null;
}

function childrenOf(el: Element): Element[] {
  const v = el[nameOf(el)];
  return Array.isArray(v) ? (v as Element[]) : [];
}

function textOf(el: Element): string {
  return childrenOf(el)
    .map((c) => (typeof c['#text'] === 'string' || typeof c['#text'] === 'number' ? String(c['#text']) : ''))
    .join('')
    .trim();
}

/** The cmi5 children of an element, refusing any cmi5 element not in `allowed`; extensions are left out. */
function cmi5Children(el: Element, scope: Scope, where: string, allowed: string[]): { name: string; el: Element; scope: Scope }[] {
  const out: { name: string; el: Element; scope: Scope }[] = [];
  for (const c of childrenOf(el)) {
    const childScope = scopeOf(c, scope);
    const name = cmi5Name(c, childScope);
    if (name === null) continue;
    if (!allowed.includes(name)) refuse(`<${name}> is not allowed inside ${where} (allowed there: ${allowed.map((a) => `<${a}>`).join(', ')}).`);
    out.push({ name, el: c, scope: childScope });
  }
  return out;
}

/** A langstring list's text: British or any English first, else the first given. */
function langText(el: Element, scope: Scope, where: string): string {
  const strings = cmi5Children(el, scope, where, ['langstring']).map((l) => ({ lang: attributes(l.el).lang ?? '', text: textOf(l.el) }));
  if (!strings.length) refuse(`${where} needs at least one <langstring>.`);
  const pick = strings.find((s) => /^en-GB$/i.test(s.lang)) ?? strings.find((s) => /^en\b/i.test(s.lang)) ?? strings[0];
  return pick.text.replace(/\s+/g, ' ');
}

function one(kids: { name: string; el: Element; scope: Scope }[], name: string, where: string, required: boolean) {
  const found = kids.filter((k) => k.name === name);
  if (found.length > 1) refuse(`${where} has more than one <${name}>.`);
  if (required && !found.length) refuse(`${where} has no <${name}>, which cmi5 requires.`);
  return found[0];
}

function idOf(el: Element, where: string): string {
  const id = (attributes(el).id ?? '').trim();
  if (!id) refuse(`${where} has no id attribute.`);
  if (!/^[a-z][a-z0-9+.-]*:\S+$/i.test(id) || id.length > 2000) refuse(`${where} has the id "${id.slice(0, 100)}", which is not an IRI.`);
  return id;
}

function parseAu(el: Element, scope: Scope): StructureAu {
  const attrs = attributes(el);
  const id = idOf(el, 'an <au>');
  const where = `the AU "${id}"`;
  const kids = cmi5Children(el, scope, where, ['title', 'description', 'objectives', 'url', 'launchParameters', 'entitlementKey']);
  const title = one(kids, 'title', where, true);
  const description = one(kids, 'description', where, true);
  const url = textOf(one(kids, 'url', where, true).el);
  if (!url) refuse(`${where} has an empty <url>.`);
  const moveOn = (attrs.moveOn ?? 'NotApplicable').trim() as MoveOn;
  if (!MOVE_ON_VALUES.includes(moveOn)) refuse(`${where} has moveOn="${attrs.moveOn}"; it must be one of ${MOVE_ON_VALUES.join(', ')}.`);
  const launchMethod = (attrs.launchMethod ?? 'AnyWindow').trim();
  if (launchMethod !== 'AnyWindow' && launchMethod !== 'OwnWindow') refuse(`${where} has launchMethod="${launchMethod}"; it must be AnyWindow or OwnWindow.`);
  let masteryScore: number | null = null;
  if (attrs.masteryScore !== undefined) {
    const m = attrs.masteryScore.trim();
    if (!/^(0(\.\d{1,4})?|1(\.0{1,4})?|\.\d{1,4})$/.test(m))
      refuse(`${where} has masteryScore="${m}"; it must be a decimal from 0 to 1 with up to 4 decimal places.`);
    masteryScore = Number(m);
  }
  const params = one(kids, 'launchParameters', where, false);
  const entitlement = one(kids, 'entitlementKey', where, false);
  return {
    id,
    title: langText(title.el, title.scope, `the title of ${where}`),
    description: langText(description.el, description.scope, `the description of ${where}`),
    url,
    launchMethod,
    moveOn,
    masteryScore,
    launchParameters: params ? textOf(params.el) : null,
    entitlementKey: entitlement ? textOf(entitlement.el) : null,
    activityType: attrs.activityType?.trim() || null,
  };
}

function parseBlockContent(kids: { name: string; el: Element; scope: Scope }[], aus: StructureAu[], blocks: StructureBlock[], where: string): string[] {
  const mine: string[] = [];
  for (const k of kids) {
    if (k.name === 'au') {
      const au = parseAu(k.el, k.scope);
      aus.push(au);
      mine.push(au.id);
    } else if (k.name === 'block') {
      const id = idOf(k.el, 'a <block>');
      const blockWhere = `the block "${id}"`;
      const blockKids = cmi5Children(k.el, k.scope, blockWhere, ['title', 'description', 'objectives', 'au', 'block']);
      const title = one(blockKids, 'title', blockWhere, true);
      one(blockKids, 'description', blockWhere, true);
      const entry: StructureBlock = { id, title: langText(title.el, title.scope, `the title of ${blockWhere}`), auIds: [] };
      blocks.push(entry);
      entry.auIds = parseBlockContent(blockKids, aus, blocks, blockWhere);
      if (!entry.auIds.length) refuse(`${blockWhere} holds no AU.`);
      mine.push(...entry.auIds);
    }
  }
  if (!mine.length) refuse(`${where} holds no <au>.`);
  return mine;
}

/**
 * Reads a cmi5 course structure (cmi5.xml). Elements of other namespaces
 * are extensions (section 13.1.5) and are ignored wherever they are; an
 * element of the cmi5 namespace where the schema has none, or a required
 * one missing, refuses the whole file with a message saying which.
 */
export function parseCourseStructure(xml: string): CourseStructure {
  const text = xml.replace(/^\uFEFF/, '');
  if (/<!DOCTYPE|<!ENTITY/i.test(text))
    refuse('it contains a DOCTYPE or ENTITY declaration. Course structures do not need these and they can be used to attack the server, so it was refused.');
  const valid = XMLValidator.validate(text);
  if (valid !== true) refuse(`it is not well-formed XML (line ${valid.err.line}: ${valid.err.msg}).`);
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    preserveOrder: true,
    processEntities: true,
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: true,
  });
  const top = (parser.parse(text) as Element[]).filter((e) => !nameOf(e).startsWith('?') && !nameOf(e).startsWith('#'));
  if (top.length !== 1) refuse('it has no root element.');
  const rootScope = scopeOf(top[0], { namespaces: new Map() });
  if (cmi5Name(top[0], rootScope) !== 'courseStructure') {
    refuse(
      `its root element is <${nameOf(top[0])}>${rootScope.namespaces.get('') ? ` in the namespace ${rootScope.namespaces.get('')}` : ''}, not <courseStructure> in the cmi5 namespace ${CMI5_NAMESPACE}.`,
    );
  }
  const kids = cmi5Children(top[0], rootScope, '<courseStructure>', ['course', 'objectives', 'au', 'block']);
  const course = one(kids, 'course', '<courseStructure>', true);
  const courseId = idOf(course.el, '<course>');
  const courseKids = cmi5Children(course.el, course.scope, '<course>', ['title', 'description']);
  const title = one(courseKids, 'title', '<course>', true);
  const description = one(courseKids, 'description', '<course>', true);
  const aus: StructureAu[] = [];
  const blocks: StructureBlock[] = [];
  parseBlockContent(
    kids.filter((k) => k.name === 'au' || k.name === 'block'),
    aus,
    blocks,
    'the course',
  );
  const ids = new Set<string>();
  for (const id of [courseId, ...aus.map((a) => a.id), ...blocks.map((b) => b.id)]) {
    if (ids.has(id)) refuse(`the id "${id}" is used more than once; each course, block and AU needs its own.`);
    ids.add(id);
  }
  return {
    id: courseId,
    title: langText(title.el, title.scope, 'the course title'),
    description: langText(description.el, description.scope, 'the course description'),
    aus,
    blocks,
  };
}
