import express from 'express';
import { allow, caller, can, managedScope, may, type OrganisationScope } from '../../server/access';
import { HttpError, NotFoundError } from '../../server/errors';
import { defineModule } from '../../server/module';
import { complianceForOrganisation, complianceForStaff, londonToday, STATUS_NAMES, STATUSES, type PersonCompliance } from './service';
import { keptResultsAfterDemoLoad } from './kept';
import { findOrganisation, listOrganisations } from './store';
import { trainingPlanFor } from './next-steps';
import { STATUS_TAGS, statusSummary } from './summary';
import {
  applyFilter,
  CHASE_CSV_HEADER,
  CHASE_REASONS,
  type ChaseItem,
  chaseCsvRows,
  chaseList,
  chaseNeeds,
  COUNTED_STATUSES,
  type CountRow,
  competencyLabel,
  countsBy,
  countsCsv,
  type LeadPerson,
  listQueryString,
  paginate,
  paginationItems,
  parseListQuery,
  SORT_NAMES,
  type SortKey,
  type StaffFilter,
  STAFF_CSV_HEADER,
  sortPeople,
  staffCsvRows,
  teamKey,
  teamLabel,
  groupLabel,
  toLeadPeople,
} from './dashboard';
import { personEvidencePage } from './person-evidence';
import { sendCsv } from '../../server/csv';
import type { ComplianceStatus } from './engine';
import { organisationName, queueWorkingOut, workingOutBanner, workingOutProgress, workOutAfterBulkLoad, workOutQueued } from './working-out';

/** The background job that works out every affected organisation's figures after a bulk load (working-out.ts). */
export const WORKING_OUT_JOB = 'compliance: work out figures after a bulk load';

/** How many people "who to chase" shows on the dashboard; the CSV has everyone. */
const CHASE_SHOWN = 50;

/** A counts table for the view: each non-zero count links to the staff list filtered to those people. */
function countTable(base: string, rows: CountRow[], by: 'group' | 'team') {
  return rows.map((r) => {
    const filter: StaffFilter = by === 'group' ? { group: r.key } : { team: r.key };
    return {
      label: r.label,
      headcount: r.headcount,
      headcountHref: `${base}/staff${listQueryString(filter)}`,
      other: r.other,
      cells: COUNTED_STATUSES.map((s) => ({
        count: r.counts[s],
        statusName: STATUS_NAMES[s],
        href: r.counts[s] ? `${base}/staff${listQueryString({ ...filter, status: s })}` : null,
      })),
    };
  });
}

function chaseView(item: ChaseItem) {
  return { ...item, reasonName: CHASE_REASONS[item.reason], teamLabel: teamLabel(teamKey(item.person.team)), needsSummary: chaseNeeds(item) };
}

/** Every competency someone in the list needs, for the "competency not met" filter. */
function competencyChoices(people: LeadPerson[]): { id: string; label: string; order: number }[] {
  const seen = new Map<string, { id: string; label: string; order: number }>();
  for (const p of people) {
    for (const c of p.competencies)
      if (!seen.has(c.competencyId)) seen.set(c.competencyId, { id: c.competencyId, label: competencyLabel(c), order: c.groupNumber * 1000 + c.number });
  }
  return [...seen.values()].sort((a, b) => a.order - b.order);
}

/** The filter in words, for the heading above the results. */
function describeFilter(filter: StaffFilter, competencies: { id: string; label: string }[]): string {
  const parts: string[] = [];
  if (filter.status) parts.push(STATUS_NAMES[filter.status].toLowerCase());
  if (filter.group) parts.push(`in ${groupLabel(filter.group).replace(/^Group/, 'group')}`);
  if (filter.team) parts.push(`in team ${teamLabel(filter.team)}`);
  if (filter.competency) parts.push(`not meeting ${competencies.find((c) => c.id === filter.competency)?.label ?? 'the competency'}`);
  return parts.join(', ');
}

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
  dependsOn: ['evidence', 'training-sessions', 'scorm', 'cmi5', 'framework', 'organisations'],
  seedDemo: (ctx) => keptResultsAfterDemoLoad(ctx.database.pool),
  nav: [
    { label: 'My training', href: '/my-training', roles: ['learner'], order: 10 },
    { label: 'Compliance', href: '/compliance', roles: can.viewOrganisationCompliance, order: 10 },
    {
      label: 'Working out figures',
      href: '/compliance/working-out',
      roles: can.administerPartnership,
      order: 90,
      hub: { topic: 'data', description: 'Progress of working out every organisation’s compliance after a staff import or a new framework version' },
    },
  ],
  events(ctx) {
    // In the change's own transaction: the work is asked for if and only if the change is made.
    ctx.events.on('staff.imported', async ({ client, organisationId }) => {
      await queueWorkingOut(client, `a staff import for ${await organisationName(client, organisationId)}`, [organisationId]);
    });
    ctx.events.on('framework.published', async ({ client, version }) => {
      await queueWorkingOut(client, `version ${version} of the framework was published`, 'all');
    });
  },
  async jobs(ctx, jobs) {
    const pool = ctx.database.pool;
    jobs.define(
      WORKING_OUT_JOB,
      async (job) => {
        const started = Date.now();
        const today = londonToday();
        const result = await workOutQueued(
          pool,
          (id) => workOutAfterBulkLoad(pool, id, today),
          () => job.touch(),
        );
        if (result.organisations || result.failed) ctx.logger.info({ ...result, ms: Date.now() - started }, 'figures worked out after a bulk load');
      },
      { concurrency: 1 },
    );
    // Work is asked for in the change's transaction; the job finds it at its next run.
    await jobs.every('1 minute', WORKING_OUT_JOB);
  },
  api(ctx) {
    const router = express.Router();
    const pool = ctx.database.pool;
    router.get('/staff/:id/compliance', allow(), async (req, res) => {
      const c = caller(req);
      const staffId = String(req.params.id);
      let scope: OrganisationScope = managedScope(c);
      if (c.staffIds.includes(staffId)) {
        const { rows } = await pool.query<{ organisation_id: string }>('select organisation_id from staff_members where id = $1', [staffId]);
        scope = personScope(c, staffId, () => rows[0]?.organisation_id);
      }
      const result = await complianceForStaff(pool, scope, staffId, londonToday());
      if (!result) throw new HttpError(404, 'No such member of staff.');
      res.json(personJson(result));
    });
    router.get('/organisations/:slug/compliance', allow(can.viewOrganisationCompliance), async (req, res) => {
      const scope = managedScope(caller(req));
      const org = await findOrganisation(pool, scope, { slug: String(req.params.slug) });
      if (!org) throw new HttpError(404, 'No such organisation.');
      const result = (await complianceForOrganisation(pool, scope, org.id, londonToday()))!;
      res.json({
        organisation: result.organisation,
        date: result.today,
        counts: result.counts,
        staff: result.people.map((p) => ({
          staffId: p.staffId,
          name: p.name,
          jobTitle: p.jobTitle,
          groupNumber: p.groupNumber,
          status: p.status,
          nextExpiry: p.nextExpiry,
        })),
      });
    });
    return router;
  },
  routes(ctx) {
    const router = express.Router();
    const pool = ctx.database.pool;
    router.get('/staff/:id/evidence', allow(), personEvidencePage(ctx));
    router.get('/compliance', allow(can.viewOrganisationCompliance), async (req, res) => {
      const orgs = await listOrganisations(pool, managedScope(caller(req)));
      if (orgs.length === 1) return res.redirect(`/compliance/${orgs[0].slug}`);
      const workingOut = may(caller(req), can.administerPartnership) ? workingOutBanner((await workingOutProgress(pool)).unfinished) : undefined;
      res.render(ctx.view('organisations'), { title: 'Compliance', organisations: orgs, workingOut });
    });
    router.get('/compliance/working-out', allow(can.administerPartnership), async (_req, res) => {
      res.render(ctx.view('working-out'), { title: 'Working out figures', ...(await workingOutProgress(pool)) });
    });
    router.get('/compliance/:slug', allow(can.viewOrganisationCompliance), async (req, res) => {
      // Links from before the staff list had its own page (reminder emails, bookmarks) kept their status filter here.
      if (typeof req.query.status === 'string')
        return res.redirect(
          `/compliance/${encodeURIComponent(String(req.params.slug))}/staff${listQueryString({ status: req.query.status as ComplianceStatus })}`,
        );
      const { org, today, people } = await leadPeople(req);
      const base = `/compliance/${org.slug}`;
      const chase = chaseList(people, today);
      res.render(ctx.view('organisation'), {
        title: `Compliance: ${org.name}`,
        organisation: org,
        base,
        today,
        total: people.length,
        statusCounts: STATUSES.map((s) => ({ status: s, name: STATUS_NAMES[s], count: people.filter((p) => p.status === s).length }))
          .filter((s) => s.count > 0)
          .map((s) => ({ ...s, href: `${base}/staff${listQueryString({ status: s.status })}` })),
        statusColumns: COUNTED_STATUSES.map((s) => STATUS_NAMES[s]),
        groupTable: countTable(base, countsBy(people, 'group'), 'group'),
        teamTable: countTable(base, countsBy(people, 'team'), 'team'),
        chase: chase.slice(0, CHASE_SHOWN).map(chaseView),
        chaseTotal: chase.length,
        chaseMore: chase.length > CHASE_SHOWN,
      });
    });
    router.get('/compliance/:slug/staff', allow(can.viewOrganisationCompliance), async (req, res) => {
      const { org, people } = await leadPeople(req);
      const base = `/compliance/${org.slug}`;
      const competencies = competencyChoices(people);
      const { query, errors } = parseListQuery(req.query, { competencyIds: competencies.map((c) => c.id) });
      const shown = paginate(sortPeople(applyFilter(people, query.filter), query.sort), query.page);
      const groups = countsBy(people, 'group');
      const teams = countsBy(people, 'team');
      const { filter } = query;
      const href = (page: number) => `${base}/staff${listQueryString(filter, { sort: query.sort, page })}`;
      if (errors.length) res.status(400);
      res.render(ctx.view('staff-list'), {
        title: `Staff compliance: ${org.name}`,
        backLink: base,
        organisation: org,
        errors,
        filtered: Object.keys(filter).length > 0,
        clearHref: `${base}/staff`,
        csvHref: `${base}/staff.csv${listQueryString(filter, { sort: query.sort })}`,
        groups: groups.map((g) => ({ value: g.key, label: g.label, selected: g.key === filter.group })),
        teams: teams.map((t) => ({ value: t.key, label: t.label, selected: t.key === filter.team })),
        statuses: STATUSES.map((s) => ({ value: s, label: STATUS_NAMES[s], selected: s === filter.status })),
        competencies: competencies.map((c) => ({ value: c.id, label: c.label, selected: c.id === filter.competency })),
        sorts: (Object.keys(SORT_NAMES) as SortKey[]).map((s) => ({ value: s, label: SORT_NAMES[s], selected: s === query.sort })),
        summary: describeFilter(filter, competencies),
        page: shown,
        people: shown.items.map((p) => ({
          ...p,
          statusName: STATUS_NAMES[p.status],
          tag: STATUS_TAGS[p.status],
          teamLabel: teamLabel(teamKey(p.team)),
          unmet: p.competencies.filter((c) => !c.met).length,
        })),
        pagination: shown.pageCount > 1 && {
          previous: shown.page > 1 ? href(shown.page - 1) : null,
          next: shown.page < shown.pageCount ? href(shown.page + 1) : null,
          items: paginationItems(shown.page, shown.pageCount).map((i) => ('ellipsis' in i ? i : { ...i, href: href(i.number) })),
        },
      });
    });
    router.get('/compliance/:slug/staff.csv', allow(can.viewOrganisationCompliance), async (req, res) => {
      const { org, today, people } = await leadPeople(req);
      const { query, errors } = parseListQuery(req.query, { competencyIds: competencyChoices(people).map((c) => c.id) });
      if (errors.length) throw new HttpError(400, `${errors.map((e) => e.text).join('. ')}.`);
      sendCsv(res, `${org.slug}-staff-${today}.csv`, STAFF_CSV_HEADER, staffCsvRows(sortPeople(applyFilter(people, query.filter), query.sort)));
    });
    router.get('/compliance/:slug/counts.csv', allow(can.viewOrganisationCompliance), async (req, res) => {
      const by = req.query.by === 'team' ? 'team' : req.query.by === 'group' || req.query.by === undefined ? 'group' : null;
      if (!by) throw new HttpError(400, 'Choose counts by group or by team (by=group or by=team).');
      const { org, today, people } = await leadPeople(req);
      const table = countsCsv(countsBy(people, by), by);
      sendCsv(res, `${org.slug}-by-${by}-${today}.csv`, table.header, table.rows);
    });
    router.get('/compliance/:slug/chase.csv', allow(can.viewOrganisationCompliance), async (req, res) => {
      const { org, today, people } = await leadPeople(req);
      sendCsv(res, `${org.slug}-to-chase-${today}.csv`, CHASE_CSV_HEADER, chaseCsvRows(chaseList(people, today)));
    });
    /** The organisation named in the URL (404 outside the caller's scope) and its current staff as the lead sees them. */
    async function leadPeople(req: express.Request) {
      const scope = managedScope(caller(req));
      const org = await findOrganisation(pool, scope, { slug: String(req.params.slug) });
      if (!org) throw new NotFoundError('organisation');
      const today = londonToday();
      const result = await complianceForOrganisation(pool, scope, org.id, today);
      if (!result) throw new NotFoundError('organisation');
      const details = new Map(result.people.map((p) => [p.staffId, { team: p.team, startDate: p.startDate }]));
      return { org, today, people: toLeadPeople(result.people, details, org.inductionDays) };
    }
    /** The caller's own training, once per staff record they hold (most people have one). */
    async function ownTraining(c: ReturnType<typeof caller>) {
      const people = [];
      for (const staffId of c.staffIds) {
        const { rows } = await pool.query<{ organisation_id: string; organisation_name: string; induction_days: number }>(
          'select s.organisation_id, o.name as organisation_name, o.induction_days from staff_members s join member_organisations o on o.id = s.organisation_id where s.id = $1',
          [staffId],
        );
        const p = await complianceForStaff(
          pool,
          personScope(c, staffId, () => rows[0]?.organisation_id),
          staffId,
          londonToday(),
        );
        if (!p) continue;
        const plan = await trainingPlanFor(pool, p, staffId, c.userId);
        people.push({
          ...p,
          organisationName: rows[0]?.organisation_name,
          statusName: STATUS_NAMES[p.status],
          summary: statusSummary(p, rows[0]?.induction_days ?? 0),
          ...plan,
        });
      }
      return people;
    }
    router.get('/my-training', allow(), async (req, res) => {
      const c = caller(req);
      res.render(ctx.view('my-training'), { title: 'My training', people: await ownTraining(c), canManage: may(c, can.viewOrganisationCompliance) });
    });
    // A learner's home page answers "what do I need to do, by when"; anyone without a staff record gets the server's home page.
    router.get('/', async (req, res, next) => {
      if (!req.caller?.staffIds.length) return next();
      res.render(ctx.view('home'), { title: 'Home', people: await ownTraining(caller(req)) });
    });
    return router;
  },
});
