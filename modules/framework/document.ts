/**
 * A framework as one JSON document: what an administrator exports, shares
 * with another partnership and imports again, and what the default
 * framework ships as. The published contract is public/framework.schema.json
 * (docs/framework.schema.json points at it); the checks a schema cannot
 * express (unique numbers, inclusions that exist and go round in no circle)
 * are made here after it, and every problem is told in plain words with the
 * place in the document it was found.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Ajv2020, ErrorObject } from 'ajv/dist/2020';
import { activeCompetencies, type Framework, type StaffGroup } from './model';

export const MAX_GROUPS = 12;
/** Far above any real framework (the Somerset one is a few tens of kilobytes), far below what would tie the server up. */
export const MAX_DOCUMENT_BYTES = 2 * 1024 * 1024;

export interface DocumentCompetency {
  number: number;
  text: string;
  key?: string;
}

export interface DocumentGroup {
  number: number;
  name: string;
  level: string;
  summary?: string;
  description?: string;
  includesGroups?: number[];
  exampleRoles?: string[];
  competencies: DocumentCompetency[];
  evidenceExamples?: { heading?: string; text: string }[];
  learningOpportunities?: StaffGroup['learningOpportunities'];
}

export interface FrameworkDocument {
  $schema?: string;
  name: string;
  sourceNote?: string;
  introduction?: string;
  groups: DocumentGroup[];
}

export interface DocumentProblem {
  /** Where in the document, as a JSON path: groups[2].competencies[0].text. */
  path: string;
  /** The problem in plain words, naming the group and competency. */
  text: string;
}

export const SCHEMA_FILE = path.join(__dirname, 'public', 'framework.schema.json');
export const SOMERSET_FILE = path.join(__dirname, 'public', 'somerset.framework.json');

/**
 * The schema, compiled for each document checked: a document is checked only
 * when an administrator uploads one, rarely enough that keeping the compiled
 * schema in memory between uploads is not worth holding state for.
 */
function schemaValidator(): ReturnType<Ajv2020['compile']> {
  // Loaded when a document is checked, not at every start.
  const { Ajv2020: Validator } = require('ajv/dist/2020') as typeof import('ajv/dist/2020');
  const ajv = new Validator({ allErrors: true, strict: true });
  return ajv.compile(JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')));
}

/** Reads a document from the bytes of an uploaded file; problems when it is not one this product can take. */
export function parseFrameworkDocument(bytes: Buffer | string): { document?: FrameworkDocument; problems: DocumentProblem[] } {
  const size = typeof bytes === 'string' ? Buffer.byteLength(bytes) : bytes.length;
  if (size > MAX_DOCUMENT_BYTES) return { problems: [{ path: '', text: `The file must be ${MAX_DOCUMENT_BYTES / 1024 / 1024} MB or smaller` }] };
  const text = (typeof bytes === 'string' ? bytes : bytes.toString('utf8')).replace(/^\uFEFF/, '');
  if (!text.trim()) return { problems: [{ path: '', text: 'The file is empty' }] };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { problems: [{ path: '', text: `The file is not a JSON document: ${(e as Error).message}` }] };
  }
  const problems = validateFrameworkDocument(value);
  return problems.length ? { problems } : { document: value as FrameworkDocument, problems };
}

/** Every problem with a parsed document: the schema's first, then the rules it cannot express. */
export function validateFrameworkDocument(value: unknown): DocumentProblem[] {
  const validate = schemaValidator();
  if (!validate(value)) {
    const seen = new Set<string>();
    return (validate.errors ?? []).map((e) => schemaProblem(e, value)).filter((p) => !seen.has(p.text) && seen.add(p.text));
  }
  return ruleProblems(value as FrameworkDocument);
}

type Segment = string | number;

function segments(pointer: string): Segment[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function jsonPath(parts: Segment[]): string {
  return parts.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

const FIELD_WORDS: Record<string, string> = {
  name: 'name',
  level: 'level',
  summary: 'summary',
  description: 'description',
  sourceNote: 'source note',
  introduction: 'introduction',
  number: 'number',
  text: 'text',
  key: 'key',
  kind: 'kind',
  heading: 'heading',
  groups: 'list of groups',
  includesGroups: 'list of groups it includes',
  exampleRoles: 'list of example job roles',
  competencies: 'list of competencies',
  evidenceExamples: 'list of examples of evidence',
  learningOpportunities: 'list of opportunities for learning',
};

function ordinal(n: number): string {
  const suffix = n % 100 >= 11 && n % 100 <= 13 ? 'th' : (({ 1: 'st', 2: 'nd', 3: 'rd' } as Record<number, string>)[n % 10] ?? 'th');
  return `${n}${suffix}`;
}

function at(value: unknown, parts: Segment[]): unknown {
  let v = value;
  for (const p of parts) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[p as string] : undefined;
  return v;
}

/** "group 3" when the group's number can be read, otherwise "the 3rd group in the list". */
function groupWords(doc: unknown, index: number): string {
  const n = at(doc, ['groups', index, 'number']);
  return Number.isInteger(n) ? `group ${n}` : `the ${ordinal(index + 1)} group in the list`;
}

/** What a path points at, in words: "competency 2 of group 3", "the framework". */
export function describePath(doc: unknown, parts: Segment[]): string {
  if (parts.length === 0) return 'the framework';
  if (parts[0] !== 'groups') return `the framework's ${FIELD_WORDS[String(parts[0])] ?? String(parts[0])}`;
  if (parts.length === 1) return 'the list of groups';
  const group = groupWords(doc, Number(parts[1]));
  if (parts.length === 2) return group;
  const field = String(parts[2]);
  const item = parts[3];
  if (item === undefined) return `the ${FIELD_WORDS[field] ?? field} of ${group}`;
  const index = Number(item);
  let thing: string;
  if (field === 'competencies') {
    const n = at(doc, ['groups', parts[1], 'competencies', index, 'number']);
    thing = Number.isInteger(n) ? `competency ${n} of ${group}` : `the ${ordinal(index + 1)} competency of ${group}`;
  } else if (field === 'includesGroups') thing = `the ${ordinal(index + 1)} group ${group} includes`;
  else if (field === 'exampleRoles') thing = `the ${ordinal(index + 1)} example job role of ${group}`;
  else if (field === 'evidenceExamples') thing = `the ${ordinal(index + 1)} example of evidence of ${group}`;
  else if (field === 'learningOpportunities') thing = `the ${ordinal(index + 1)} opportunity for learning of ${group}`;
  else thing = `${FIELD_WORDS[field] ?? field} ${index + 1} of ${group}`;
  const rest = parts[4];
  return rest === undefined ? thing : `the ${FIELD_WORDS[String(rest)] ?? String(rest)} of ${thing}`;
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

const TYPE_WORDS: Record<string, string> = {
  string: 'text in quotes',
  integer: 'a whole number',
  number: 'a number',
  array: 'a list in square brackets',
  object: 'an object in curly brackets',
  boolean: 'true or false',
};

function schemaProblem(e: ErrorObject, doc: unknown): DocumentProblem {
  const parts = segments(e.instancePath);
  const where = capitalise(describePath(doc, parts));
  const p = e.params as Record<string, unknown>;
  const withPath = (text: string, extra?: Segment) => {
    const full = extra === undefined ? parts : [...parts, extra];
    return { path: jsonPath(full), text: full.length ? `${text} (${jsonPath(full)})` : text };
  };
  switch (e.keyword) {
    case 'required': {
      const missing = String(p.missingProperty);
      return withPath(`${where} has no ${FIELD_WORDS[missing] ?? missing}`, missing);
    }
    case 'additionalProperties':
      return withPath(`${where} has a field “${String(p.additionalProperty)}” that framework documents do not have`, String(p.additionalProperty));
    case 'type':
      return withPath(`${where} must be ${TYPE_WORDS[String(p.type)] ?? String(p.type)}`);
    case 'minLength':
      return withPath(`${where} must not be empty`);
    case 'maxLength':
      return withPath(`${where} must be ${p.limit} characters or fewer`);
    case 'pattern':
      return withPath(
        parts[parts.length - 1] === 'key'
          ? `${where} must be up to 80 letters, numbers, dots, colons, hyphens or underscores, starting with a letter or number`
          : `${where} must not be empty`,
      );
    case 'minimum':
      return withPath(`${where} must be ${p.limit} or more`);
    case 'maximum':
      return withPath(`${where} must be ${p.limit} or less`);
    case 'minItems':
      return withPath(parts.length === 1 && parts[0] === 'groups' ? 'The framework must have at least one group' : `${where} must have at least ${p.limit}`);
    case 'maxItems': {
      const count = Array.isArray(at(doc, parts)) ? (at(doc, parts) as unknown[]).length : 0;
      if (parts.length === 1 && parts[0] === 'groups') return withPath(`The framework has ${count} groups; a framework can have at most ${MAX_GROUPS}`);
      return withPath(`${where} has ${count} entries; it can have at most ${p.limit}`);
    }
    case 'uniqueItems':
      return withPath(`${where} names the same group twice`);
    case 'enum':
      return withPath(`${where} must be one of: ${(p.allowedValues as unknown[]).join(', ')}`);
    default:
      return withPath(`${where} ${e.message ?? 'is not valid'}`);
  }
}

/** The rules a JSON Schema cannot state. Runs only on a document the schema accepts. */
function ruleProblems(doc: FrameworkDocument): DocumentProblem[] {
  const problems: DocumentProblem[] = [];
  const add = (parts: Segment[], text: string) => problems.push({ path: jsonPath(parts), text: `${text} (${jsonPath(parts)})` });
  const numbers = new Set<number>();
  doc.groups.forEach((g, i) => {
    if (numbers.has(g.number)) add(['groups', i, 'number'], `Group number ${g.number} is used by more than one group`);
    numbers.add(g.number);
  });
  doc.groups.forEach((g, i) => {
    (g.includesGroups ?? []).forEach((n, j) => {
      if (n === g.number) add(['groups', i, 'includesGroups', j], `Group ${g.number} includes itself`);
      else if (!numbers.has(n)) add(['groups', i, 'includesGroups', j], `Group ${g.number} includes group ${n}, which is not in the framework`);
    });
    const competencyNumbers = new Set<number>();
    g.competencies.forEach((c, j) => {
      if (competencyNumbers.has(c.number))
        add(['groups', i, 'competencies', j, 'number'], `Group ${g.number} has more than one competency numbered ${c.number}`);
      competencyNumbers.add(c.number);
    });
  });
  const keys = new Map<string, string>();
  doc.groups.forEach((g, i) => {
    g.competencies.forEach((c, j) => {
      if (!c.key) return;
      const first = keys.get(c.key);
      if (first) add(['groups', i, 'competencies', j, 'key'], `Competency ${c.number} of group ${g.number} has the key “${c.key}”, which ${first} already has`);
      else keys.set(c.key, `competency ${c.number} of group ${g.number}`);
    });
  });
  const cycle = inclusionCycle(doc.groups);
  if (cycle) {
    const i = doc.groups.findIndex((g) => g.number === cycle[0]);
    add(['groups', i, 'includesGroups'], `Groups include each other in a circle: ${circleWords(cycle)}`);
  }
  return problems;
}

/** A circle of inclusions in words: "group 5 includes group 6, which includes group 5". */
export function circleWords(cycle: number[]): string {
  return `group ${cycle[0]} includes ${cycle
    .slice(1)
    .map((n) => `group ${n}`)
    .join(', which includes ')}`;
}

/** A circle of inclusions (other than a group including itself, told on its own), as [a, b, ..., a]; undefined when there is none. */
export function inclusionCycle(groups: Pick<DocumentGroup, 'number' | 'includesGroups'>[]): number[] | undefined {
  const edges = new Map(groups.map((g) => [g.number, (g.includesGroups ?? []).filter((n) => n !== g.number)]));
  const state = new Map<number, 'visiting' | 'done'>();
  const stack: number[] = [];
  const visit = (n: number): number[] | undefined => {
    if (state.get(n) === 'done') return undefined;
    if (state.get(n) === 'visiting') return [...stack.slice(stack.indexOf(n)), n];
    state.set(n, 'visiting');
    stack.push(n);
    for (const m of edges.get(n) ?? []) {
      if (!edges.has(m)) continue;
      const found = visit(m);
      if (found) return found;
    }
    stack.pop();
    state.set(n, 'done');
    return undefined;
  };
  for (const g of groups) {
    const found = visit(g.number);
    if (found) return found;
  }
  return undefined;
}

/** A framework version as a document: competencies in force only, each with its key so evidence follows it into the next version. */
export function documentOfFramework(
  framework: Pick<Framework, 'name' | 'groups'> & { sourceNote?: string | null; introduction?: string | null },
): FrameworkDocument {
  return {
    name: framework.name,
    ...(framework.sourceNote ? { sourceNote: framework.sourceNote } : {}),
    ...(framework.introduction ? { introduction: framework.introduction } : {}),
    groups: framework.groups.map((g) => ({
      number: g.number,
      name: g.name,
      level: g.level,
      summary: g.summary,
      description: g.description,
      includesGroups: g.includesGroups,
      exampleRoles: g.exampleRoles,
      competencies: activeCompetencies(g).map((c) => ({ number: c.number, key: c.lineage, text: c.text })),
      evidenceExamples: g.evidenceExamples.map((e) => (e.heading ? { heading: e.heading, text: e.text } : { text: e.text })),
      learningOpportunities: g.learningOpportunities.map((o) => ({ kind: o.kind, text: o.text })),
    })),
  };
}

/** The default framework, shipped as a document like any other. */
export function somersetDocument(): FrameworkDocument {
  const { document, problems } = parseFrameworkDocument(readFileSync(SOMERSET_FILE));
  if (!document) throw new Error(`The default framework document is not valid: ${problems.map((p) => p.text).join('; ')}`);
  return document;
}
