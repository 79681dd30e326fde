/**
 * The framework as the rest of the product sees it: one version with its
 * groups, competencies, evidence examples and learning opportunities.
 * Plain data so the rules below (what a group requires, what a new version
 * changes) are testable without a database.
 */
export type FrameworkStatus = 'draft' | 'published' | 'superseded';

export interface Competency {
  id: string;
  groupNumber: number;
  number: number;
  text: string;
  lineage: string;
  retired: boolean;
}

export interface StaffGroup {
  number: number;
  name: string;
  level: string;
  summary: string;
  description: string;
  includesGroups: number[];
  exampleRoles: string[];
  competencies: Competency[];
  evidenceExamples: { heading: string | null; text: string }[];
  learningOpportunities: { kind: 'delivery' | 'theme' | 'resource'; text: string }[];
}

export interface Framework {
  id: string;
  name: string;
  version: number;
  status: FrameworkStatus;
  basedOn: string | null;
  publishedAt: Date | null;
  sourceNote?: string | null;
  introduction?: string;
  groups: StaffGroup[];
}

/** GET /api/v1/framework: the shape partners' systems read. Retired competencies are left out. */
export function frameworkToJson(framework: Framework) {
  return {
    name: framework.name,
    version: framework.version,
    groups: framework.groups.map((g) => ({
      number: g.number,
      name: g.name,
      level: g.level,
      includesGroups: g.includesGroups,
      competencies: activeCompetencies(g).map((c) => ({ id: c.id, number: c.number, text: c.text })),
      evidenceExamples: g.evidenceExamples.map((e) => (e.heading ? `${e.heading}: ${e.text}` : e.text)),
      learningOpportunities: g.learningOpportunities.map((o) => ({ kind: o.kind, text: o.text })),
      exampleRoles: g.exampleRoles,
    })),
  };
}

export function activeCompetencies(group: StaffGroup): Competency[] {
  return group.competencies.filter((c) => !c.retired).sort((a, b) => a.number - b.number);
}

/**
 * Groups a member of `groupNumber` needs the competencies of: itself and the
 * groups it includes, and the groups those include (Group 3 in Somerset
 * includes Groups 1 and 2). A framework whose groups do not build on each
 * other has each group alone.
 */
export function groupsIncluded(framework: { groups: readonly { number: number; includesGroups: readonly number[] }[] }, groupNumber: number): number[] {
  const includes = new Map(framework.groups.map((g) => [g.number, g.includesGroups]));
  const seen = new Set<number>();
  const stack = [groupNumber];
  while (stack.length) {
    const n = stack.pop()!;
    if (seen.has(n) || !includes.has(n)) continue;
    seen.add(n);
    stack.push(...(includes.get(n) ?? []));
  }
  return [...seen].sort((a, b) => a - b);
}

/**
 * What a member of `groupNumber` must show: the competencies of the groups it
 * includes (in the framework's order) and then its own. Group 2 in Somerset
 * needs Group 1's six and its own five.
 */
export function requirementsFor(framework: Framework, groupNumber: number): { group: StaffGroup; competencies: Competency[] }[] {
  const own = framework.groups.find((g) => g.number === groupNumber);
  if (!own) return [];
  const included = groupsIncluded(framework, groupNumber)
    .filter((n) => n !== groupNumber)
    .map((n) => framework.groups.find((g) => g.number === n)!);
  return [...included, own].map((group) => ({ group, competencies: activeCompetencies(group) }));
}

/** Groups whose members need the competencies of `groupNumber`: itself and every group that includes it, directly or through another. */
export function groupsRequiring(framework: Pick<Framework, 'groups'>, groupNumber: number): number[] {
  return framework.groups.filter((g) => groupsIncluded(framework, g.number).includes(groupNumber)).map((g) => g.number);
}

export interface GroupChanges {
  number: number;
  name: string;
  added: { number: number; text: string }[];
  reworded: { number: number; before: string; after: string }[];
  retired: { number: number; text: string }[];
  /** Competencies kept with the same words but a new place in the list. */
  reordered: { text: string; before: number; after: number }[];
  /** Group texts that changed (name, level, description ...), in plain words. */
  textChanges: string[];
  /** Groups whose staff are affected by a change to this group's competencies (this group and those including it). */
  affectsGroups: number[];
}

const GROUP_FIELDS: [keyof StaffGroup, string][] = [
  ['name', 'name'],
  ['level', 'level'],
  ['summary', 'summary'],
  ['description', 'description'],
  ['exampleRoles', 'example job roles'],
  ['includesGroups', 'groups it includes'],
  ['evidenceExamples', 'examples of evidence'],
  ['learningOpportunities', 'opportunities for learning'],
];

/**
 * What changes between two versions, group by group, matched by lineage: a
 * competency whose lineage is new is added, one whose words differ is
 * reworded, one that is gone or retired is retired.
 */
export function frameworkChanges(before: Pick<Framework, 'groups'>, after: Pick<Framework, 'groups'>): GroupChanges[] {
  const numbers = [...new Set([...before.groups, ...after.groups].map((g) => g.number))].sort((a, b) => a - b);
  return numbers.map((number) => {
    const oldGroup = before.groups.find((g) => g.number === number);
    const newGroup = after.groups.find((g) => g.number === number);
    const oldActive = oldGroup ? activeCompetencies(oldGroup) : [];
    const newActive = newGroup ? activeCompetencies(newGroup) : [];
    const oldByLineage = new Map(oldActive.map((c) => [c.lineage, c]));
    const newByLineage = new Map(newActive.map((c) => [c.lineage, c]));
    const changes: GroupChanges = {
      number,
      name: (newGroup ?? oldGroup)!.name,
      added: newActive.filter((c) => !oldByLineage.has(c.lineage)).map((c) => ({ number: c.number, text: c.text })),
      reworded: [],
      retired: oldActive.filter((c) => !newByLineage.has(c.lineage)).map((c) => ({ number: c.number, text: c.text })),
      reordered: [],
      textChanges: [],
      affectsGroups: groupsRequiring(newGroup ? after : before, number),
    };
    for (const c of newActive) {
      const old = oldByLineage.get(c.lineage);
      if (!old) continue;
      if (normalise(old.text) !== normalise(c.text)) changes.reworded.push({ number: c.number, before: old.text, after: c.text });
      else if (old.number !== c.number) changes.reordered.push({ text: c.text, before: old.number, after: c.number });
    }
    if (!oldGroup) changes.textChanges.push('new group');
    else if (!newGroup) changes.textChanges.push('group removed');
    else {
      for (const [field, label] of GROUP_FIELDS) {
        if (JSON.stringify(oldGroup[field]) !== JSON.stringify(newGroup[field])) changes.textChanges.push(label);
      }
    }
    return changes;
  });
}

export function hasCompetencyChanges(c: GroupChanges): boolean {
  return c.added.length + c.reworded.length + c.retired.length + c.reordered.length > 0;
}

/** How many current staff a set of changes reaches, from the count of staff in each group. */
export function staffAffected(changes: GroupChanges, staffByGroup: Record<number, number>): number {
  if (!hasCompetencyChanges(changes)) return 0;
  return changes.affectsGroups.reduce((sum, n) => sum + (staffByGroup[n] ?? 0), 0);
}

function normalise(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * Evidence examples as an administrator edits them: one a line, and a line
 * starting "# " is a heading for the examples after it (as the seed's
 * "As Domestic Abuse Referrer for their organisation:").
 */
export function evidenceExamplesToText(examples: StaffGroup['evidenceExamples']): string {
  const lines: string[] = [];
  let heading: string | null = null;
  for (const e of examples) {
    if (e.heading !== heading && e.heading) lines.push(`# ${e.heading}`);
    heading = e.heading;
    lines.push(e.text);
  }
  return lines.join('\n');
}

export function evidenceExamplesFromText(text: string): StaffGroup['evidenceExamples'] {
  const out: StaffGroup['evidenceExamples'] = [];
  let heading: string | null = null;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/\s+/g, ' ').trim();
    if (!line) continue;
    if (line.startsWith('#')) heading = line.replace(/^#+\s*/, '').replace(/:$/, '') || null;
    else out.push({ heading, text: line.replace(/^[·•\-*]\s*/, '') });
  }
  return out;
}

export const OPPORTUNITY_KINDS = ['delivery', 'theme', 'resource'] as const;

/** Learning opportunities, one a line, in three lists: how it is delivered, in-depth themes, resources. */
export function opportunitiesFromText(byKind: Record<(typeof OPPORTUNITY_KINDS)[number], string>): StaffGroup['learningOpportunities'] {
  return OPPORTUNITY_KINDS.flatMap((kind) =>
    byKind[kind]
      .split(/\r?\n/)
      .map((l) =>
        l
          .replace(/\s+/g, ' ')
          .trim()
          .replace(/^[·•\-*]\s*/, ''),
      )
      .filter(Boolean)
      .map((text) => ({ kind, text })),
  );
}
