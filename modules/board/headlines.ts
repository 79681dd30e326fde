import { type ShownFigure, type ShownPercent, shownPercent, WITHHELD } from './suppression';
import type { FigureRow } from './view';

/**
 * The three figures a board opens with, worked out only from published
 * (protected) figures, so they disclose nothing the tables below do not.
 */
export interface Headline {
  /** What the figure is, in the board's words. */
  label: string;
  /** The figure itself: "72%", "+4 points", "[c]". */
  value: string;
  /** One line saying what it is made of. */
  detail: string;
}

const percent = (p: ShownPercent) => (typeof p === 'number' ? `${p}%` : p === WITHHELD ? WITHHELD : '–');
const count = (f: ShownFigure) => String(f);

export function boardHeadlines(total: FigureRow, previous?: { label: string; value: ShownPercent }): Headline[] {
  const compliant: Headline = {
    label: 'Staff compliant',
    value: percent(total.compliantPercent),
    detail: `${count(total.compliant)} of ${count(total.onSystem)} staff on the system have met their group’s requirements`,
  };

  let change: Headline;
  if (!previous) change = { label: 'Change since last quarter', value: '–', detail: 'No earlier quarter has been reported to compare with' };
  else if (typeof previous.value !== 'number' || typeof total.compliantPercent !== 'number')
    change = { label: 'Change since last quarter', value: WITHHELD, detail: `Withheld: ${previous.label} or now is withheld to protect individuals` };
  else {
    const points = total.compliantPercent - previous.value;
    change = {
      label: 'Change since last quarter',
      value: points === 0 ? 'No change' : `${points > 0 ? '+' : '−'}${Math.abs(points)} ${Math.abs(points) === 1 ? 'point' : 'points'}`,
      detail: `From ${previous.value}% compliant in ${previous.label}`,
    };
  }

  const coverage: Headline =
    total.declared == null
      ? { label: 'Coverage of declared headcount', value: '–', detail: 'No organisation has declared its headcount yet' }
      : {
          label: 'Coverage of declared headcount',
          value: percent(total.declaredBelowSystem ? 100 : shownPercent(total.onSystem, total.declared)),
          detail: `${count(total.onSystem)} staff on the system of ${count(total.declared)} the organisations declared`,
        };
  return [compliant, change, coverage];
}
