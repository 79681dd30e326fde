import { somersetDocument } from './document';

/**
 * The Somerset Domestic Abuse Learning Development Framework, Appendix C of
 * the Somerset Domestic Abuse Strategy 2021-2024, word for word. It ships as a
 * framework document (public/somerset.framework.json), which the default
 * seed loads; this is that document in the shape the tests read.
 *
 * Obvious typos fixed (and only these):
 * - Group 4 heading: "without a direct reasonability/ accountability" → "responsibility/accountability".
 * - Group 2 summary: "They maybe a MARAC representative" → "They may be a MARAC representative".
 * - "IDVA's" → "IDVAs" (a plural, not a possessive).
 * - Group 3 delivery: "will need to access to more in depth training" → "will need access to more in depth training".
 */
export interface SeedGroup {
  number: number;
  name: string;
  level: string;
  summary: string;
  description: string;
  includesGroups: number[];
  exampleRoles: string[];
  competencies: string[];
  evidenceExamples: { heading?: string; text: string }[];
  learningOpportunities: { kind: 'delivery' | 'theme' | 'resource'; text: string }[];
}

const document = somersetDocument();

export const SOMERSET_LDF = {
  name: document.name,
  sourceNote: document.sourceNote ?? '',
  introduction: document.introduction ?? '',
  groups: document.groups.map(
    (g): SeedGroup => ({
      number: g.number,
      name: g.name,
      level: g.level,
      summary: g.summary ?? '',
      description: g.description ?? '',
      includesGroups: g.includesGroups ?? [],
      exampleRoles: g.exampleRoles ?? [],
      competencies: [...g.competencies].sort((a, b) => a.number - b.number).map((c) => c.text),
      evidenceExamples: g.evidenceExamples ?? [],
      learningOpportunities: g.learningOpportunities ?? [],
    }),
  ),
};

/** Stable identity of a competency across framework versions. */
export function seedLineage(groupNumber: number, competencyNumber: number): string {
  return `g${groupNumber}c${competencyNumber}`;
}
