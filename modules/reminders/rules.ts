/**
 * Who needs which reminder, as plain functions of the compliance results, the
 * organisation's policy and the moment of the scan. No database and no clock:
 * the scan passes `now`, so tests run a year of scans in seconds.
 */
import { DateTime } from 'luxon';
import { LONDON, londonToday } from '../../server/london';
import { addDays } from '../compliance/api';
import type { ReminderPolicy } from './policy';

export const ZONE = LONDON;

/** What remindersDue needs of one person: their compliance result plus their start date. */
export interface ReminderPerson {
  staffId: string;
  status: string;
  competencies: { lineage: string; met: boolean; expires: string | null; text?: string }[];
  startDate?: string | null;
  inductionDays?: number;
}

export type ReminderKind = 'before-expiry' | 'overdue' | 'escalation' | 'welcome';

export interface ReminderDue {
  staffId: string;
  kind: ReminderKind;
  /** One competency's lineage, or 'all' when several fall due on the same day. */
  lineage: string;
  lineages: string[];
  /** The day the training stops counting (or stopped); null when no date is known. */
  dueDate: string | null;
  step: string;
  key: string;
}

export const londonDay = (now: Date): string => londonToday(now);

/** Days since 1970-01-01 of a YYYY-MM-DD day. */
function dayNumber(day: string): number {
  return Math.round(Date.UTC(Number(day.slice(0, 4)), Number(day.slice(5, 7)) - 1, Number(day.slice(8, 10))) / 86_400_000);
}

export function daysBetween(from: string, to: string): number {
  return dayNumber(to) - dayNumber(from);
}

export function inQuietPeriod(policy: Pick<ReminderPolicy, 'quietPeriods'>, day: string): boolean {
  return policy.quietPeriods.some((q) => q.from <= day && day <= q.to);
}

/** The first day on or after `day` that is outside every quiet period. */
export function afterQuiet(policy: Pick<ReminderPolicy, 'quietPeriods'>, day: string): string {
  let d = day;
  for (let i = 0; i < 400 && inQuietPeriod(policy, d); i++) d = addDays(d, 1);
  return d;
}

export function reminderKey(staffId: string, lineage: string, dueDate: string | null, step: string): string {
  return `reminder:${staffId}:${lineage}:${dueDate ?? 'none'}:${step}`;
}

export function welcomeKey(staffId: string): string {
  return `welcome:${staffId}`;
}

const SKIPPED = new Set(['left', 'not-applicable', 'unmapped']);

function grouped(staffId: string, kind: ReminderKind, items: { lineage: string; dueDate: string | null; step: string }[]): ReminderDue[] {
  const byKey = new Map<string, { lineages: string[]; dueDate: string | null; step: string }>();
  for (const i of items) {
    const k = `${i.dueDate}|${i.step}`;
    const g = byKey.get(k);
    if (g) g.lineages.push(i.lineage);
    else byKey.set(k, { lineages: [i.lineage], dueDate: i.dueDate, step: i.step });
  }
  return [...byKey.values()].map((g) => {
    const lineage = g.lineages.length === 1 ? g.lineages[0] : 'all';
    return { staffId, kind, lineage, lineages: g.lineages.sort(), dueDate: g.dueDate, step: g.step, key: reminderKey(staffId, lineage, g.dueDate, g.step) };
  });
}

/** The list with the item added, made on the first item. */
function withItem<T>(list: T[] | null, item: T): T[] {
  if (!list) return [item];
  list.push(item);
  return list;
}

/**
 * The reminders due at `now`. Each scan asks for the *current* step only (the
 * smallest step the days left have reached), so a missed scan or a quiet
 * period sends the latest step once rather than every step it skipped, and a
 * daily scan sends each step exactly once: the key decides, not the caller.
 *  - before expiry: steps like 60/30/7 days before something met stops counting;
 *  - overdue: on the day it lapses and every overdueRepeatDays after (step overdue-N);
 *  - escalation to the lead once escalateAfterDays overdue (step escalated);
 *  - welcome: once, for a new starter inside their induction period.
 * Several competencies falling due on one day make one reminder (lineage 'all').
 */
export function remindersDue(people: ReminderPerson[], policy: ReminderPolicy, now: Date): ReminderDue[] {
  const today = londonDay(now);
  if (inQuietPeriod(policy, today)) return [];
  const steps = [...policy.stepsBeforeExpiry].sort((a, b) => a - b);
  const todayNumber = dayNumber(today);
  const out: ReminderDue[] = [];
  // The daily scan runs this over every person it reads: the lists are made only for someone who has something due.
  const add = (staffId: string, kind: ReminderKind, items: { lineage: string; dueDate: string | null; step: string }[] | null) => {
    if (items) for (const r of grouped(staffId, kind, items)) out.push(r);
  };
  for (const p of people) {
    if (SKIPPED.has(p.status)) continue;
    const inductionEnd = p.startDate ? addDays(p.startDate, p.inductionDays ?? 0) : null;
    if (p.startDate && inductionEnd && p.startDate <= today && today <= inductionEnd) {
      out.push({
        staffId: p.staffId,
        kind: 'welcome',
        lineage: 'all',
        lineages: p.competencies.map((c) => c.lineage).sort(),
        dueDate: inductionEnd,
        step: 'welcome',
        key: welcomeKey(p.staffId),
      });
    }
    let before: { lineage: string; dueDate: string; step: string }[] | null = null;
    let overdue: { lineage: string; dueDate: string | null; step: string }[] | null = null;
    let escalate: { lineage: string; dueDate: string | null; step: string }[] | null = null;
    for (const c of p.competencies) {
      if (c.met && c.expires) {
        const left = dayNumber(c.expires) - todayNumber;
        const step = steps.find((s) => left <= s);
        if (step !== undefined) before = withItem(before, { lineage: c.lineage, dueDate: c.expires, step: `before-${step}` });
      } else if (!c.met && p.status === 'overdue') {
        const dueDate = c.expires ?? inductionEnd;
        if (!dueDate) {
          overdue = withItem(overdue, { lineage: c.lineage, dueDate: null, step: 'overdue-0' });
          continue;
        }
        const late = Math.max(0, todayNumber - dayNumber(dueDate));
        overdue = withItem(overdue, { lineage: c.lineage, dueDate, step: `overdue-${Math.floor(late / policy.overdueRepeatDays)}` });
        if (policy.escalateAfterDays != null && late >= policy.escalateAfterDays)
          escalate = withItem(escalate, { lineage: c.lineage, dueDate, step: 'escalated' });
      }
    }
    add(p.staffId, 'before-expiry', before);
    add(p.staffId, 'overdue', overdue);
    add(p.staffId, 'escalation', escalate);
  }
  return out;
}

/**
 * Which people remindersDue could answer anything for on `today`, as the
 * compliance module selects people (PeopleWanted): the overdue (overdue
 * reminders and escalation), anyone whose next expiry falls within the
 * largest before-expiry step (a before-expiry reminder needs something they
 * meet to stop counting that soon; the next expiry is the earliest such day),
 * and anyone who started within the induction period (welcome). The daily
 * scan reads only these people rather than the whole organisation; the
 * rules themselves still decide.
 */
export function peopleWhoCouldBeReminded(
  policy: Pick<ReminderPolicy, 'stepsBeforeExpiry'>,
  inductionDays: number,
  today: string,
): { statuses: ['overdue']; expiringBy: string | null; startedFrom: string } {
  return {
    statuses: ['overdue'],
    expiringBy: policy.stepsBeforeExpiry.length ? addDays(today, Math.max(...policy.stepsBeforeExpiry)) : null,
    startedFrom: addDays(today, -inductionDays),
  };
}

export interface UpcomingReminder {
  staffId: string;
  on: string;
  step: string;
  dueDate: string;
}

/** What the scan will send in the coming days if nothing changes (for the lead's "scheduled next" view). */
export function upcomingReminders(people: ReminderPerson[], policy: ReminderPolicy, today: string, horizonDays: number): UpcomingReminder[] {
  const seen = new Map<string, UpcomingReminder>();
  const until = addDays(today, horizonDays);
  const add = (staffId: string, on: string, step: string, dueDate: string) => {
    const sendOn = afterQuiet(policy, on);
    if (sendOn <= today || sendOn > until) return;
    seen.set(`${staffId}|${dueDate}|${step}`, { staffId, on: sendOn, step, dueDate });
  };
  for (const p of people) {
    if (SKIPPED.has(p.status)) continue;
    for (const c of p.competencies) {
      if (c.met && c.expires) {
        for (const s of policy.stepsBeforeExpiry) add(p.staffId, addDays(c.expires, -s), `before-${s}`, c.expires);
        add(p.staffId, c.expires, 'overdue-0', c.expires);
      } else if (!c.met && p.status === 'overdue' && c.expires) {
        const late = Math.max(0, daysBetween(c.expires, today));
        const next = Math.floor(late / policy.overdueRepeatDays) + 1;
        add(p.staffId, addDays(c.expires, next * policy.overdueRepeatDays), `overdue-${next}`, c.expires);
      }
    }
  }
  return [...seen.values()].sort((a, b) => (a.on === b.on ? a.staffId.localeCompare(b.staffId) : a.on < b.on ? -1 : 1));
}

function atLondon(day: string, time: string): DateTime {
  return DateTime.fromISO(`${day}T${time}`, { zone: ZONE });
}

/** Scheduled digest moments around `now`: the latest at or before it, and the next after it. */
function digestMoments(policy: ReminderPolicy, now: Date): { last: DateTime; next: DateTime } | null {
  const { frequency, day, time } = policy.digest;
  if (frequency === 'off') return null;
  const local = DateTime.fromJSDate(now).setZone(ZONE);
  const candidate = (d: DateTime): DateTime => atLondon(d.toISODate()!, time);
  if (frequency === 'weekly') {
    let d = local.startOf('day').minus({ days: (local.weekday - day + 7) % 7 });
    if (candidate(d) > local) d = d.minus({ weeks: 1 });
    return { last: candidate(d), next: candidate(d.plus({ weeks: 1 })) };
  }
  let d = local.startOf('month').set({ day });
  if (candidate(d) > local) d = d.minus({ months: 1 });
  return { last: candidate(d), next: candidate(d.plus({ months: 1 })) };
}

/** The London date of the digest that is due at `now` (at most one per period), or null. */
export function digestDue(policy: ReminderPolicy, now: Date): string | null {
  const m = digestMoments(policy, now);
  if (!m) return null;
  const day = m.last.toISODate()!;
  return inQuietPeriod(policy, londonDay(now)) ? null : day;
}

export function nextDigestAt(policy: ReminderPolicy, now: Date): Date | null {
  return digestMoments(policy, now)?.next.toJSDate() ?? null;
}

/** True when today's scan time has passed in London and the organisation has not been scanned today. */
export function scanDue(policy: ReminderPolicy, now: Date, lastScanOn: string | null): boolean {
  const today = londonDay(now);
  if (lastScanOn && lastScanOn >= today) return false;
  return DateTime.fromJSDate(now) >= atLondon(today, policy.scanTime);
}

export function nextScanAt(policy: ReminderPolicy, now: Date, lastScanOn: string | null): Date {
  const today = londonDay(now);
  if (scanDue(policy, now, lastScanOn)) return now;
  const todays = atLondon(today, policy.scanTime);
  const at = lastScanOn && lastScanOn >= today ? atLondon(addDays(today, 1), policy.scanTime) : todays;
  return at.toJSDate();
}
