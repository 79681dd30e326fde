/**
 * The refresher reminder scan over the whole partnership. Two figures:
 * finding everyone due (each organisation's compliance and the reminder
 * rules, what the daily job does before it writes anything; the target), and
 * the whole scan as the job runs it, queueing every message in the outbox
 * (the first run, which queues everything, and a second run the same day,
 * which finds everything already queued). The outbox is emptied afterwards
 * so the next run measures the same work.
 */
import { performance } from 'node:perf_hooks';
import { DateTime } from 'luxon';
import pg from 'pg';
import { PRODUCT_TYPES } from '../../server/db';
import { complianceForOrganisation } from '../../modules/compliance/service';
import { effectivePolicy } from '../../modules/reminders/policy';
import { remindersDue } from '../../modules/reminders/rules';
import { runScan } from '../../modules/reminders/scan';
import { createReminderStore } from '../../modules/reminders/store';
import { createLogger } from '../../server/logger';
import { createMailer } from '../../server/mail';
import { benchConfig, readDataSet } from './generate';
import { round } from './support';
import type { BenchContext, BenchResult } from './types';

export async function run(ctx: BenchContext): Promise<BenchResult> {
  const pool = new pg.Pool({ connectionString: ctx.databaseUrl, max: 10, types: PRODUCT_TYPES });
  const config = benchConfig(ctx.databaseUrl);
  try {
    const data = await readDataSet(pool);
    // Mid-morning on the data set's day, after every organisation's scan time.
    const now = new Date(`${data.asOf}T10:30:00Z`);
    const store = createReminderStore(pool);
    await pool.query('truncate reminders, reminder_scan_runs; delete from outbound_messages');

    const { defaults } = await store.settings();
    const organisations = await store.organisations({ kind: 'all' });
    /** Finds everyone due on `day` (at `at`), as the daily job does before it writes anything. */
    const find = async (day: string, at: Date) => {
      const started = performance.now();
      let due = 0;
      let people = 0;
      for (const org of organisations) {
        const [compliance, contacts] = await Promise.all([complianceForOrganisation(pool, { kind: 'all' }, org.id, day), store.staffContacts(org.id)]);
        if (!compliance) continue;
        people += compliance.people.length;
        const reminderPeople = compliance.people.map((p) => ({
          ...p,
          startDate: contacts.get(p.staffId)?.startDate ?? null,
          inductionDays: org.inductionDays,
        }));
        due += remindersDue(reminderPeople, effectivePolicy(defaults, org.policy), at).length;
      }
      return { due, people, seconds: (performance.now() - started) / 1000 };
    };
    // Compliance results are kept between scans (modules/compliance/kept.ts): the first
    // scan after a bulk load works everyone out; each day's scan after that works out
    // again only the people whose status the calendar or a change has moved on.
    await pool.query(`update kept_compliance set stamp = nextval('compliance_stamp')`);
    const cold = await find(data.asOf, now);
    ctx.log(
      `nothing kept: found ${cold.due} reminders due for ${cold.people} current staff in ${organisations.length} organisations in ${cold.seconds.toFixed(1)} s`,
    );
    // As in board-coverage: the step above rewrote every row; compact the table to a real partnership's size.
    await pool.query('vacuum (full, analyze) kept_compliance');
    const nextDay = DateTime.fromISO(data.asOf).plus({ days: 1 }).toISODate()!;
    const { due, people, seconds: findSeconds } = await find(nextDay, new Date(now.getTime() + 86_400_000));
    ctx.log(`the next day, with the day before's results kept: found ${due} reminders due for ${people} current staff in ${findSeconds.toFixed(1)} s`);
    const sameDay = await find(nextDay, new Date(now.getTime() + 86_400_000));
    ctx.log(`the same day again: ${sameDay.seconds.toFixed(1)} s`);
    const { rows: moved } = await pool.query<{ n: number }>('select count(*)::int as n from kept_compliance where computed_on = $1', [nextDay]);

    const figures = [
      { label: `find everyone due, whole partnership (${people} current staff), a day after the last scan`, value: round(findSeconds, 2), unit: 's' },
      { label: 'reminders due that day', value: due, unit: '' },
      { label: 'people worked out again that day (their kept status had moved on)', value: moved[0].n, unit: '' },
      { label: 'find everyone due with nothing kept (first scan after a bulk load)', value: round(cold.seconds, 2), unit: 's' },
      { label: 'find everyone due, the same day again', value: round(sameDay.seconds, 2), unit: 's' },
    ];
    const notes = [
      '"Find" runs, for every organisation, the compliance computation and the reminder rules the daily job uses (modules/reminders/rules.ts), without writing reminders.',
      "The target figure is the daily case: the scan of the data set's day runs first (with every kept compliance result made stale, as after a bulk load; reported on its own), then the next day's scan is timed. Kept results are used only while they hold (see modules/compliance/kept.ts), so the next day works out again just the people whose status that day could change.",
    ];
    const mailer = createMailer(config, pool, createLogger({ env: 'production', logLevel: 'warn' }));
    // Queueing writes each message on its own (two statements per message), so the
    // whole-scan figure is taken on one organisation of about 2,000 staff (500 with --quick).
    const { rows: near } = await pool.query<{ slug: string }>(
      'select o.slug from organisations o join staff s on s.organisation_id = o.id group by o.slug order by abs(count(*) - $1), o.slug limit 1',
      [ctx.quick ? 500 : 2000],
    );
    const scope = near[0].slug;
    const t1 = performance.now();
    const first = await runScan({ pool, mailer, config }, { now, force: true, deliver: false, organisationSlug: scope });
    const firstSeconds = (performance.now() - t1) / 1000;
    const t2 = performance.now();
    await runScan({ pool, mailer, config }, { now, force: true, deliver: false, organisationSlug: scope });
    const secondSeconds = (performance.now() - t2) / 1000;
    const queued = first.queued.filter((q) => q.isNew).length;
    ctx.log(`full scan of ${scope}: first ${firstSeconds.toFixed(1)} s (${queued} messages queued), again the same day ${secondSeconds.toFixed(1)} s`);
    figures.push(
      { label: `whole scan of one organisation (${scope}), first run of the day, queueing every message`, value: round(firstSeconds, 2), unit: 's' },
      { label: 'messages queued by it', value: queued, unit: '' },
      { label: 'the same scan again the same day (all already queued)', value: round(secondSeconds, 2), unit: 's' },
    );
    await pool.query('truncate reminders, reminder_scan_runs; delete from outbound_messages');
    // Issue 9 set 10 s for 200,000 staff; issue 26 set 30 s for a national roll-out of 1,000,000.
    const limit = people <= 250_000 ? 10 : 30;
    return {
      id: 'reminder-scan',
      title: 'Reminder scan of the whole partnership',
      target: `find everyone due, a day after the last scan, in under 10 s at 200,000 staff and 30 s at 1,000,000 (issues 9 and 26; this data set: ${limit} s)`,
      met: findSeconds < limit,
      figures,
      notes,
    };
  } finally {
    await pool.end();
  }
}
