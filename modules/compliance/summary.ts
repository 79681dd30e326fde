import { addDays, type CompetencyResult, type ComplianceStatus } from './engine';

/** GOV.UK tag colours for each status, so the same status looks the same on every page. */
export const STATUS_TAGS: Record<ComplianceStatus, string> = {
  compliant: 'govuk-tag--green',
  'due-soon': 'govuk-tag--yellow',
  overdue: 'govuk-tag--red',
  'in-induction': 'govuk-tag--blue',
  'not-started': 'govuk-tag--grey',
  unmapped: 'govuk-tag--purple',
  'not-applicable': 'govuk-tag--grey',
  left: 'govuk-tag--grey',
};

/** One competency someone still needs, and why: expired on a day, or never evidenced (expired null). */
export interface Outstanding {
  competencyId: string;
  groupNumber: number;
  number: number;
  text: string;
  expired: string | null;
}

export interface StatusSummary {
  status: ComplianceStatus;
  tag: string;
  /** The day that goes with the status, and what it means: "since" for overdue, "by" for due soon, "until" for compliant. */
  date: string | null;
  dateMeaning: 'overdue-since' | 'due-by' | 'compliant-until' | 'induction-ends' | null;
  met: number;
  total: number;
  outstanding: Outstanding[];
}

/**
 * What a person's status means in dates, for them and for their lead. The day
 * beside "overdue" is when they became overdue (the earliest lapsed evidence,
 * or the end of their induction), never the next expiry of something they
 * have: a learner who passed one course but still needs others is overdue,
 * and showing the passed course's expiry beside that reads as a contradiction.
 */
export function statusSummary(
  person: { status: ComplianceStatus; competencies: CompetencyResult[]; nextExpiry: string | null; startDate?: string | null },
  inductionDays: number,
): StatusSummary {
  const unmet = person.competencies.filter((c) => !c.met);
  const inductionEnds = person.startDate ? addDays(person.startDate, inductionDays) : null;
  let date: string | null = null;
  let dateMeaning: StatusSummary['dateMeaning'] = null;
  if (person.status === 'overdue') {
    // Unmet since the earliest expiry, or always when something was never evidenced; overdue from then, but not before the induction period ended.
    const neverMet = unmet.some((c) => c.expires == null);
    const firstLapse = neverMet ? null : (unmet.map((c) => c.expires as string).sort()[0] ?? null);
    date = firstLapse && inductionEnds ? [firstLapse, inductionEnds].sort()[1] : (firstLapse ?? inductionEnds);
    dateMeaning = date ? 'overdue-since' : null;
  } else if (person.status === 'due-soon') {
    date = person.nextExpiry;
    dateMeaning = 'due-by';
  } else if (person.status === 'compliant') {
    date = person.nextExpiry;
    dateMeaning = date ? 'compliant-until' : null;
  } else if (person.status === 'in-induction') {
    date = inductionEnds;
    dateMeaning = 'induction-ends';
  }
  return {
    status: person.status,
    tag: STATUS_TAGS[person.status],
    date,
    dateMeaning,
    met: person.competencies.length - unmet.length,
    total: person.competencies.length,
    outstanding: unmet.map((c) => ({ competencyId: c.competencyId, groupNumber: c.groupNumber, number: c.number, text: c.text, expired: c.expires })),
  };
}
