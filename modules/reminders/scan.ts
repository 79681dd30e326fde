import type { Pool } from 'pg';
import type { Config } from '../../server/config';
import type { Logger } from '../../server/logger';
import type { Mailer } from '../../server/mail';
import { complianceForOrganisation, STATUS_NAMES, STATUSES } from '../compliance/api';
import { type Competency, composeDigest, composeEscalation, composeReminder, unsubscribeUrl } from './messages';
import { effectivePolicy } from './policy';
import { digestDue, londonDay, remindersDue, scanDue } from './rules';
import { createReminderStore } from './store';

export interface ScanDeps {
  pool: Pool;
  mailer: Mailer;
  config: Pick<Config, 'publicUrl' | 'sessionSecret'>;
  logger?: Logger;
}

export interface QueuedLine {
  organisation: string;
  key: string;
  to: string;
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

export interface ScanResult {
  scanned: string[];
  queued: QueuedLine[];
  skippedNoEmail: number;
  delivered: number;
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

  for (const org of await store.organisations({ kind: 'all' }, options.organisationSlug)) {
    const policy = effectivePolicy(defaults, org.policy);
    const remindersNow = options.force || scanDue(policy, now, org.lastScanOn);
    // Started together: the embedded database answers one at a time, but the round trips overlap.
    const compliancePromise = remindersNow ? complianceForOrganisation(pool, { kind: 'all' }, org.id, today) : null;
    const contactsPromise = remindersNow ? store.staffContacts(org.id) : null;
    compliancePromise?.catch(() => {});
    contactsPromise?.catch(() => {});
    const leads = await store.leads(org.id);
    let digestDay = digestDue(policy, now);
    const digestKey = (userId: string) => `digest:${org.id}:${userId}:${digestDay}`;
    // Checked on every tick of the job, so only do the work while a lead still lacks this period's digest.
    if (digestDay && !(await store.anyMissing(leads.filter((l) => !l.unsubscribed).map((l) => digestKey(l.userId))))) digestDay = null;
    if (!remindersNow && !digestDay) continue;
    const [compliance, contacts] = await Promise.all([
      compliancePromise ?? complianceForOrganisation(pool, { kind: 'all' }, org.id, today),
      contactsPromise ?? store.staffContacts(org.id),
    ]);
    if (!compliance) continue;
    let done = new Set<string>();
    const pending: QueueLine[] = [];
    const queue = async (line: QueueLine) => {
      if (done.has(line.key)) result.queued.push({ organisation: org.slug, key: line.key, to: line.to, kind: line.kind, isNew: false });
      else pending.push(line);
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

    if (remindersNow) {
      result.scanned.push(org.slug);
      const people = compliance.people.map((p) => ({ ...p, startDate: contacts.get(p.staffId)?.startDate ?? null, inductionDays: org.inductionDays }));
      const byStaff = new Map(compliance.people.map((p) => [p.staffId, p]));
      const due = remindersDue(people, policy, now);
      done = await store.alreadyDone(due.flatMap((d) => (d.kind === 'escalation' ? leads.map((l) => `${d.key}:lead:${l.userId}`) : [d.key])));
      const courses = await store.coursesFor([...new Set(due.filter((d) => d.kind !== 'escalation' && !done.has(d.key)).flatMap((d) => d.lineages))]);
      let count = 0;
      for (const d of due) {
        const person = byStaff.get(d.staffId)!;
        const contact = contacts.get(d.staffId);
        const competencies: Competency[] = person.competencies.filter((c) => d.lineages.includes(c.lineage));
        if (d.kind === 'escalation') {
          for (const lead of leads) {
            const message = composeEscalation({
              due: d,
              leadName: lead.name,
              staffName: person.name,
              organisationSlug: org.slug,
              partnership,
              publicUrl: config.publicUrl,
              competencies,
            });
            await queue({
              key: `${d.key}:lead:${lead.userId}`,
              to: lead.email,
              kind: 'escalation',
              staffId: d.staffId,
              lineage: d.lineage,
              dueDate: d.dueDate,
              step: d.step,
              message,
              category: 'reminder-escalation',
            });
            count++;
          }
          continue;
        }
        if (!contact?.email) {
          result.skippedNoEmail++;
          continue;
        }
        const courseList = [...new Map(d.lineages.flatMap((l) => courses.get(l) ?? []).map((c) => [c.slug, c])).values()];
        const message = composeReminder({ due: d, name: person.name, partnership, publicUrl: config.publicUrl, competencies, courses: courseList });
        await queue({
          key: d.key,
          to: contact.email,
          kind: d.kind,
          staffId: d.staffId,
          lineage: d.lineage,
          dueDate: d.dueDate,
          step: d.step,
          message,
          category: d.kind === 'welcome' ? 'welcome' : 'reminder',
        });
        count++;
      }
      await flush();
      await store.markScanned(org.id, today, count);
    }

    if (digestDay) {
      const overdue = compliance.people.filter((p) => p.status === 'overdue').map((p) => p.name);
      const counts = STATUSES.map((s) => ({ name: STATUS_NAMES[s], count: compliance.counts.byStatus[s] ?? 0 }));
      for (const lead of leads.filter((l) => !l.unsubscribed)) {
        const message = composeDigest({
          leadName: lead.name,
          organisationName: org.name,
          organisationSlug: org.slug,
          partnership,
          publicUrl: config.publicUrl,
          counts,
          overdue,
          unsubscribeUrl: unsubscribeUrl(config.publicUrl, config.sessionSecret, lead.userId, org.id),
          periodDay: digestDay,
        });
        await queue({
          key: digestKey(lead.userId),
          to: lead.email,
          kind: 'digest',
          staffId: null,
          lineage: null,
          dueDate: null,
          step: digestDay,
          message,
          category: 'digest',
        });
      }
      await flush();
    }
  }
  if (options.deliver !== false && mailer.delivers) result.delivered = await mailer.deliverQueued();
  deps.logger?.info(
    { organisations: result.scanned.length, queued: result.queued.filter((q) => q.isNew).length, delivered: result.delivered },
    'reminder scan',
  );
  return result;
}
