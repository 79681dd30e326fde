import { MAX_GROUPS } from '../framework/api';
import type { CourseInput } from './store';

export interface FieldError {
  text: string;
  href: string;
}

type Form = Record<string, unknown>;

function str(form: Form, name: string): string {
  const v = form[name];
  return (Array.isArray(v) ? String(v[0] ?? '') : String(v ?? '')).trim();
}

function many(form: Form, name: string): string[] {
  const v = form[name];
  if (v === undefined || v === null || v === '') return [];
  return (Array.isArray(v) ? v : [v]).map(String).filter(Boolean);
}

function optionalWhole(form: Form, name: string, min: number, max: number, label: string, errors: FieldError[]): number | null {
  const raw = str(form, name);
  if (raw === '') return null;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    errors.push({ text: `${label} must be a whole number from ${min} to ${max}`, href: `#${name}` });
    return null;
  }
  return Number(raw);
}

/**
 * Reads the course form. Competencies must come from the published framework
 * (`knownLineages`) and prerequisites from existing courses (`knownCourseIds`).
 */
export function parseCourseForm(
  form: Form,
  known: { lineages: Set<string>; courseIds: Set<string>; groups?: Set<number> },
): { input: CourseInput; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const title = str(form, 'title');
  if (!title) errors.push({ text: 'Enter a title', href: '#title' });
  else if (title.length > 300) errors.push({ text: 'Title must be 300 characters or fewer', href: '#title' });
  const slug = str(form, 'slug').toLowerCase();
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(slug) || slug.length > 80) {
    errors.push({ text: 'Enter a web address name using lower-case letters, numbers and hyphens, like domestic-abuse-awareness', href: '#slug' });
  }
  const audience = str(form, 'audience');
  if (audience !== 'professionals' && audience !== 'public') errors.push({ text: 'Select who the course is for', href: '#audience' });
  const delivery = str(form, 'delivery');
  if (!['elearning', 'face-to-face', 'blended'].includes(delivery)) errors.push({ text: 'Select how the course is delivered', href: '#delivery' });
  const groups = many(form, 'groups').map(Number);
  if (groups.some((g) => (known.groups ? !known.groups.has(g) : !Number.isInteger(g) || g < 1 || g > MAX_GROUPS)))
    errors.push({ text: 'Select groups from the framework', href: '#groups' });
  const passMark = optionalWhole(form, 'passMark', 0, 100, 'Pass mark', errors);
  const validityMonths = optionalWhole(form, 'validityMonths', 1, 240, 'Valid for', errors);
  const lineages = many(form, 'competencies');
  if (lineages.some((l) => !known.lineages.has(l))) errors.push({ text: 'Select competencies from the published framework', href: '#competencies' });
  const prerequisites = many(form, 'prerequisites');
  if (prerequisites.some((p) => !known.courseIds.has(p))) errors.push({ text: 'Select prerequisites from the catalogue', href: '#prerequisites' });
  const status = str(form, 'status') || 'published';
  if (!['draft', 'published', 'retired'].includes(status)) errors.push({ text: 'Select a status', href: '#status' });
  const finishedAttempt = str(form, 'finishedAttempt') || 'review-or-retake';
  if (!['review-only', 'review-or-retake'].includes(finishedAttempt))
    errors.push({ text: 'Select what learners may do after finishing', href: '#finishedAttempt' });
  const contentWarning = str(form, 'contentWarning');
  if (contentWarning.length > 1000) errors.push({ text: 'Content warning must be 1000 characters or fewer', href: '#contentWarning' });
  const description = str(form, 'description');
  if (description.length > 10_000) errors.push({ text: 'Description must be 10,000 characters or fewer', href: '#description' });
  return {
    input: {
      slug,
      title,
      description,
      audience: audience as CourseInput['audience'],
      delivery: delivery as CourseInput['delivery'],
      groupNumbers: [...new Set(groups)].sort((a, b) => a - b),
      passMark,
      validityMonths,
      contentWarning: contentWarning || null,
      status: status as CourseInput['status'],
      finishedAttempt: finishedAttempt as CourseInput['finishedAttempt'],
      competencyLineages: [...new Set(lineages)],
      prerequisiteIds: [...new Set(prerequisites)],
    },
    errors,
  };
}
