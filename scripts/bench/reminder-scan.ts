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
import pg from 'pg';
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
  const pool = new pg.Pool({ connectionString: ctx.databaseUrl, max: 10 });
  const config = benchConfig(ctx.databaseUrl);
  try {
    const data = await readDataSet(pool);
    // Mid-morning on the data set's day, after every organisation's scan time.
    const now = new Date(`${data.asOf}T10:30:00Z`);
    const store = createReminderStore(pool);
    await pool.query('truncate reminders, reminder_scan_runs; delete from outbound_messages');

    const findStarted = performance.now();
    const { defaults } = await store.settings();
    const organisations = await store.organisations({ kind: 'all' });
    let due = 0;
    let people = 0;
    for (const org of organisations) {
      const [compliance, contacts] = await Promise.all([complianceForOrganisation(pool, { kind: 'all' }, org.id, data.asOf), store.staffContacts(org.id)]);
      if (!compliance) continue;
      people += compliance.people.length;
      const reminderPeople = compliance.people.map((p) => ({ ...p, startDate: contacts.get(p.staffId)?.startDate ?? null, inductionDays: org.inductionDays }));
      due += remindersDue(reminderPeople, effectivePolicy(defaults, org.policy), now).length;
    }
    const findSeconds = (performance.now() - findStarted) / 1000;
    ctx.log(`found ${due} reminders due for ${people} current staff in ${organisations.length} organisations in ${findSeconds.toFixed(1)} s`);

    const figures = [
      { label: `find everyone due, whole partnership (${people} current staff)`, value: round(findSeconds, 2), unit: 's' },
      { label: 'reminders due', value: due, unit: '' },
    ];
    const notes = ['"Find" runs, for every organisation, the compliance computation and the reminder rules the daily job uses (modules/reminders/rules.ts), without writing.'];
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
    return {
      id: 'reminder-scan',
      title: 'Reminder scan of the whole partnership',
      target: 'find everyone due in under 10 s',
      met: findSeconds < 10,
      figures,
      notes,
    };
  } finally {
    await pool.end();
  }
}
