/**
 * Which LDF group a job title belongs to. Pure rules, no database: the store
 * hands in the partnership's default mappings and the organisation's own.
 *
 * Matching is on exact normalised keys, never a fuzzy guess: a title with no
 * mapping is left without a group and listed for the organisational lead.
 * `jobTitleKey` ignores case, spacing and punctuation, treats '&' as 'and',
 * and treats a plural last word as singular ("Housing Officers" = "housing
 * officer", "Deputies" = "deputy"), so one mapping covers both spellings.
 */

export interface JobRoleMapping {
  /** jobTitleKey of the title. */
  key: string;
  group: number;
}

export type GroupDecision = { group: number; source: 'organisation-mapping' | 'partnership-mapping' } | { unmapped: true };

/** Words whose trailing 's' is not a plural; left alone when singularising. */
const NOT_PLURAL = new Set([
  'police',
  'business',
  'services',
  'analysis',
  'ss',
  'is',
  'us',
  'news',
  'sales',
  'affairs',
  'relations',
  'operations',
  'communications',
  'resources',
  'statistics',
  'finances',
]);

function singular(word: string): string {
  if (word.length <= 3 || NOT_PLURAL.has(word) || word.endsWith('ss') || word.endsWith('us') || word.endsWith('is')) return word;
  if (word.endsWith('ies')) return `${word.slice(0, -3)}y`;
  if (word.endsWith('s')) return word.slice(0, -1);
  return word;
}

export function jobTitleKey(title: string): string {
  const words = title
    .normalize('NFKC')
    .toLowerCase()
    .replace(/&/g, ' and ')
    .replace(/['’]/g, '')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim()
    .split(' ')
    .filter(Boolean);
  if (words.length === 0) return '';
  words[words.length - 1] = singular(words[words.length - 1]);
  return words.join(' ');
}

/** The organisation's own mapping wins; then the partnership default; otherwise unmapped. */
export function groupForJobTitle(
  title: string,
  partnershipMappings: readonly JobRoleMapping[],
  organisationMappings: readonly JobRoleMapping[],
): GroupDecision {
  const key = jobTitleKey(title);
  if (!key) return { unmapped: true };
  const own = organisationMappings.find((m) => m.key === key);
  if (own) return { group: own.group, source: 'organisation-mapping' };
  const partnership = partnershipMappings.find((m) => m.key === key);
  if (partnership) return { group: partnership.group, source: 'partnership-mapping' };
  return { unmapped: true };
}

/**
 * Default titles beyond the framework's own example roles, in the words the
 * issue and HR systems use. The framework's example roles come first, so an
 * edited framework's roles win over this list.
 */
export const DEFAULT_JOB_TITLES: Record<number, string[]> = {
  1: [
    'Admin staff',
    'Admin officer',
    'Admin assistant',
    'Administrator',
    'Administrative assistant',
    'Administrative officer',
    'HR staff',
    'HR adviser',
    'HR advisor',
    'HR officer',
    'Human resources officer',
    'Human resources adviser',
    'Call centre staff',
    'Call centre adviser',
    'Call centre advisor',
    'Call centre operator',
    'Customer services adviser',
    'Health and safety lead',
    'Health and safety officer',
    'Health and safety adviser',
    'Support staff',
  ],
  2: [
    'Social care worker',
    'Social worker',
    'Housing officer',
    'Police',
    'Police officer',
    'Police constable',
    'Constable',
    'Police sergeant',
    'Sergeant',
    'Probation',
    'Probation officer',
    'Probation practitioner',
    'Substance misuse worker',
    'Frontline manager',
    'Service manager',
    'Team manager',
  ],
  3: [
    'Safeguarding lead',
    'Safeguarding adult lead',
    'Safeguarding adults lead',
    'Safeguarding children lead',
    'Designated safeguarding lead',
    'Board member',
    'Domestic abuse board member',
    'Senior manager (safeguarding)',
    'Senior manager accountable for safeguarding',
    'Head of safeguarding',
  ],
  4: [
    'Chief executive',
    'Chief executive officer',
    'CEO',
    'Director',
    'Executive director',
    'Non-executive director',
    'Elected member',
    'Councillor',
    'Trustee',
  ],
};

/**
 * The partnership's default mappings: each group's example roles from the
 * published framework, then DEFAULT_JOB_TITLES. A title already taken by an
 * earlier entry keeps its first group (no title maps to two groups).
 */
export function defaultMappings(
  frameworkGroups: readonly { number: number; exampleRoles: readonly string[] }[],
): { jobTitle: string; key: string; group: number }[] {
  const out = new Map<string, { jobTitle: string; key: string; group: number }>();
  const add = (jobTitle: string, group: number) => {
    const key = jobTitleKey(jobTitle);
    if (key && !out.has(key)) out.set(key, { jobTitle, key, group });
  };
  for (const g of frameworkGroups) for (const role of g.exampleRoles) add(role, g.number);
  for (const [group, titles] of Object.entries(DEFAULT_JOB_TITLES)) for (const t of titles) add(t, Number(group));
  return [...out.values()];
}
