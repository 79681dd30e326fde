import type { BoardView, FigureRow } from './view';

/**
 * A few plain sentences on the biggest changes since the previous quarter,
 * written only from figures the board may see (suppressed figures are never
 * compared, so the commentary cannot reveal a hidden number).
 */

interface Change {
  subject: string;
  before: number;
  after: number;
}

function describe(c: Change): string {
  const diff = c.after - c.before;
  const direction = diff > 0 ? 'rose' : 'fell';
  const points = Math.abs(diff) === 1 ? '1 percentage point' : `${Math.abs(diff)} percentage points`;
  return `${c.subject}: the share compliant ${direction} from ${c.before}% to ${c.after}% (${diff > 0 ? 'up' : 'down'} ${points}).`;
}

function compliantChange(subject: string, before: FigureRow | undefined, after: FigureRow | undefined): Change | null {
  if (!before || !after || typeof before.compliantPercent !== 'number' || typeof after.compliantPercent !== 'number') return null;
  if (before.compliantPercent === after.compliantPercent) return null;
  return { subject, before: before.compliantPercent, after: after.compliantPercent };
}

function countSentence(what: string, before: number | string, after: number | string): string | null {
  if (typeof before !== 'number' || typeof after !== 'number' || before === after) return null;
  return `${what}: ${after}, ${after > before ? 'up' : 'down'} from ${before} the quarter before.`;
}

export function commentary(previous: BoardView | null, current: BoardView, limit = 5): string[] {
  const overall = current.partnership.total.compliantPercent;
  if (!previous) {
    return [
      overall == null
        ? 'This is the first quarter on record; changes will be described from the next quarter.'
        : `This is the first quarter on record: ${overall}% of staff on the system across the partnership were compliant. Changes will be described from the next quarter.`,
    ];
  }
  const changes: Change[] = [];
  const push = (c: Change | null) => {
    if (c) changes.push(c);
  };
  push(compliantChange('Whole partnership', previous.partnership.total, current.partnership.total));
  for (const g of current.partnership.groups)
    push(
      compliantChange(
        g.label,
        previous.partnership.groups.find((p) => p.label === g.label),
        g,
      ),
    );
  for (const s of current.sectors) push(compliantChange(`${s.name} sector`, previous.sectors.find((p) => p.key === s.key)?.total, s.total));
  for (const o of current.organisations) push(compliantChange(o.name, previous.organisations.find((p) => p.key === o.key)?.total, o.total));
  const [whole, ...rest] = changes;
  const biggest = (whole?.subject === 'Whole partnership' ? rest : changes)
    .sort((a, b) => Math.abs(b.after - b.before) - Math.abs(a.after - a.before) || a.subject.localeCompare(b.subject))
    .slice(0, limit);
  const sentences: string[] = [];
  if (whole?.subject === 'Whole partnership') sentences.push(describe(whole));
  else if (typeof overall === 'number') sentences.push(`Across the partnership the share compliant was unchanged at ${overall}%.`);
  sentences.push(...biggest.map(describe));
  for (const s of [
    countSentence('E-learning modules completed', previous.elearning.completions, current.elearning.completions),
    countSentence('Face-to-face sessions run', previous.faceToFace.sessionsRun, current.faceToFace.sessionsRun),
    countSentence('Agencies represented at face-to-face sessions', previous.faceToFace.agenciesRepresented, current.faceToFace.agenciesRepresented),
  ]) {
    if (s) sentences.push(s);
  }
  if (sentences.length === 0) sentences.push('No figure the board can see changed since the previous quarter.');
  return sentences;
}
