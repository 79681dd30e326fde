import express from 'express';
import { allow, caller, can } from '../../server/access';
import { audit } from '../../server/auth/users';
import { defineModule } from '../../server/module';
import { NATIONAL_SUPPORT } from '../../server/partnership';
import { setPartnership } from '../partnership/api';
import { exitUrlProblem, formatSupportLinks, parseSupportLinks } from './rules';

/**
 * Safety for learners who may be living with abuse themselves: the quick exit
 * on every page (public/quick-exit.js, included by views/partials/quickExit.hbs)
 * and the partnership's support services, which administrators keep here.
 */
export default defineModule({
  name: 'safety',
  dependsOn: ['partnership'],
  // Where the quick exit goes is this module's own table (migrations/002_quick_exit_table.sql).
  async siteSettings(ctx) {
    const { rows } = await ctx.database.pool.query<{ exit_url: string }>('select exit_url from quick_exit where id = 1');
    return rows[0] ? { exitUrl: rows[0].exit_url } : {};
  },
  nav: [
    {
      label: 'Support and quick exit',
      href: '/admin/support',
      roles: can.administerPartnership,
      order: 92,
      hub: { topic: 'partnership', description: 'The support services listed on every page and where the quick exit button goes' },
    },
  ],
  routes(ctx) {
    const router = express.Router();
    const pool = ctx.database.pool;
    const current = async () => {
      const { rows } = await pool.query<{ support_links: { name: string; url: string; description?: string }[]; exit_url: string | null }>(
        'select p.support_links, q.exit_url from partnership_profile p left join quick_exit q on q.id = 1 where p.id = 1',
      );
      return rows[0];
    };

    router.get('/admin/support', allow(can.administerPartnership), async (_req, res) => {
      const row = await current();
      res.render(ctx.view('support-settings'), {
        title: 'Support and quick exit',
        national: NATIONAL_SUPPORT,
        noPartnership: !row,
        values: row ? { supportLinks: formatSupportLinks(row.support_links), exitUrl: row.exit_url } : {},
      });
    });

    router.post('/admin/support', allow(can.administerPartnership), async (req, res) => {
      const row = await current();
      const supportLinks = String(req.body.supportLinks ?? '');
      const exitUrl = String(req.body.exitUrl ?? '').trim();
      const parsed = parseSupportLinks(supportLinks);
      const exitProblem = exitUrlProblem(exitUrl);
      const errors = [...parsed.errors, ...(exitProblem ? [{ text: exitProblem, href: '#exitUrl' }] : [])];
      if (!row || errors.length) {
        res.status(400).render(ctx.view('support-settings'), {
          title: 'Support and quick exit',
          national: NATIONAL_SUPPORT,
          noPartnership: !row,
          errors,
          values: { supportLinks, exitUrl },
        });
        return;
      }
      await setPartnership(pool, { supportLinks: parsed.links });
      await pool.query('insert into quick_exit (id, exit_url) values (1, $1) on conflict (id) do update set exit_url = excluded.exit_url', [exitUrl]);
      await audit(pool, { actorUserId: caller(req).userId, action: 'partnership.support-changed', detail: { localServices: parsed.links.length, exitUrl } });
      (req.app.locals.partnershipCache as { forget(): void }).forget();
      req.session.flash = 'Support services and quick exit saved';
      res.redirect('/admin/support');
    });
    return router;
  },
});
