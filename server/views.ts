import path from 'node:path';
import type { Express } from 'express';
import { engine } from 'express-handlebars';
import type { HelperOptions } from 'handlebars';
import { type DatePart, datePartsOf } from './date-input';
import { clockTime, plural, sentenceCase } from './wording';

const LONDON = 'Europe/London';

function toDate(value: unknown): Date | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  if (value instanceof Date) return value;
  // A bare date ('2026-11-23') is a calendar day, not a UTC midnight.
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value)) return new Date(`${value}T12:00:00Z`);
  const d = new Date(value as string);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

const DATE_BOXES: { part: DatePart; label: string; width: number }[] = [
  { part: 'day', label: 'Day', width: 2 },
  { part: 'month', label: 'Month', width: 2 },
  { part: 'year', label: 'Year', width: 4 },
];

function dateError(errors: unknown, id: string): { text: string; parts?: DatePart[] } | undefined {
  if (!Array.isArray(errors)) return undefined;
  return (errors as { href?: string; text: string; parts?: DatePart[] }[]).find(
    (e) => e.href === `#${id}` || e.href === `#${id}-day` || e.href === `#${id}-month` || e.href === `#${id}-year`,
  );
}

/** Helpers every template may use; they format in the users' terms (UK dates, London time). */
export const helpers = {
  eq: (a: unknown, b: unknown) => a === b,
  ne: (a: unknown, b: unknown) => a !== b,
  gt: (a: number, b: number) => a > b,
  lt: (a: number, b: number) => a < b,
  and: (...args: unknown[]) => args.slice(0, -1).every(Boolean),
  or: (...args: unknown[]) => args.slice(0, -1).some(Boolean),
  not: (a: unknown) => !a,
  add: (a: number, b: number) => Number(a) + Number(b),
  includes: (list: unknown, item: unknown) => Array.isArray(list) && list.includes(item),
  json: (value: unknown) => JSON.stringify(value),
  /** 23 November 2026 */
  date: (value: unknown) => {
    const d = toDate(value);
    return d ? d.toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: LONDON }) : '';
  },
  /** 23 November 2026 at 2:30pm */
  datetime: (value: unknown) => {
    const d = toDate(value);
    if (!d) return '';
    const day = d.toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: LONDON });
    return `${day} at ${clockTime(d)}`;
  },
  /** 12pm, 2:30pm (London time) */
  time: (value: unknown) => {
    const d = toDate(value);
    return d ? clockTime(d) : '';
  },
  /** Published, Due soon: a stored status code in sentence case. */
  sentenceCase: (value: unknown) => (typeof value === 'string' ? sentenceCase(value) : ''),
  isoDate: (value: unknown) => {
    const d = toDate(value);
    return d ? d.toISOString().slice(0, 10) : '';
  },
  /** {{plural n "person" "people"}}: 1 person, 2 people */
  plural: (count: unknown, singular: string, pluralForm: unknown) =>
    plural(Number(count) || 0, singular, typeof pluralForm === 'string' ? pluralForm : undefined),
  percent: (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? `${Math.round(value)}%` : ''),
  selected: (a: unknown, b: unknown) => (String(a) === String(b) ? 'selected' : ''),
  checked: (a: unknown) => (a ? 'checked' : ''),
  concat: (...args: unknown[]) => args.slice(0, -1).join(''),
  /** A value for a query string: `?returnTo={{urlencode returnTo}}`. */
  urlencode: (value: unknown) => encodeURIComponent(typeof value === 'string' ? value : ''),
  default: (value: unknown, fallback: unknown) => (value === undefined || value === null || value === '' ? fallback : value),
  /** {{#fieldError errors "email"}} ... */
  errorFor: (errors: unknown, field: string) =>
    Array.isArray(errors) ? (errors as { href?: string; text: string }[]).find((e) => e.href === `#${field}`)?.text : undefined,
  /** The error of a GOV.UK date input, whichever of its boxes the error links to. */
  dateInputError: (errors: unknown, id: string) => dateError(errors, id)?.text,
  /** The three boxes of a GOV.UK date input: label, width, value shown and whether it is in error. */
  dateBoxes: (id: string, value: unknown, errors: unknown) => {
    const error = dateError(errors, id);
    const shown = datePartsOf(value);
    return DATE_BOXES.map((b) => ({ ...b, value: shown[b.part], error: !!error && (!error.parts || error.parts.includes(b.part)) }));
  },
  times: (n: number, options: HelperOptions) => {
    let out = '';
    for (let i = 0; i < n; i++) out += options.fn(i);
    return out;
  },
};

export function installViews(app: Express, rootDir: string, moduleViewDirs: string[]): void {
  const viewsDir = path.join(rootDir, 'views');
  app.engine(
    'hbs',
    engine({
      extname: '.hbs',
      defaultLayout: 'main',
      layoutsDir: path.join(viewsDir, 'layouts'),
      partialsDir: [path.join(viewsDir, 'partials'), ...moduleViewDirs.map((d) => path.join(d, 'partials'))],
      helpers,
    }),
  );
  app.set('view engine', 'hbs');
  app.set('views', viewsDir);
}
