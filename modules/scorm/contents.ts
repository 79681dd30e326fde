import type { ManifestItem, ParsedManifest } from './manifest';

/** A SCO's state as the contents list shows it. */
export type ItemStatus = 'not attempted' | 'incomplete' | 'completed' | 'passed' | 'failed' | 'browsed';

export interface ContentsRow {
  identifier: string;
  title: string;
  depth: number;
  /** The SCO or asset the row opens; null for a heading of a section. */
  sco: string | null;
  status: ItemStatus | null;
  /** False while the item's SCORM 1.2 prerequisites are not met. */
  available: boolean;
}

const STATUS_WORDS: Record<string, ItemStatus> = {
  passed: 'passed',
  p: 'passed',
  completed: 'completed',
  c: 'completed',
  failed: 'failed',
  f: 'failed',
  incomplete: 'incomplete',
  i: 'incomplete',
  browsed: 'browsed',
  b: 'browsed',
  'not attempted': 'not attempted',
  n: 'not attempted',
};

/**
 * Whether a SCORM 1.2 prerequisites expression (the AICC script the CAM
 * allows: identifiers, & | ~, parentheses, identifier = or <> a status,
 * and n*{a,b,c}) is met. An identifier alone is met when that item is passed
 * or completed, as the CAM and Moodle read it. An expression that cannot be
 * read counts as met: a package author's typo must not lock learners out.
 */
export function prerequisitesMet(expression: string | undefined, statusOf: (identifier: string) => ItemStatus): boolean {
  if (!expression?.trim()) return true;
  const tokens = expression.match(/\s*("[^"]*"|<>|[&|~(){}=,*]|[^\s&|~(){}=,*<>"]+)/g)?.map((t) => t.trim()) ?? [];
  let i = 0;
  const peek = () => tokens[i];
  const next = () => tokens[i++];
  const done = (status: ItemStatus) => status === 'passed' || status === 'completed';
  const wordStatus = (word: string | undefined): ItemStatus | undefined =>
    word === undefined ? undefined : STATUS_WORDS[word.replace(/"/g, '').trim().toLowerCase()];

  function primary(): boolean {
    const t = next();
    if (t === undefined) throw new Error('unexpected end');
    if (t === '~') return !primary();
    if (t === '(') {
      const v = or();
      if (next() !== ')') throw new Error('missing )');
      return v;
    }
    if (/^\d+$/.test(t) && peek() === '*') {
      next();
      if (next() !== '{') throw new Error('missing {');
      let count = 0;
      for (;;) {
        const id = next();
        if (id === undefined) throw new Error('missing }');
        if (done(statusOf(id))) count += 1;
        const sep = next();
        if (sep === '}') break;
        if (sep !== ',') throw new Error('expected ,');
      }
      return count >= Number(t);
    }
    if (peek() === '=' || peek() === '<>') {
      const op = next();
      const wanted = wordStatus(next());
      if (!wanted) throw new Error('unknown status');
      const is = statusOf(t) === wanted;
      return op === '=' ? is : !is;
    }
    return done(statusOf(t));
  }
  function and(): boolean {
    let v = primary();
    while (peek() === '&') {
      next();
      v = primary() && v;
    }
    return v;
  }
  function or(): boolean {
    let v = and();
    while (peek() === '|') {
      next();
      v = and() || v;
    }
    return v;
  }
  try {
    const v = or();
    return i === tokens.length ? v : true;
  } catch {
    return true;
  }
}

/**
 * The contents list as the manifest lays it out: every visible item of the
 * default organisation, in order, headings of sections included, with each
 * SCO's status and whether its prerequisites let it be opened. Items the
 * manifest hides (isvisible="false") are left out with everything under them.
 */
export function contentsRows(manifest: ParsedManifest, statusOf: (identifier: string) => ItemStatus): ContentsRow[] {
  const rows: ContentsRow[] = [];
  const walk = (items: ManifestItem[], depth: number) => {
    for (const item of items) {
      if (item.visible === false) continue;
      rows.push({
        identifier: item.identifier,
        title: item.title,
        depth,
        sco: item.scoIdentifier,
        status: item.scoIdentifier ? statusOf(item.scoIdentifier) : null,
        available: item.scoIdentifier ? prerequisitesMet(item.prerequisites, statusOf) : true,
      });
      walk(item.children, depth + 1);
    }
  };
  const organisation = manifest.organisations[0];
  if (organisation?.items.length) walk(organisation.items, 0);
  else
    for (const s of manifest.scos)
      if (s.visible !== false)
        rows.push({
          identifier: s.identifier,
          title: s.title,
          depth: s.depth,
          sco: s.identifier,
          status: statusOf(s.identifier),
          available: prerequisitesMet(s.prerequisites, statusOf),
        });
  return rows;
}

/** Words for an item's or attempt's status, as the learner reads them. */
export const STATUS_LABELS: Record<ItemStatus, string> = {
  'not attempted': 'Not started',
  incomplete: 'In progress',
  browsed: 'Browsed',
  completed: 'Completed',
  passed: 'Passed',
  failed: 'Not passed',
};
