/** Pure rules of course evaluation: reading a rating form and summarising ratings for the board. */

export interface FieldError {
  text: string;
  href: string;
}

export const CONFIDENCE_LEVELS = [
  { value: 1, text: 'Not at all confident' },
  { value: 2, text: 'Slightly confident' },
  { value: 3, text: 'Fairly confident' },
  { value: 4, text: 'Confident' },
  { value: 5, text: 'Very confident' },
];

/**
 * Reads one 1-5 rating per competency from fields c-0, c-1 ... (in the order
 * the form listed the competencies). Every competency needs a rating.
 */
export function parseRatings(
  body: Record<string, unknown>,
  competencies: { lineage: string; label: string }[],
): { errors: FieldError[]; ratings?: Map<string, number>; form: Record<string, string> } {
  const errors: FieldError[] = [];
  const ratings = new Map<string, number>();
  const form: Record<string, string> = {};
  competencies.forEach((c, i) => {
    const raw = typeof body[`c-${i}`] === 'string' ? (body[`c-${i}`] as string) : '';
    form[`c-${i}`] = raw;
    if (!/^[1-5]$/.test(raw)) errors.push({ text: `Select how confident you are: ${c.label}`, href: `#c-${i}` });
    else ratings.set(c.lineage, Number(raw));
  });
  return errors.length ? { errors, form } : { errors, ratings, form };
}

export function parseFollowUp(body: Record<string, unknown>): { errors: FieldError[]; answer?: string } {
  const answer = typeof body.answer === 'string' ? body.answer.trim() : '';
  if (!answer) return { errors: [{ text: 'Tell us how the training has changed your practice, even if only a little', href: '#answer' }] };
  if (answer.length > 5000) return { errors: [{ text: 'Keep your answer to 5,000 characters or fewer', href: '#answer' }] };
  return { errors: [], answer };
}

export interface RatingPair {
  lineage: string;
  staffId: string;
  before: number;
  after: number;
}

export interface CompetencyChange {
  lineage: string;
  people: number;
  /** Null when fewer people than the threshold rated it, so no one can be picked out. */
  averageBefore: number | null;
  averageAfter: number | null;
  averageChange: number | null;
}

/**
 * The board's view: per competency, the average confidence before and after
 * and the average change, over people who rated it both times. Competencies
 * rated by fewer people than the threshold show the count band only.
 */
export function confidenceChange(pairs: RatingPair[], threshold: number): CompetencyChange[] {
  const byLineage = new Map<string, RatingPair[]>();
  for (const p of pairs) byLineage.set(p.lineage, [...(byLineage.get(p.lineage) ?? []), p]);
  const round = (n: number) => Math.round(n * 10) / 10;
  return [...byLineage].map(([lineage, list]) => {
    const people = new Set(list.map((p) => p.staffId)).size;
    if (people < threshold) return { lineage, people, averageBefore: null, averageAfter: null, averageChange: null };
    const avg = (f: (p: RatingPair) => number) => list.reduce((a, p) => a + f(p), 0) / list.length;
    return {
      lineage,
      people,
      averageBefore: round(avg((p) => p.before)),
      averageAfter: round(avg((p) => p.after)),
      averageChange: round(avg((p) => p.after - p.before)),
    };
  });
}
