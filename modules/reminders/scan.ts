import type { Pool } from 'pg';
import type { Config } from '../../server/config';
import type { Logger } from '../../server/logger';
import type { Mailer } from '../../server/mail';
import { complianceForOrganisation, complianceOfPeopleWanted, type PersonCompliance, STATUS_NAMES, STATUSES } from '../compliance/api';
import { type Competency, composeDigest, composeEscalation, composeReminder, unsubscribeUrl } from './messages';
import { effectivePolicy, type ReminderPolicy } from './policy';
import { digestDue, londonDay, peopleWhoCouldBeReminded, type ReminderDue, remindersDue, scanDue } from './rules';
import { createReminderStore, type OrganisationForScan } from './store';

export interface ScanDeps {
  pool: Pool;
  mailer: Mailer;
  config: Pick<Config, 'publicUrl' | 'sessionSecret'>;
  logger?: Logger;
}

export interface QueuedLine {
  organisation: string;
  key: string;
  /** The address, for a message this run wrote (one queued earlier is not looked up again). */
  to?: string;
  kind: string;
  /** False when the key was already queued by an earlier run (nothing new was written). */
  isNew: boolean;
}

interface QueueLine {
  key: string;
  to: string;
  kind: string;
  staffId: string | null;
  lineage: string | null;
  dueDate: string | null;
  step: string;
  message: { subject: string; text: string; html: string; summary: string };
  category: string;
}

/** A line before its message is written: written only if its key has not been queued already (most, on a day after the last scan). */
type LineToQueue = Omit<QueueLine, 'message'> & { compose: () => QueueLine['message'] };

export interface ScanResult {
  scanned: string[];
  queued: QueuedLine[];
  skippedNoEmail: number;
  delivered: number;
}

export interface RemindersFound {
  due: ReminderDue[];
  /** The results of the people read, by staff id: everyone due is among them. */
  people: Map<string, PersonCompliance>;
}

/**
 * Who in the organisation needs which reminder at `now`: the scan's finding,
 * before anything is written. Reads only the people the rules could remind
 * (rules.ts peopleWhoCouldBeReminded), unless the caller has already read
 * everyone's results; null when the organisation no longer exists.
 */
export async function findRemindersDue(
  pool: Pool,
  org: OrganisationForScan,
  policy: ReminderPolicy,
  now: Date,
  everyone?: PersonCompliance[],
): Promise<RemindersFound | null> {
  const today = londonDay(now);
  const people = everyone ?? (await complianceOfPeopleWanted(pool, { kind: 'all' }, org.id, today, peopleWhoCouldBeReminded(policy, org.inductionDays, today)));
  if (!people) return null;
  const due = remindersDue(
    people.map((p) => ({ ...p, inductionDays: org.inductionDays })),
    policy,
    now,
  );
  return { due, people: new Map(people.map((p) => [p.staffId, p])) };
}

/**
 * One pass over the organisations: for each whose daily scan time has come
 * (or every one, with force), work out who needs which reminder and queue one
 * message per person and step; send any digest that is due; then deliver.
 * Queueing goes through the outbox's unique dedupe key, so re-runs, a crash
 * half-way and two instances scanning at once never queue a message twice.
 */
export async function runScan(
  deps: ScanDeps,
  options: { now?: Date; organisationSlug?: string; force?: boolean; deliver?: boolean } = {},
): Promise<ScanResult> {
  const now = options.now ?? new Date();
  const { pool, mailer, config } = deps;
  const store = createReminderStore(pool);
  const today = londonDay(now);
  const { defaults, partnership } = await store.settings();
  const result: ScanResult = { scanned: [], queued: [], skippedNoEmail: 0, delivered: 0 };

  const scanOrganisation = async (org: OrganisationForScan) => {
    const policy = effectivePolicy(defaults, org.policy);
    const remindersNow = options.force || scanDue(policy, now, org.lastScanOn);
    const leads = await store.leads(org.id);
    let digestDay = digestDue(policy, now);
    const digestKey = (userId: string) => `digest:${org.id}:${userId}:${digestDay}`;
    // Checked on every tick of the job, so only do the work while a lead still lacks this period's digest.
    if (digestDay && !(await store.anyMissing(leads.filter((l) => !l.unsubscribed).map((l) => digestKey(l.userId))))) digestDay = null;
    if (!remindersNow && !digestDay) return;
    // A digest counts the whole organisation; reminders alone need only the people who could be reminded.
    const compliance = digestDay ? await complianceForOrganisation(pool, { kind: 'all' }, org.id, today) : null;
    if (digestDay && !compliance) return;
    const found = remindersNow ? await findRemindersDue(pool, org, policy, now, compliance?.people) : null;
    if (remindersNow && !found) return;
    let done = new Set<string>();
    const pending: QueueLine[] = [];
    const queue = (line: LineToQueue) => {
      if (done.has(line.key)) result.queued.push({ organisation: org.slug, key: line.key, kind: line.kind, isNew: false });
      else pending.push({ ...line, message: line.compose() });
    };
    // Each organisation's messages go to the outbox, then to the reminder records, a statement per thousand.
    const flush = async () => {
      const lines = pending.splice(0);
      if (!lines.length) return;
      const message = (l: QueueLine) => ({
        to: l.to,
        subject: l.message.subject,
        text: l.message.text,
        html: l.message.html,
        category: l.category,
        organisationId: org.id,
        dedupeKey: l.key,
      });
      const record = (l: QueueLine) => ({
        key: l.key,
        organisationId: org.id,
        staffId: l.staffId,
        kind: l.kind,
        lineage: l.lineage,
        dueDate: l.dueDate,
        step: l.step,
        recipient: l.to,
        summary: l.message.summary,
      });
      if (mailer.queueMany) {
        const ids = await mailer.queueMany(lines.map(message));
        await store.recordMany(lines.map(record));
        for (const l of lines) result.queued.push({ organisation: org.slug, key: l.key, to: l.to, kind: l.kind, isNew: ids.has(l.key) });
        return;
      }
      for (const l of lines) {
        const id = await mailer.queue(message(l));
        await store.record(record(l));
        result.queued.push({ organisation: org.slug, key: l.key, to: l.to, kind: l.kind, isNew: id != null });
      }
    };

    if (found) {
      result.scanned.push(org.slug);
      const { due, people: byStaff } = found;
      const keys = due.flatMap((d) => (d.kind === 'escalation' ? leads.map((l) => `${d.key}:lead:${l.userId}`) : [d.key]));
      // Most of today's keys were due, and queued, at the last scan: only the rest are looked up.
      const known = await store.doneAtLastScan(org.id);
      done = new Set([...keys.filter((k) => known.has(k)), ...(await store.alreadyDone(keys.filter((k) => !known.has(k))))]);
      // Only a message not queued before is written, so only its person's address and courses are needed.
      const fresh = due.filter((d) => d.kind !== 'escalation' && !done.has(d.key));
      const [courses, contacts] = await Promise.all([
        store.coursesFor([...new Set(fresh.flatMap((d) => d.lineages))]),
        store.staffContacts(org.id, [...new Set(fresh.map((d) => d.staffId))]),
      ]);
      let count = 0;
      for (const d of due) {
        const person = byStaff.get(d.staffId)!;
        const competencies = (): Competency[] => person.competencies.filter((c) => d.lineages.includes(c.lineage));
        if (d.kind === 'escalation') {
          for (const lead of leads) {
            queue({
              key: `${d.key}:lead:${lead.userId}`,
              to: lead.email,
              kind: 'escalation',
              staffId: d.staffId,
              lineage: d.lineage,
              dueDate: d.dueDate,
              step: d.step,
              compose: () =>
                composeEscalation({
                  due: d,
                  leadName: lead.name,
                  staffName: person.name,
                  organisationSlug: org.slug,
                  partnership,
                  publicUrl: config.publicUrl,
                  competencies: competencies(),
                }),
              category: 'reminder-escalation',
            });
            count++;
          }
          continue;
        }
        if (done.has(d.key)) {
          result.queued.push({ organisation: org.slug, key: d.key, kind: d.kind, isNew: false });
          count++;
          continue;
        }
        const to = contacts.get(d.staffId)?.email;
        if (!to) {
          result.skippedNoEmail++;
          continue;
        }
        const courseList = () => [...new Map(d.lineages.flatMap((l) => courses.get(l) ?? []).map((c) => [c.slug, c])).values()];
        queue({
          key: d.key,
          to,
          kind: d.kind,
          staffId: d.staffId,
          lineage: d.lineage,
          dueDate: d.dueDate,
          step: d.step,
          compose: () =>
            composeReminder({ due: d, name: person.name, partnership, publicUrl: config.publicUrl, competencies: competencies(), courses: courseList() }),
          category: d.kind === 'welcome' ? 'welcome' : 'reminder',
        });
        count++;
      }
      const written = pending.map((l) => l.key);
      await flush();
      // Queued now (or by another scan at the same moment: the outbox kept one), or before.
      for (const k of written) done.add(k);
      await store.markScanned(
        org.id,
        today,
        count,
        keys.filter((k) => done.has(k)),
      );
    }

    if (digestDay && compliance) {
      const overdue = compliance.people.filter((p) => p.status === 'overdue').map((p) => p.name);
      const counts = STATUSES.map((s) => ({ name: STATUS_NAMES[s], count: compliance.counts.byStatus[s] ?? 0 }));
      for (const lead of leads.filter((l) => !l.unsubscribed)) {
        const periodDay = digestDay;
        queue({
          key: digestKey(lead.userId),
          to: lead.email,
          kind: 'digest',
          staffId: null,
          lineage: null,
          dueDate: null,
          step: periodDay,
          compose: () =>
            composeDigest({
              leadName: lead.name,
              organisationName: org.name,
              organisationSlug: org.slug,
              partnership,
              publicUrl: config.publicUrl,
              counts,
              overdue,
              unsubscribeUrl: unsubscribeUrl(config.publicUrl, config.sessionSecret, lead.userId, org.id),
              periodDay,
            }),
          category: 'digest',
        });
      }
      await flush();
    }
  };
  // Two organisations at a time: each is mostly waiting on the database, so while one's statements run
  // the other's results are worked through; more would only queue for the same two cores.
  const organisations = await store.organisations({ kind: 'all' }, options.organisationSlug);
  // As one at a time did, an organisation that fails stops the scan (the next run carries on where
  // it was), and the scan answers only once the other organisation under way has finished.
  let next = 0;
  const failed: { error: unknown }[] = [];
  const worker = async () => {
    while (!failed.length && next < organisations.length) {
      try {
        await scanOrganisation(organisations[next++]);
      } catch (error) {
        failed.push({ error });
      }
    }
  };
  await Promise.all([worker(), worker()]);
  if (failed.length) throw failed[0].error;
  if (options.deliver !== false && mailer.delivers) result.delivered = await mailer.deliverQueued();
  deps.logger?.info(
    { organisations: result.scanned.length, queued: result.queued.filter((q) => q.isNew).length, delivered: result.delivered },
    'reminder scan',
  );
  return result;
}
