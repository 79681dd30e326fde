import express, { type Request } from 'express';
import { allow, caller, can, managedScope } from '../../server/access';
import { audit } from '../../server/auth/users';
import { readFlags } from '../../server/cli-args';
import { HttpError, NotFoundError, UsageError } from '../../server/errors';
import { type CliCommand, defineModule, type ModuleContext } from '../../server/module';
import { withoutSecretLinks } from '../../server/redact';
import { complianceForOrganisation } from '../compliance/api';
import { checkUnsubscribeToken } from './messages';
import { effectivePolicy, partialPolicy, policyFromForm, policyToForm, type ReminderPolicy } from './policy';
import { londonDay, nextDigestAt, nextScanAt, upcomingReminders } from './rules';
import { runScan } from './scan';
import { createReminderStore } from './store';

export const SCAN_USAGE = 'npm run cli -- reminders:scan [--org SLUG] [--now ISO-DATE]';

const WEEKDAYS = ['', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const OUTBOX_STATUSES = ['queued', 'held', 'sent', 'failed'];
const STATUS_LABEL: Record<string, string> = { queued: 'Queued', held: 'In outbox (not emailed)', sent: 'Sent', failed: 'Failed' };

function describePolicy(p: ReminderPolicy) {
  return {
    steps: p.stepsBeforeExpiry.length ? `${p.stepsBeforeExpiry.join(', ')} days before training stops counting` : 'None before expiry',
    overdue: `Every ${p.overdueRepeatDays} days once overdue`,
    escalate: p.escalateAfterDays == null ? 'Never' : `After ${p.escalateAfterDays} days overdue`,
    digest:
      p.digest.frequency === 'off'
        ? 'Off'
        : p.digest.frequency === 'weekly'
          ? `Weekly on ${WEEKDAYS[p.digest.day]} at ${p.digest.time}`
          : `Monthly on day ${p.digest.day} at ${p.digest.time}`,
    scan: `Daily at ${p.scanTime} (UK time)`,
    quiet: p.quietPeriods.length ? p.quietPeriods.map((q) => `${q.from} to ${q.to}`).join('; ') : 'None',
  };
}

/** 'before-30' -> '30 days before', 'overdue-2' -> 'Overdue, reminder 3', for people rather than keys. */
export function stepLabel(step: string): string {
  const before = step.match(/^before-(\d+)$/);
  if (before) return `${before[1]} days before`;
  const overdue = step.match(/^overdue-(\d+)$/);
  if (overdue) return Number(overdue[1]) === 0 ? 'Overdue' : `Overdue, reminder ${Number(overdue[1]) + 1}`;
  if (step === 'escalated') return 'Lead told';
  if (step === 'welcome') return 'Welcome';
  return step;
}

function usage(message: string): UsageError {
  return new UsageError(`${message}\nUsage: ${SCAN_USAGE}`);
}

const scanCommand: CliCommand = {
  summary: 'Run the reminder scan now (and send, when SMTP_URL is set); prints what it queued',
  usage: SCAN_USAGE,
  async run(ctx: ModuleContext, args: string[]) {
    const { values } = readFlags(args, { org: { type: 'string' }, now: { type: 'string' } }, SCAN_USAGE);
    const org = values.org;
    let now: Date | undefined;
    if (values.now !== undefined) {
      const v = values.now;
      const d = new Date(/^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T12:00:00Z` : v);
      if (!v || Number.isNaN(d.getTime())) throw usage(`--now needs a date such as 2027-01-15 or 2027-01-15T09:00:00Z (got "${v}").`);
      now = d;
    }
    const store = createReminderStore(ctx.database.pool);
    if (org && !(await store.organisations({ kind: 'all' }, org)).length) throw usage(`No organisation with the slug "${org}".`);
    const result = await runScan(
      { pool: ctx.database.pool, mailer: ctx.mailer, config: ctx.config, logger: ctx.logger },
      { now, organisationSlug: org, force: true },
    );
    const fresh = result.queued.filter((q) => q.isNew);
    console.log(
      `Scanned ${result.scanned.length} organisation(s) for ${londonDay(now ?? new Date())}. Queued ${fresh.length} new message(s); ${result.queued.length - fresh.length} already queued earlier.`,
    );
    for (const q of fresh) console.log(`  ${q.organisation}  ${q.kind.padEnd(13)} ${(q.to ?? '').padEnd(36)} ${q.key}`);
    if (result.skippedNoEmail) console.log(`${result.skippedNoEmail} reminder(s) not queued: no email address on the staff record.`);
    console.log(ctx.mailer.delivers ? `Sent ${result.delivered} message(s).` : 'SMTP_URL is not set: messages wait in the outbox (/admin/outbox).');
  },
};

/** How many of the coming reminders the organisation's reminders page lists. */
const UPCOMING_SHOWN = 200;

export default defineModule({
  name: 'reminders',
  dependsOn: ['compliance', 'staff', 'courses', 'organisations', 'partnership'],
  nav: [
    { label: 'My reminders', href: '/my-reminders', roles: ['learner'], order: 25, account: true },
    {
      label: 'Reminders',
      href: '/reminders',
      roles: can.manageStaff,
      order: 45,
      hub: { topic: 'people', description: 'When staff are reminded of training that is due, and the digest leads receive' },
    },
    {
      label: 'Reminder defaults',
      href: '/admin/reminder-defaults',
      roles: can.administerPartnership,
      order: 46,
      hub: { topic: 'people', description: 'The reminder timings every organisation starts from' },
    },
    {
      label: 'Outbox',
      href: '/admin/outbox',
      roles: can.administerPartnership,
      order: 90,
      hub: { topic: 'data', description: 'Every email the service has sent or is waiting to send' },
    },
  ],
  cli: { 'reminders:scan': scanCommand },
  jobs(ctx, agenda) {
    // One job checks every organisation's own scan time and digest slot; the dedupe
    // keys make it safe for two servers to run it at the same moment.
    agenda.define('reminders: scan', async () => {
      await runScan({ pool: ctx.database.pool, mailer: ctx.mailer, config: ctx.config, logger: ctx.logger });
    });
    agenda.define('outbox: deliver', async () => {
      if (ctx.mailer.delivers) await ctx.mailer.deliverQueued();
    });
    return (async () => {
      await agenda.every('10 minutes', 'reminders: scan');
      await agenda.every('1 minute', 'outbox: deliver');
    })();
  },
  routes(ctx) {
    const router = express.Router();
    const pool = ctx.database.pool;
    const store = createReminderStore(pool);

    const orgInScope = async (req: Request) => {
      const [org] = await store.organisations(managedScope(caller(req)), String(req.params.slug));
      if (!org) throw new NotFoundError('organisation');
      return org;
    };

    router.get('/my-reminders', allow(), async (req, res) => {
      const rows = await store.forStaff(caller(req).staffIds);
      res.render(ctx.view('my-reminders'), { title: 'My reminders', reminders: rows });
    });

    router.get('/reminders/unsubscribe', async (req, res) => {
      const [u, o, t] = ['u', 'o', 't'].map((k) => (typeof req.query[k] === 'string' ? (req.query[k] as string) : ''));
      const valid = !!u && !!o && checkUnsubscribeToken(ctx.config.sessionSecret, u, o, t);
      res.status(valid ? 200 : 404).render(ctx.view('unsubscribe'), { title: 'Stop the training digest', valid, u, o, t });
    });
    router.post('/reminders/unsubscribe', async (req, res) => {
      const body = req.body as Record<string, string>;
      if (!body.u || !body.o || !checkUnsubscribeToken(ctx.config.sessionSecret, body.u, body.o, body.t ?? ''))
        throw new HttpError(404, 'This unsubscribe link is not valid.');
      await store.unsubscribe(body.u, body.o);
      await audit(pool, { actorUserId: body.u, action: 'reminders.digest-unsubscribed', organisationId: body.o });
      res.render(ctx.view('unsubscribe'), { title: 'Stop the training digest', done: true });
    });

    router.get('/reminders', allow(can.manageStaff), async (req, res) => {
      const orgs = await store.organisations(managedScope(caller(req)));
      if (orgs.length === 1) return res.redirect(`/reminders/${orgs[0].slug}`);
      const defaults = await store.defaults();
      res.render(ctx.view('reminders-organisations'), {
        title: 'Reminders',
        organisations: orgs.map((o) => ({ ...o, ownPolicy: Object.keys(partialPolicy(o.policy)).length > 0 })),
        isAdmin: managedScope(caller(req)).kind === 'all',
        defaults: describePolicy(effectivePolicy(defaults, {})),
      });
    });

    router.get('/reminders/:slug', allow(can.manageStaff), async (req, res) => {
      const org = await orgInScope(req);
      const scope = managedScope(caller(req));
      const now = new Date();
      const policy = effectivePolicy(await store.defaults(), org.policy);
      const today = londonDay(now);
      const compliance = await complianceForOrganisation(pool, scope, org.id, today);
      const names = new Map(compliance?.people.map((p) => [p.staffId, p.name]) ?? []);
      const soon = compliance
        ? upcomingReminders(
            compliance.people.map((p) => ({ ...p, inductionDays: org.inductionDays })),
            policy,
            today,
            60,
          ).slice(0, UPCOMING_SHOWN)
        : [];
      // Addresses of the people shown only, not of the whole organisation.
      const contacts = await store.staffContacts(org.id, [...new Set(soon.map((u) => u.staffId))]);
      const upcoming = soon.map((u) => ({ ...u, stepLabel: stepLabel(u.step), name: names.get(u.staffId), email: contacts.get(u.staffId)?.email }));
      res.render(ctx.view('reminders-organisation'), {
        title: `Reminders: ${org.name}`,
        organisation: org,
        policy: describePolicy(policy),
        ownPolicy: Object.keys(partialPolicy(org.policy)).length > 0,
        nextScan: nextScanAt(policy, now, org.lastScanOn),
        nextDigest: nextDigestAt(policy, now),
        upcoming,
        sent: (await store.forOrganisation(scope, org.id)).map((r) => ({ ...r, statusLabel: STATUS_LABEL[r.status] ?? 'Not recorded' })),
      });
    });

    const policyPage = (
      res: express.Response,
      o: { title: string; action: string; form: object; errors?: object[]; caption: string; isOrganisation: boolean; ownPolicy?: boolean },
    ) => res.status(o.errors?.length ? 400 : 200).render(ctx.view('reminders-policy'), o);

    router.get('/reminders/:slug/policy', allow(can.manageStaff), async (req, res) => {
      const org = await orgInScope(req);
      policyPage(res, {
        title: 'Reminder policy',
        caption: org.name,
        action: `/reminders/${org.slug}/policy`,
        form: policyToForm(effectivePolicy(await store.defaults(), org.policy)),
        isOrganisation: true,
        ownPolicy: Object.keys(partialPolicy(org.policy)).length > 0,
      });
    });
    router.post('/reminders/:slug/policy', allow(can.manageStaff), async (req, res) => {
      const org = await orgInScope(req);
      const c = caller(req);
      const body = req.body as Record<string, unknown>;
      if (body.useDefaults === 'yes') {
        await store.saveOrganisationPolicy(managedScope(c), org.id, {});
        await audit(pool, { actorUserId: c.userId, action: 'reminders.policy-reset', organisationId: org.id, ip: req.ip });
        req.session.flash = 'Reminders now follow the partnership defaults.';
        return res.redirect(`/reminders/${org.slug}`);
      }
      const parsed = policyFromForm(body);
      if (!parsed.policy) {
        return policyPage(res, {
          title: 'Reminder policy',
          caption: org.name,
          action: `/reminders/${org.slug}/policy`,
          form: parsed.form,
          errors: parsed.errors,
          isOrganisation: true,
        });
      }
      await store.saveOrganisationPolicy(managedScope(c), org.id, parsed.policy);
      await audit(pool, {
        actorUserId: c.userId,
        action: 'reminders.policy-changed',
        organisationId: org.id,
        detail: parsed.policy as unknown as Record<string, unknown>,
        ip: req.ip,
      });
      req.session.flash = 'Reminder policy saved.';
      res.redirect(`/reminders/${org.slug}`);
    });

    router.get('/admin/reminder-defaults', allow(can.administerPartnership), async (_req, res) => {
      policyPage(res, {
        title: 'Default reminder policy',
        caption: 'Partnership defaults',
        action: '/admin/reminder-defaults',
        form: policyToForm(effectivePolicy(await store.defaults(), {})),
        isOrganisation: false,
      });
    });
    router.post('/admin/reminder-defaults', allow(can.administerPartnership), async (req, res) => {
      const parsed = policyFromForm(req.body as Record<string, unknown>);
      if (!parsed.policy) {
        return policyPage(res, {
          title: 'Default reminder policy',
          caption: 'Partnership defaults',
          action: '/admin/reminder-defaults',
          form: parsed.form,
          errors: parsed.errors,
          isOrganisation: false,
        });
      }
      const c = caller(req);
      await store.saveDefaults(parsed.policy, c.userId);
      await audit(pool, {
        actorUserId: c.userId,
        action: 'reminders.defaults-changed',
        detail: parsed.policy as unknown as Record<string, unknown>,
        ip: req.ip,
      });
      req.session.flash = 'Default reminder policy saved.';
      res.redirect('/reminders');
    });

    router.get('/admin/outbox', allow(can.administerPartnership), async (req, res) => {
      const status = typeof req.query.status === 'string' && OUTBOX_STATUSES.includes(req.query.status) ? req.query.status : null;
      const { messages, counts } = await store.outbox(status);
      res.render(ctx.view('outbox'), {
        title: 'Outbox',
        delivers: ctx.mailer.delivers,
        filtered: status,
        statusCounts: OUTBOX_STATUSES.map((s) => ({ status: s, label: STATUS_LABEL[s], count: counts[s] ?? 0, selected: s === status })),
        messages: messages.map((m) => ({ ...m, statusLabel: STATUS_LABEL[m.status] })),
      });
    });
    router.get('/admin/outbox/:id', allow(can.administerPartnership), async (req, res) => {
      const message = await store.outboxMessage(String(req.params.id));
      if (!message) throw new NotFoundError('message');
      res.render(ctx.view('outbox-message'), {
        title: message.subject,
        message: { ...message, lines: withoutSecretLinks(String(message.text)).split('\n'), statusLabel: STATUS_LABEL[message.status] },
      });
    });
    return router;
  },
});
