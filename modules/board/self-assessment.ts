import type { Request, Response } from 'express';
import { caller, managedScope } from '../../server/access';
import { NotFoundError } from '../../server/errors';
import { londonToday } from '../../server/london';
import type { ModuleContext } from '../../server/module';
import { buildSelfAssessment, findOrganisation } from '../compliance/api';
import { organisationSnapshots } from './store';

/**
 * The figures an organisational lead copies into the partnership's annual
 * self-assessment (/compliance/:slug/self-assessment). Served by this module,
 * not compliance, because past quarters show what this module's snapshots
 * reported to the board, and this module builds on compliance. Its print
 * stylesheet and script are the compliance pages' own.
 */
export function selfAssessmentPage(ctx: ModuleContext) {
  const pool = ctx.database.pool;
  return async (req: Request, res: Response) => {
    const scope = managedScope(caller(req));
    const org = await findOrganisation(pool, scope, { slug: String(req.params.slug) });
    if (!org) throw new NotFoundError('organisation');
    const figures = await buildSelfAssessment(pool, scope, org, londonToday(), (quarterEnds) => organisationSnapshots(pool, scope, org, quarterEnds));
    if (!figures) throw new NotFoundError('organisation');
    res.render(ctx.view('self-assessment'), {
      title: `Self-assessment figures: ${org.name}`,
      backLink: `/compliance/${org.slug}`,
      organisation: org,
      ...figures,
      stylesheets: ['/modules/compliance/print.css'],
      scripts: ['/modules/compliance/print.js'],
    });
  };
}
