import { checkDateValue, type DateValue, dateValueFrom, pastDay } from '../../server/date-input';

export interface FieldError {
  text: string;
  href: string;
}

export const SIGN_OFF_KINDS = {
  'observed-practice': 'Observed practice',
  supervision: 'Supervision',
  discussion: 'Reflective discussion',
} as const;
export type SignOffKind = keyof typeof SIGN_OFF_KINDS;

export const MAX_DOCUMENT_BYTES = 5 * 1024 * 1024;

/** Accepted document types, recognised by their first bytes as well as their name. */
const DOCUMENT_TYPES: { ext: RegExp; type: string; magic: number[] }[] = [
  { ext: /\.pdf$/i, type: 'application/pdf', magic: [0x25, 0x50, 0x44, 0x46] },
  { ext: /\.jpe?g$/i, type: 'image/jpeg', magic: [0xff, 0xd8, 0xff] },
  { ext: /\.png$/i, type: 'image/png', magic: [0x89, 0x50, 0x4e, 0x47] },
  { ext: /\.docx$/i, type: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', magic: [0x50, 0x4b, 0x03, 0x04] },
];

/** The content type of an upload, or null when it is not a PDF, JPEG, PNG or Word (.docx) file. */
export function documentType(filename: string, head: Buffer): string | null {
  const match = DOCUMENT_TYPES.find((t) => t.ext.test(filename));
  if (!match || head.length < match.magic.length) return null;
  return match.magic.every((b, i) => head[i] === b) ? match.type : null;
}

/** The day training or a sign-off happened: a real date, today or earlier. */
export function achievedDay(value: DateValue, label: string, today: string, name = 'achievedOn') {
  return checkDateValue(value, name, label, pastDay(today));
}

export interface RecordForm {
  kind: 'sign-off' | 'prior-learning';
  signOffKind: string;
  competencyIds: string[];
  achievedOn: DateValue;
  evidenceExample: string;
  note: string;
}

export function recordFormFrom(kind: RecordForm['kind'], body: Record<string, unknown>): RecordForm {
  const s = (k: string) => (typeof body[k] === 'string' ? (body[k] as string).trim() : '');
  const ids = body.competencyIds;
  return {
    kind,
    signOffKind: s('signOffKind'),
    competencyIds: (Array.isArray(ids) ? ids : typeof ids === 'string' ? [ids] : []).map(String),
    achievedOn: dateValueFrom(body, 'achievedOn'),
    evidenceExample: s('evidenceExample'),
    note: s('note'),
  };
}

/** Sign-off needs how it was seen, the evidence example it meets and a note; prior learning needs a description. */
export function validateRecord(form: RecordForm, known: { competencyIds: string[]; examples: string[] }, today: string): FieldError[] {
  const errors: FieldError[] = [];
  if (form.kind === 'sign-off' && !Object.hasOwn(SIGN_OFF_KINDS, form.signOffKind))
    errors.push({ text: 'Select how you saw the competency', href: '#signOffKind' });
  if (!form.competencyIds.length) errors.push({ text: 'Select at least one competency', href: '#competencyIds' });
  else if (form.competencyIds.some((id) => !known.competencyIds.includes(id)))
    errors.push({ text: 'Select competencies from the list', href: '#competencyIds' });
  const day = achievedDay(form.achievedOn, 'the date it was achieved', today);
  if (day.error) errors.push(day.error);
  if (form.kind === 'sign-off' && !known.examples.includes(form.evidenceExample))
    errors.push({ text: 'Select the evidence example this meets', href: '#evidenceExample' });
  if (!form.note)
    errors.push({
      text: form.kind === 'sign-off' ? 'Enter a note of what you saw or discussed' : 'Describe the prior learning and where it took place',
      href: '#note',
    });
  else if (form.note.length > 2000) errors.push({ text: 'The note must be 2000 characters or fewer', href: '#note' });
  return errors;
}

export function validateChange(form: { action: string; reason: string; achievedOn: DateValue; note?: string }, today: string): FieldError[] {
  const errors: FieldError[] = [];
  if (form.action !== 'correct' && form.action !== 'withdraw') errors.push({ text: 'Select whether to correct or withdraw this evidence', href: '#action' });
  const day = form.action === 'correct' ? achievedDay(form.achievedOn, 'the corrected date', today) : undefined;
  if (day?.error) errors.push(day.error);
  if (!form.reason) errors.push({ text: 'Enter the reason for the change', href: '#reason' });
  else if (form.reason.length > 1000) errors.push({ text: 'The reason must be 1000 characters or fewer', href: '#reason' });
  if ((form.note ?? '').length > 2000) errors.push({ text: 'The corrected note must be 2000 characters or fewer', href: '#note' });
  return errors;
}

export function validateVerify(
  form: { competencyIds: string[]; achievedOn: DateValue },
  known: string[],
  today: string,
  name = 'verify-achievedOn',
): FieldError[] {
  const errors: FieldError[] = [];
  if (!form.competencyIds.length || form.competencyIds.some((id) => !known.includes(id)))
    errors.push({ text: 'Select the competencies this document evidences', href: '#verify-competencyIds' });
  const day = achievedDay(form.achievedOn, 'the date of the training', today, name);
  if (day.error) errors.push(day.error);
  return errors;
}
