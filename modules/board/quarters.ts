import { DateTime } from 'luxon';

/** A calendar quarter, written '2026-Q3'. Quarters follow the calendar year (Q1 is January to March). */
export interface Quarter {
  id: string;
  year: number;
  number: 1 | 2 | 3 | 4;
  /** First day, 'YYYY-MM-DD'. */
  start: string;
  /** Last day, 'YYYY-MM-DD'. */
  end: string;
  /** e.g. 'July to September 2026'. */
  label: string;
}

const QUARTER_ID = /^(\d{4})-Q([1-4])$/;

export function quarter(year: number, number: number): Quarter {
  const start = DateTime.utc(year, (number - 1) * 3 + 1, 1);
  const end = start.plus({ months: 3 }).minus({ days: 1 });
  return {
    id: `${year}-Q${number}`,
    year,
    number: number as Quarter['number'],
    start: start.toISODate()!,
    end: end.toISODate()!,
    label: `${start.toFormat('LLLL')} to ${end.toFormat('LLLL yyyy')}`,
  };
}

export function parseQuarter(id: string): Quarter | null {
  const m = QUARTER_ID.exec(id);
  return m ? quarter(Number(m[1]), Number(m[2])) : null;
}

/** The quarter a day ('YYYY-MM-DD') falls in. */
export function quarterOf(day: string): Quarter {
  const d = DateTime.fromISO(day, { zone: 'utc' });
  return quarter(d.year, Math.floor((d.month - 1) / 3) + 1);
}

export function previousQuarter(q: Quarter): Quarter {
  return q.number === 1 ? quarter(q.year - 1, 4) : quarter(q.year, q.number - 1);
}

/** The most recent quarter that has ended by `today` ('YYYY-MM-DD', a London day). */
export function lastEndedQuarter(today: string): Quarter {
  return previousQuarter(quarterOf(today));
}

/** The quarter whose last day is `day`, if it is one. */
export function quarterEndingOn(day: string): Quarter | null {
  const q = quarterOf(day);
  return q.end === day ? q : null;
}

/**
 * A date from the API's asOf parameter: a real calendar day written
 * YYYY-MM-DD, or a message saying what is wrong with it.
 */
export function parseAsOf(value: unknown, today: string): { date: string } | { error: string } {
  if (typeof value !== 'string' || value === '') return { error: 'Give asOf as a date written YYYY-MM-DD, for example asOf=2026-03-31.' };
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return { error: `asOf "${value.slice(0, 40)}" is not a date written YYYY-MM-DD, for example 2026-03-31.` };
  const d = DateTime.fromISO(value, { zone: 'utc' });
  if (!d.isValid) return { error: `asOf ${value} is not a real date.` };
  if (value > today) return { error: `asOf ${value} is in the future; figures exist up to today (${today}).` };
  if (value < '2000-01-01') return { error: `asOf ${value} is before any figures could exist.` };
  return { date: value };
}
