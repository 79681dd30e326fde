import { z } from 'zod';

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'Enter a date as YYYY-MM-DD');
const time = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'Enter a time as HH:MM, for example 08:00');

/**
 * An organisation's reminder policy, stored in organisations.reminder_policy.
 * Every key is optional there: what the organisation leaves out comes from
 * the partnership defaults (reminder_defaults), and then from DEFAULT_POLICY.
 */
export const ReminderPolicySchema = z
  .object({
    /** Days before expiry to remind, e.g. [60, 30, 7]; largest first once normalised. */
    stepsBeforeExpiry: z.array(z.number().int().min(1).max(365)).max(6),
    /** Once overdue, remind again every this many days. */
    overdueRepeatDays: z.number().int().min(1).max(365),
    /** Tell the organisational lead when someone is this many days overdue; null never. */
    escalateAfterDays: z.number().int().min(0).max(365).nullable(),
    /** The leads' digest: weekly on a weekday (1 Monday .. 7 Sunday) or monthly on a day (1..28), at a London time. */
    digest: z.object({
      frequency: z.enum(['weekly', 'monthly', 'off']),
      day: z.number().int().min(1).max(28),
      time,
    }),
    /** London time of day at which the daily reminder scan runs. */
    scanTime: time,
    /** Days on which no reminders go out (inclusive), e.g. Christmas closure. */
    quietPeriods: z.array(z.object({ from: day, to: day })).max(20),
  })
  .superRefine((p, ctx) => {
    if (p.digest.frequency === 'weekly' && p.digest.day > 7)
      ctx.addIssue({ code: 'custom', path: ['digest', 'day'], message: 'A weekly digest day is 1 (Monday) to 7 (Sunday)' });
    p.quietPeriods.forEach((q, i) => {
      if (q.to < q.from) ctx.addIssue({ code: 'custom', path: ['quietPeriods', i], message: 'A quiet period must end on or after the day it starts' });
    });
  });

export type ReminderPolicy = z.infer<typeof ReminderPolicySchema>;

export const DEFAULT_POLICY: ReminderPolicy = {
  stepsBeforeExpiry: [60, 30, 7],
  overdueRepeatDays: 30,
  escalateAfterDays: 14,
  digest: { frequency: 'weekly', day: 1, time: '08:00' },
  scanTime: '07:00',
  quietPeriods: [],
};

/** Keys an organisation (or the partnership) has set; anything malformed is ignored rather than trusted. */
export function partialPolicy(stored: unknown): Partial<ReminderPolicy> {
  if (!stored || typeof stored !== 'object') return {};
  const out: Partial<ReminderPolicy> = {};
  const shape = ReminderPolicySchema.shape;
  for (const key of Object.keys(shape) as (keyof ReminderPolicy)[]) {
    const value = (stored as Record<string, unknown>)[key];
    if (value === undefined) continue;
    const parsed = shape[key].safeParse(value);
    if (parsed.success) (out as Record<string, unknown>)[key] = parsed.data;
  }
  return out;
}

/** The policy in force: organisation over partnership over built-in defaults. */
export function effectivePolicy(partnership: unknown, organisation: unknown): ReminderPolicy {
  const merged = { ...DEFAULT_POLICY, ...partialPolicy(partnership), ...partialPolicy(organisation) };
  const parsed = ReminderPolicySchema.safeParse(merged);
  const policy = parsed.success ? parsed.data : DEFAULT_POLICY;
  return { ...policy, stepsBeforeExpiry: [...new Set(policy.stepsBeforeExpiry)].sort((a, b) => b - a) };
}

export interface FormError {
  text: string;
  href: string;
}

export interface PolicyForm {
  steps: string;
  overdueRepeatDays: string;
  escalateAfterDays: string;
  digestFrequency: string;
  digestDay: string;
  digestTime: string;
  scanTime: string;
  quietPeriods: string;
}

export function policyToForm(p: ReminderPolicy): PolicyForm {
  return {
    steps: p.stepsBeforeExpiry.join(', '),
    overdueRepeatDays: String(p.overdueRepeatDays),
    escalateAfterDays: p.escalateAfterDays == null ? '' : String(p.escalateAfterDays),
    digestFrequency: p.digest.frequency,
    digestDay: String(p.digest.day),
    digestTime: p.digest.time,
    scanTime: p.scanTime,
    quietPeriods: p.quietPeriods.map((q) => `${q.from} to ${q.to}`).join('\n'),
  };
}

const FIELD_FOR: Record<string, string> = {
  stepsBeforeExpiry: 'steps',
  overdueRepeatDays: 'overdueRepeatDays',
  escalateAfterDays: 'escalateAfterDays',
  'digest.frequency': 'digestFrequency',
  'digest.day': 'digestDay',
  'digest.time': 'digestTime',
  scanTime: 'scanTime',
  quietPeriods: 'quietPeriods',
};

/** Reads the policy form; errors name the field they belong to, for the GOV.UK error summary. */
export function policyFromForm(body: Record<string, unknown>): { policy?: ReminderPolicy; errors: FormError[]; form: PolicyForm } {
  const s = (k: string) => (typeof body[k] === 'string' ? (body[k] as string).trim() : '');
  const form: PolicyForm = {
    steps: s('steps'),
    overdueRepeatDays: s('overdueRepeatDays'),
    escalateAfterDays: s('escalateAfterDays'),
    digestFrequency: s('digestFrequency'),
    digestDay: s('digestDay'),
    digestTime: s('digestTime'),
    scanTime: s('scanTime'),
    quietPeriods: s('quietPeriods'),
  };
  const errors: FormError[] = [];
  const int = (v: string, field: string, label: string): number => {
    if (!/^\d+$/.test(v)) {
      errors.push({ text: `${label} must be a whole number`, href: `#${field}` });
      return Number.NaN;
    }
    return Number(v);
  };
  const steps =
    form.steps === ''
      ? []
      : form.steps
          .split(/[\s,]+/)
          .filter(Boolean)
          .map((x) => (/^\d+$/.test(x) ? Number(x) : Number.NaN));
  if (steps.some((n) => Number.isNaN(n)))
    errors.push({ text: 'Days before expiry must be whole numbers separated by commas, for example 60, 30, 7', href: '#steps' });
  const quiet: { from: string; to: string }[] = [];
  for (const line of form.quietPeriods
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean)) {
    const m = line.match(/^(\d{4}-\d{2}-\d{2})\s*(?:to|-|–)\s*(\d{4}-\d{2}-\d{2})$/);
    if (!m) {
      errors.push({ text: `Write each quiet period as YYYY-MM-DD to YYYY-MM-DD ("${line}" is not)`, href: '#quietPeriods' });
      continue;
    }
    quiet.push({ from: m[1], to: m[2] });
  }
  const candidate = {
    stepsBeforeExpiry: steps,
    overdueRepeatDays: int(form.overdueRepeatDays, 'overdueRepeatDays', 'Days between overdue reminders'),
    escalateAfterDays: form.escalateAfterDays === '' ? null : int(form.escalateAfterDays, 'escalateAfterDays', 'Days overdue before telling the lead'),
    digest: { frequency: form.digestFrequency, day: int(form.digestDay, 'digestDay', 'Digest day'), time: form.digestTime },
    scanTime: form.scanTime,
    quietPeriods: quiet,
  };
  if (errors.length) return { errors, form };
  const parsed = ReminderPolicySchema.safeParse(candidate);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path.map(String);
      const key = FIELD_FOR[path.slice(0, 2).join('.')] ?? FIELD_FOR[path[0]] ?? 'steps';
      errors.push({ text: issue.message, href: `#${key}` });
    }
    return { errors, form };
  }
  return { policy: { ...parsed.data, stepsBeforeExpiry: [...new Set(parsed.data.stepsBeforeExpiry)].sort((a, b) => b - a) }, errors, form };
}
