import { readDateInput } from '../../server/date-input';
import { DateTime } from 'luxon';
import { isStandardId, type StandardId } from './standards';

export interface FieldError {
  text: string;
  href: string;
}

export const DELIVERY_MODES = [
  { value: 'face-to-face', text: 'Face to face (or live online)' },
  { value: 'elearning', text: 'E-learning' },
  { value: 'blended', text: 'Blended' },
] as const;

export interface SubmissionForm {
  organisationId: string;
  title: string;
  description: string;
  learningOutcomes: string;
  delivery: string;
  lineages: string[];
  /** Justification per competency lineage. */
  justifications: Record<string, string>;
}

export interface Submission {
  organisationId: string;
  title: string;
  description: string;
  learningOutcomes: string;
  delivery: 'face-to-face' | 'elearning' | 'blended';
  mappings: { lineage: string; justification: string }[];
}

const text = (v: unknown) => (typeof v === 'string' ? v.trim() : '');
const list = (v: unknown) => (Array.isArray(v) ? v : typeof v === 'string' ? [v] : []).map(String);

/** The form posts competencies as `lineage` and each justification as `why-<index>` in the order the form lists competencies. */
export function submissionForm(body: Record<string, unknown>, competencyOrder: string[]): SubmissionForm {
  const justifications: Record<string, string> = {};
  competencyOrder.forEach((lineage, i) => {
    justifications[lineage] = text(body[`why-${i}`]);
  });
  return {
    organisationId: text(body.organisationId),
    title: text(body.title),
    description: text(body.description),
    learningOutcomes: text(body.learningOutcomes),
    delivery: text(body.delivery),
    lineages: list(body.lineage),
    justifications,
  };
}

export function validateSubmission(
  form: SubmissionForm,
  known: { organisationIds: string[]; competencies: { lineage: string; label: string }[] },
): { errors: FieldError[]; value?: Submission } {
  const lineageOrder = known.competencies.map((c) => c.lineage);
  const errors: FieldError[] = [];
  if (!known.organisationIds.includes(form.organisationId)) errors.push({ text: 'Select the organisation that runs this course', href: '#organisationId' });
  if (!form.title) errors.push({ text: 'Enter the title of the course', href: '#title' });
  else if (form.title.length > 200) errors.push({ text: 'Keep the title to 200 characters or fewer', href: '#title' });
  if (form.description.length > 5000) errors.push({ text: 'Keep the description to 5,000 characters or fewer', href: '#description' });
  if (!form.learningOutcomes) errors.push({ text: 'Enter the learning outcomes, one on each line', href: '#learningOutcomes' });
  else if (form.learningOutcomes.length > 10000) errors.push({ text: 'Keep the learning outcomes to 10,000 characters or fewer', href: '#learningOutcomes' });
  if (!DELIVERY_MODES.some((d) => d.value === form.delivery)) errors.push({ text: 'Select how the course is delivered', href: '#delivery' });
  const lineages = [...new Set(form.lineages)].filter((l) => lineageOrder.includes(l));
  if (!lineages.length) errors.push({ text: 'Select at least one competency the course meets', href: '#competencies' });
  for (const lineage of lineages) {
    const why = form.justifications[lineage] ?? '';
    const i = lineageOrder.indexOf(lineage);
    const name = known.competencies[i].label;
    if (!why) errors.push({ text: `Explain how the course meets ${name}`, href: `#why-${i}` });
    else if (why.length > 2000) errors.push({ text: `Keep the explanation for ${name} to 2,000 characters or fewer`, href: `#why-${i}` });
  }
  if (errors.length) return { errors };
  return {
    errors,
    value: {
      organisationId: form.organisationId,
      title: form.title,
      description: form.description,
      learningOutcomes: form.learningOutcomes,
      delivery: form.delivery as Submission['delivery'],
      mappings: lineages.map((lineage) => ({ lineage, justification: form.justifications[lineage] })),
    },
  };
}

export interface ReviewDecision {
  decision: 'approved' | 'rejected';
  comments: string;
  standardsMet: StandardId[];
}

/**
 * A review approves only a course that meets every training standard; a
 * rejection needs comments so the organisation knows what to change.
 */
export function validateReview(body: Record<string, unknown>, standardIds: readonly string[]): { errors: FieldError[]; value?: ReviewDecision } {
  const errors: FieldError[] = [];
  const decision = text(body.decision);
  const comments = text(body.comments);
  const standardsMet = list(body.standard).filter(isStandardId);
  if (decision !== 'approved' && decision !== 'rejected') errors.push({ text: 'Select whether to approve or reject the course', href: '#decision' });
  if (decision === 'approved' && standardsMet.length < standardIds.length) {
    errors.push({
      text: 'A course can be approved only when it meets every training standard: tick each one it meets, or reject it with comments',
      href: '#standards',
    });
  }
  if (decision === 'rejected' && !comments) errors.push({ text: 'Enter comments saying what the organisation needs to change', href: '#comments' });
  if (comments.length > 5000) errors.push({ text: 'Keep the comments to 5,000 characters or fewer', href: '#comments' });
  if (errors.length) return { errors };
  return { errors, value: { decision: decision as ReviewDecision['decision'], comments, standardsMet } };
}

/** The day people completed the course: a real date, not in the future, within the last five years. */
export function validateCompletion(
  body: Record<string, unknown>,
  staffIds: string[],
  today: string,
): { errors: FieldError[]; value?: { staffIds: string[]; completedOn: string } } {
  const errors: FieldError[] = [];
  const chosen = [...new Set(list(body.staffId))].filter((id) => staffIds.includes(id));
  const fiveYearsAgo = DateTime.fromISO(today).minus({ years: 5 }).toISODate() as string;
  const day = readDateInput(body, 'completedOn', 'the date they completed the course', {
    latest: { day: today, message: 'must be today or in the past' },
    earliest: { day: fiveYearsAgo, message: 'must be within the last five years' },
  });
  if (day.error) errors.push(day.error);
  if (!chosen.length) errors.push({ text: 'Select the people who completed the course', href: '#staffId' });
  if (errors.length || !day.value) return { errors };
  return { errors, value: { staffIds: chosen, completedOn: day.value } };
}

/** A web address name for the course, unique by a suffix the caller adds on a clash. */
export function courseSlug(organisationSlug: string, title: string): string {
  const words = title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 50)
    .replace(/-$/, '');
  return `in-house-${organisationSlug}-${words || 'course'}`.slice(0, 90).replace(/-$/, '');
}
