import express from 'express';
import { caller, hasRole, managedScope, type OrganisationScope } from '../../server/access';
import { allow } from '../../server/access';
import { HttpError, NotFoundError } from '../../server/errors';
import { defineModule } from '../../server/module';
import { complianceForOrganisation, complianceForStaff, londonToday, STATUS_NAMES, STATUSES, type PersonCompliance } from './service';
import { findOrganisation, listOrganisations } from './store';
import { nextStepsFor } from './next-steps';

/** The scope for reading one person's compliance: whoever manages them, or the person themself. */
function personScope(c: ReturnType<typeof caller>, staffId: string, organisationOf: (id: string) => string | undefined): OrganisationScope {
  const managed = managedScope(c);
  if (managed.kind === 'all') return managed;
  const own = c.staffIds.includes(staffId) ? [organisationOf(staffId)].filter((x): x is string => !!x) : [];
  return { kind: 'organisations', organisationIds: [...managed.organisationIds, ...own] };
}

/** The JSON the API returns for one person (issue 6 point 7). */
export function personJson(p: PersonCompliance) {
  return {
    staffId: p.staffId,
    name: p.name,
    groupNumber: p.groupNumber,
    status: p.status,
    nextExpiry: p.nextExpiry,
    competencies: p.competencies.map((c) => ({
      competencyId: c.competencyId,
      lineage: c.lineage,
      groupNumber: c.groupNumber,
      number: c.number,
      text: c.text,
      met: c.met,
      status: c.status,
      evidenceIds: c.evidenceIds,
      expires: c.expires,
    })),
  };
}

export default defineModule({
  name: 'compliance',
  dependsOn: ['evidence', 'training-sessions'],
  nav: [
    { label: 'My training', href: '/my-training', roles: ['learner'], order: 20 },
    { label: 'Compliance', href: '/compliance', roles: ['org-lead', 'partnership-admin'], order: 40 },
  ],
  api(ctx) {
    const router = express.Router();
    const pool = ctx.database.pool;
    router.get('/staff/:id/compliance', allow(), async (req, res) => {
      const c = caller(req);
      const staffId = String(req.params.id);
      let scope: OrganisationScope = managedScope(c);
      if (c.staffIds.includes(staffId)) {
        const { rows } = await pool.query<{ organisation_id: string }>('select organisation_id from staff where id = $1', [staffId]);
        scope = personScope(c, staffId, () => rows[0]?.organisation_id);
      }
      const result = await complianceForStaff(pool, scope, staffId, londonToday());
      if (!result) throw new HttpError(404, 'No such member of staff.');
      res.json(personJson(result));
    });
    router.get('/organisations/:slug/compliance', allow('org-lead', 'partnership-admin'), async (req, res) => {
      const scope = managedScope(caller(req));
      const org = await findOrganisation(pool, scope, { slug: String(req.params.slug) });
      if (!org) throw new HttpError(404, 'No such organisation.');
      const result = (await complianceForOrganisation(pool, scope, org.id, londonToday()))!;
      res.json({
        organisation: result.organisation,
        date: result.today,
        counts: result.counts,
        staff: result.people.map((p) => ({ staffId: p.staffId, name: p.name, jobTitle: p.jobTitle, groupNumber: p.groupNumber, status: p.status, nextExpiry: p.nextExpiry })),
      });
    });
    return router;
  },
  routes(ctx) {
    const router = express.Router();
    const pool = ctx.database.pool;
    router.get('/compliance', allow('org-lead', 'partnership-admin'), async (req, res) => {
      const orgs = await listOrganisations(pool, managedScope(caller(req)));
      if (orgs.length === 1) return res.redirect(`/compliance/${orgs[0].slug}`);
      res.render(ctx.view('organisations'), { title: 'Compliance', organisations: orgs });
    });
    router.get('/compliance/:slug', allow('org-lead', 'partnership-admin'), async (req, res) => {
      const scope = managedScope(caller(req));
      const org = await findOrganisation(pool, scope, { slug: String(req.params.slug) });
      if (!org) throw new NotFoundError('organisation');
      const result = (await complianceForOrganisation(pool, scope, org.id, londonToday()))!;
      const wanted = typeof req.query.status === 'string' && (STATUSES as string[]).includes(req.query.status) ? req.query.status : '';
      res.render(ctx.view('organisation'), {
        title: `Compliance: ${org.name}`,
        organisation: org,
        today: result.today,
        total: result.counts.total,
        statusCounts: STATUSES.map((s) => ({ status: s, name: STATUS_NAMES[s], count: result.counts.byStatus[s], selected: s === wanted })).filter((s) => s.count > 0 || s.selected),
        filtered: wanted,
        people: result.people.filter((p) => !wanted || p.status === wanted).map((p) => ({ ...p, statusName: STATUS_NAMES[p.status] })),
      });
    });
    router.get('/my-training', allow(), async (req, res) => {
      const c = caller(req);
      const people = [];
      for (const staffId of c.staffIds) {
        const { rows } = await pool.query<{ organisation_id: string; organisation_name: string }>(
          'select s.organisation_id, o.name as organisation_name from staff s join organisations o on o.id = s.organisation_id where s.id = $1',
          [staffId],
        );
        const p = await complianceForStaff(pool, personScope(c, staffId, () => rows[0]?.organisation_id), staffId, londonToday());
        if (!p) continue;
        const steps = await nextStepsFor(pool, p, staffId);
        people.push({ ...p, organisationName: rows[0]?.organisation_name, statusName: STATUS_NAMES[p.status], competencies: steps });
      }
      res.render(ctx.view('my-training'), { title: 'My training', people, canManage: hasRole(c, 'org-lead', 'partnership-admin') });
    });
    return router;
  },
});
