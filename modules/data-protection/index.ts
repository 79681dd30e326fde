import express, { type Request, type Response } from 'express';
import { allow, caller, can, managedScope } from '../../server/access';
import { audit } from '../../server/auth/users';
import { readFlags } from '../../server/cli-args';
import { NotFoundError, UsageError } from '../../server/errors';
import { defineModule, type ModuleContext } from '../../server/module';
import { londonToday } from '../../server/london';
import { describeMonths, parseRetentionMonths } from './rules';
import { anonymiseLeaver, dueLeavers, retentionMonths, setRetentionMonths, subjectAccess } from './store';

/** Anonymises every leaver past the retention period; one transaction per person, so one failure loses no one else's. */
export async function anonymiseDueLeavers(ctx: ModuleContext, actorUserId: string | null, today = londonToday()): Promise<number> {
  const { months } = await retentionMonths(ctx.database.pool, ctx.config.leaverRetentionMonths);
  let done = 0;
  for (const leaver of await dueLeavers(ctx.database.pool, { kind: 'all' }, today, months)) {
    if (await ctx.database.transaction((client) => anonymiseLeaver(client, leaver.id, actorUserId, months))) done++;
  }
  return done;
}

export default defineModule({
  name: 'data-protection',
  dependsOn: ['staff', 'evidence', 'certificates', 'reminders', 'scorm', 'accounts', 'cmi5'],
  nav: [
    {
      label: 'Data protection',
      href: '/admin/data-protection',
      roles: can.administerPartnership,
      order: 93,
      hub: { topic: 'data', description: 'How long leavers’ records are kept, subject access and erasure' },
    },
  ],
  jobs(ctx, agenda) {
    agenda.define('data protection: anonymise leavers', async () => {
      const n = await anonymiseDueLeavers(ctx, null);
      if (n) ctx.logger.info({ anonymised: n }, 'anonymised leavers past the retention period');
    });
    return (async () => {
      await agenda.every('1 day', 'data protection: anonymise leavers');
    })();
  },
  cli: {
    'data-protection:anonymise': {
      summary: 'Anonymise every leaver past the retention period now (the daily job does the same)',
      usage: 'npm run cli -- data-protection:anonymise [--today YYYY-MM-DD]',
      async run(ctx, args) {
        const { today } = readFlags(args, { today: { type: 'string' } }, 'npm run cli -- data-protection:anonymise [--today YYYY-MM-DD]').values;
        if (today !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(today)) throw new UsageError('--today needs a date as YYYY-MM-DD.');
        const n = await anonymiseDueLeavers(ctx, null, today);
        console.log(`Anonymised ${n} leaver${n === 1 ? '' : 's'}.`);
      },
    },
  },
  routes(ctx) {
    const router = express.Router();
    const pool = ctx.database.pool;

    async function exportFor(req: Request) {
      const me = caller(req);
      const data = await subjectAccess(pool, managedScope(me), String(req.params.id));
      if (!data) throw new NotFoundError('member of staff');
      return { me, data };
    }
    const fileName = (name: string, ext: string) =>
      `subject-access-${
        name
          .toLowerCase()
          .replace(/[^a-z0-9]+/g, '-')
          .replace(/^-|-$/g, '') || 'person'
      }.${ext}`;
    const logExport = (me: { userId: string }, data: { person: { staffId: string } }, format: string, req: Request) =>
      audit(pool, {
        actorUserId: me.userId,
        action: 'data-protection.subject-access-exported',
        subjectType: 'staff',
        subjectId: data.person.staffId,
        detail: { format },
        ip: req.ip,
      });

    router.get('/admin/people/:id/subject-access.json', allow(can.manageStaff), async (req, res) => {
      const { me, data } = await exportFor(req);
      await logExport(me, data, 'json', req);
      res
        .attachment(fileName(data.person.name, 'json'))
        .type('application/json')
        .send(JSON.stringify(data, null, 2));
    });

    router.get('/admin/people/:id/subject-access.pdf', allow(can.manageStaff), async (req, res) => {
      const { me, data } = await exportFor(req);
      // Loaded on the first such export, not at start (pdfkit and its fonts).
      const { renderSubjectAccessPdf } = require('./pdf') as typeof import('./pdf');
      const pdf = await renderSubjectAccessPdf(data, res.locals.partnership?.name ?? 'The partnership', ctx.database.pool);
      await logExport(me, data, 'pdf', req);
      res.attachment(fileName(data.person.name, 'pdf')).type('application/pdf').send(pdf);
    });

    async function page(req: Request, res: Response, extra: Record<string, unknown> = {}, status = 200) {
      const { months, partnershipMonths } = await retentionMonths(pool, ctx.config.leaverRetentionMonths);
      const due = await dueLeavers(pool, { kind: 'all' }, londonToday(), months);
      const q = typeof req.query.q === 'string' ? req.query.q.trim().slice(0, 200) : '';
      const { rows: people } = q
        ? await pool.query<{ id: string; name: string; email: string | null; organisationName: string; leavingDate: string | null }>(
            `select s.id, s.name, s.email, o.name as "organisationName", to_char(s.leaving_date, 'YYYY-MM-DD') as "leavingDate"
               from staff_members s join member_organisations o on o.id = s.organisation_id
              where s.name ilike $1 or s.email ilike $1 or s.staff_number = $2 order by s.name limit 50`,
            [`%${q.replace(/[\\%_]/g, (m) => `\\${m}`)}%`, q],
          )
        : { rows: [] };
      res.status(status).render(ctx.view('data-protection'), {
        title: 'Data protection',
        months,
        period: describeMonths(months),
        fromEnvironment: !partnershipMonths,
        form: { months: String(partnershipMonths ?? months) },
        due: due.slice(0, 100),
        dueCount: due.length,
        q,
        searched: !!q,
        people,
        ...extra,
      });
    }

    router.get('/admin/data-protection', allow(can.administerPartnership), (req, res) => page(req, res));

    router.post('/admin/data-protection/retention', allow(can.administerPartnership), async (req, res) => {
      const raw = req.body?.months;
      const months = parseRetentionMonths(raw);
      if (months === null) {
        const error = 'Enter the retention period as a whole number of months from 1 to 1200, for example 72 for 6 years';
        return page(req, res, { errors: [{ text: error, href: '#months' }], monthsError: error, form: { months: String(raw ?? '') } }, 400);
      }
      await setRetentionMonths(pool, months, caller(req).userId);
      req.session.flash = `Leavers’ details are now kept for ${describeMonths(months)} after they leave`;
      res.redirect('/admin/data-protection');
    });

    router.post('/admin/data-protection/anonymise', allow(can.administerPartnership), async (req, res) => {
      const n = await anonymiseDueLeavers(ctx, caller(req).userId);
      req.session.flash = n ? `Anonymised ${n} leaver${n === 1 ? '' : 's'}` : 'No leavers are past the retention period';
      res.redirect('/admin/data-protection');
    });

    return router;
  },
});
