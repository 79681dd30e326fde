/**
 * The GOV.UK date input: three text boxes (name-day, name-month, name-year)
 * read into 'YYYY-MM-DD', with the design system's error messages
 * ("Date of the training must include a month", "... must be a real date").
 * Whatever was typed comes back with the error so the form can show it again.
 */

export type DatePart = 'day' | 'month' | 'year';
export interface DateParts {
  day: string;
  month: string;
  year: string;
}
export interface DateInputError {
  text: string;
  href: string;
  /** The boxes to mark as wrong; the whole date when it is not a real one. */
  parts: DatePart[];
}
export interface DateInputResult {
  value?: string;
  /** What was typed, or the value split into its boxes. */
  entered: DateParts;
  error?: DateInputError;
}
export interface DateLimits {
  /** Latest allowed day, 'YYYY-MM-DD', and the sentence ending when later ("must be today or in the past"). */
  latest?: { day: string; message: string };
  earliest?: { day: string; message: string };
}

const ALL: DatePart[] = ['day', 'month', 'year'];
const ISO_DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

function field(body: Record<string, unknown>, name: string): string {
  const v = body[name];
  return typeof v === 'string' ? v.trim() : Array.isArray(v) && typeof v[0] === 'string' ? v[0].trim() : '';
}

/** A stored day ('2026-03-04') as the boxes show it: 4, 3, 2026. */
export function datePartsOf(value: unknown): DateParts {
  if (value && typeof value === 'object') {
    const p = value as Partial<DateParts>;
    return { day: p.day ?? '', month: p.month ?? '', year: p.year ?? '' };
  }
  const iso = value instanceof Date ? value.toISOString().slice(0, 10) : typeof value === 'string' ? value.slice(0, 10) : '';
  const m = ISO_DAY.exec(iso);
  return m ? { day: String(Number(m[3])), month: String(Number(m[2])), year: m[1] } : { day: '', month: '', year: '' };
}

function realDay(parts: DateParts): string | undefined {
  const iso = `${parts.year}-${parts.month.padStart(2, '0')}-${parts.day.padStart(2, '0')}`;
  const d = new Date(`${iso}T12:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === iso ? iso : undefined;
}

/**
 * Reads the date input called `name`. `label` names the date as a sentence
 * would after "Enter": "the date of the training". A form posted by a script
 * may send the day whole as `name=YYYY-MM-DD` instead.
 */
export function readDateInput(body: Record<string, unknown>, name: string, label: string, limits: DateLimits = {}): DateInputResult {
  const typed: DateParts = { day: field(body, `${name}-day`), month: field(body, `${name}-month`), year: field(body, `${name}-year`) };
  const whole = field(body, name);
  const entered = !typed.day && !typed.month && !typed.year && ISO_DAY.test(whole) ? datePartsOf(whole) : typed;
  const fail = (text: string, parts: DatePart[]): DateInputResult => ({ entered, error: { text, href: `#${name}-${parts[0]}`, parts } });
  const missing = ALL.filter((p) => !entered[p]);
  if (missing.length === 3) return fail(whole ? `${capitalise(label)} must be a real date` : `Enter ${label}`, ALL);
  if (missing.length) return fail(`${capitalise(label)} must include a ${missing.join(' and ')}`, missing);
  const notNumber = ALL.filter((p) => !/^\d+$/.test(entered[p]));
  if (notNumber.length) return fail(`${capitalise(label)} must be a real date`, notNumber);
  if (entered.year.length !== 4) return fail('Year must include 4 numbers', ['year']);
  const value = realDay(entered);
  if (!value) {
    const day = Number(entered.day);
    const month = Number(entered.month);
    const parts: DatePart[] = month < 1 || month > 12 ? (day < 1 || day > 31 ? ['day', 'month'] : ['month']) : ['day'];
    return fail(`${capitalise(label)} must be a real date`, parts);
  }
  if (limits.latest && value > limits.latest.day) return fail(`${capitalise(label)} ${limits.latest.message}`, ALL);
  if (limits.earliest && value < limits.earliest.day) return fail(`${capitalise(label)} ${limits.earliest.message}`, ALL);
  return { value, entered };
}

/** An optional date (a filter): nothing typed is no date, not an error. */
export function readOptionalDateInput(body: Record<string, unknown>, name: string, label: string, limits: DateLimits = {}): DateInputResult {
  const result = readDateInput(body, name, label, limits);
  const nothingTyped = !ALL.some((p) => result.entered[p]) && !field(body, name);
  return result.error && nothingTyped ? { entered: result.entered } : result;
}

/** A date input as a form keeps it: the day whole ('YYYY-MM-DD', as stored or sent by a script) or the boxes as typed. */
export type DateValue = string | DateParts;

/** Reads a date input into a DateValue, for a form object to carry until it is checked. */
export function dateValueFrom(body: Record<string, unknown>, name: string): DateValue {
  const { entered } = readDateInput(body, name, '');
  return entered.day || entered.month || entered.year ? entered : '';
}

/** Checks a DateValue as `readDateInput` would check the boxes. */
export function checkDateValue(value: DateValue, name: string, label: string, limits: DateLimits = {}): DateInputResult {
  const parts = datePartsOf(value);
  return readDateInput({ [`${name}-day`]: parts.day, [`${name}-month`]: parts.month, [`${name}-year`]: parts.year }, name, label, limits);
}

/** Limits for a day something happened: not after today, and not before the year the framework's records begin. */
export function pastDay(today: string, earliest = '1990-01-01'): DateLimits {
  return {
    latest: { day: today, message: 'must be today or in the past' },
    earliest: { day: earliest, message: `must be in ${earliest.slice(0, 4)} or later` },
  };
}

/**
 * A time typed in one box (GOV.UK has no time component): "9:30am", "2pm",
 * "14:30", "12 noon". Gives 'HH:MM' on the 24-hour clock, or undefined.
 */
export function parseClockTime(text: string): string | undefined {
  const t = text
    .trim()
    .toLowerCase()
    .replace(/\s+/g, '')
    .replace(/noon$/, 'pm')
    .replace(/midday$/, 'pm');
  const m = /^(\d{1,2})(?:[:.](\d{2}))?(am|pm)?$/.exec(t);
  if (!m) return undefined;
  let hour = Number(m[1]);
  const minute = Number(m[2] ?? '0');
  if (minute > 59) return undefined;
  if (m[3]) {
    if (hour < 1 || hour > 12) return undefined;
    hour = (hour % 12) + (m[3] === 'pm' ? 12 : 0);
  } else if (m[2] === undefined || hour > 23) {
    // "9" alone could be morning or evening: without am or pm, a time is read on the 24-hour clock and needs its minutes.
    return undefined;
  }
  return `${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}`;
}

/** Reads a time box: 'HH:MM', or the GOV.UK-style message for what is wrong. */
export function readTimeInput(text: string, name: string, label: string): { value?: string; error?: { text: string; href: string } } {
  if (!text.trim()) return { error: { text: `Enter ${label}`, href: `#${name}` } };
  const value = parseClockTime(text);
  return value ? { value } : { error: { text: `${capitalise(label)} must be a real time, for example 9:30am or 2pm`, href: `#${name}` } };
}
