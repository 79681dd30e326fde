import express, { type Request, type Response } from 'express';
import { allow, caller, can, managedScope, may } from '../../server/access';
import { audit } from '../../server/auth/users';
import { HttpError } from '../../server/errors';
import { defineModule, type ModuleContext } from '../../server/module';
import { londonToday } from '../../server/london';
import { loadPublishedFramework } from '../compliance/api';
import { createOrganisationStore } from '../organisations/api';
import { stackedBarChart, trendChart } from './charts';
import { seedBoardDemo } from './demo';
import { boardHeadlines } from './headlines';
import { validateHeadcount } from './headcount';
import { lastEndedQuarter, parseAsOf, parseQuarter, quarter, quarterOf } from './quarters';
import { selfAssessmentPage } from './self-assessment';
import { BOARD_CSV_HEADER, boardCsvRows, methodText, renderBoardReportPdf } from './report';
import { sendCsv } from '../../server/csv';
import { partnershipName as nameOfPartnership } from '../partnership/api';
import { type BoardFigures, boardReport, currentFigures, figuresAsOf, quarterFigures, trend } from './service';
import {
  declaredHeadcount,
  declaredOrganisations,
  declareHeadcount,
  licensingFigures,
  listSnapshots,
  markStale,
  needsRefresh,
  onSystemByGroup,
  type Period,
  refreshFigures,
  setSuppressionThreshold,
  snapshotLastQuarterIfMissing,
  takeSnapshot,
} from './store';
import { isValidThreshold, MAX_THRESHOLD, MIN_THRESHOLD, ROUNDING_BASE, type ShownFigure, type ShownPercent, WITHHELD } from './suppression';
import type { BoardView, EntityFigures } from './view';

/**
 * The figures as the API returns them: every count is a number (0, or rounded
 * to the nearest 5) or null when withheld, and each row lists in `withheld`
 * the names of its fields that are withheld ("[c]" on the pages, CSV and PDF).
 * A percentage that is null without being listed has nothing to divide by.
 */
export function coverageJson(bf: BoardFigures, requestedAsOf?: string) {
  const v = bf.view;
  const row = (r: EntityFigures['total']) => {
    const fields = {
      onSystem: r.onSystem,
      compliant: r.compliant,
      dueSoon: r.dueSoon,
      overdue: r.overdue,
      inInduction: r.inInduction,
      notStarted: r.notStarted,
      compliantPercent: r.compliantPercent,
      dueSoonPercent: r.dueSoonPercent,
      overduePercent: r.overduePercent,
      declaredHeadcount: r.declared,
      compliantOfDeclaredPercent: r.compliantOfDeclaredPercent,
    };
    const withheld = Object.entries(fields)
      .filter(([, f]) => f === WITHHELD)
      .map(([k]) => k);
    return { ...Object.fromEntries(Object.entries(fields).map(([k, f]) => [k, f === WITHHELD ? null : f])), withheld };
  };
  const entity = (e: EntityFigures) => ({ total: row(e.total), groups: e.groups.map((g, i) => ({ group: v.groups[i], ...row(g) })) });
  const count = (f: ShownFigure) => (f === WITHHELD ? null : f);
  return {
    asOf: v.asOf,
    ...(requestedAsOf && requestedAsOf !== v.asOf ? { requestedAsOf } : {}),
    source: bf.source,
    ...(bf.quarter ? { quarter: bf.quarter } : {}),
    computedAt: v.computedAt,
    period: { from: v.periodStart, to: v.periodEnd },
    disclosureControl: {
      method: 'small counts withheld; every other count rounded to the nearest 5; totals are sums of the rounded counts',
      threshold: v.threshold,
      roundingBase: ROUNDING_BASE,
      withheldLabel: WITHHELD,
    },
    partnership: entity(v.partnership),
    sectors: v.sectors.map((s) => ({ sector: s.key.replace('sector:', ''), name: s.name, ...entity(s) })),
    organisations: v.organisations.map((o) => ({ slug: o.key.replace('org:', ''), name: o.name, sector: o.sector, inArea: o.inArea, ...entity(o) })),
    elearning: {
      completions: count(v.elearning.completions),
      byCourse: v.elearning.byCourse.map((c) => ({
        title: c.title,
        completions: count(c.completions),
        withheld: c.completions === WITHHELD ? ['completions'] : [],
      })),
      withheld: v.elearning.completions === WITHHELD ? ['completions'] : [],
    },
    faceToFace: {
      sessionsRun: v.faceToFace.sessionsRun,
      placesFilled: count(v.faceToFace.placesFilled),
      agenciesRepresented: count(v.faceToFace.agenciesRepresented),
      withheld: (['placesFilled', 'agenciesRepresented'] as const).filter((k) => v.faceToFace[k] === WITHHELD),
    },
  };
}

function chartValue(p: ShownPercent): number | null {
  return typeof p === 'number' ? p : null;
}

function chartRows(entities: { name: string; total: EntityFigures['total'] }[]) {
  return entities.map((e) => ({
    label: e.name,
    empty: e.total.onSystem === 0,
    compliant: chartValue(e.total.compliantPercent),
    dueSoon: chartValue(e.total.dueSoonPercent),
    overdue: chartValue(e.total.overduePercent),
  }));
}

/**
 * Small organisations' figures are mostly withheld: say how many, why, and
 * that they still count in the totals, rather than leave a page of [c].
 */
function withheldNote(entities: EntityFigures[], kind: string): string | undefined {
  const withheld = entities.filter((e) => e.total.onSystem !== 0 && typeof e.total.compliantPercent !== 'number').length;
  if (!withheld) return undefined;
  const [has, their, Their] = withheld === 1 ? ['has', 'its', 'Its'] : ['have', 'their', 'Their'];
  return `${withheld} of ${entities.length} ${kind} ${has} so few staff compliant that ${their} share compliant is withheld (${WITHHELD}): a number that small could identify people. ${Their} staff are still counted in the ${kind === 'sectors' ? '' : 'sector and '}partnership figures. More appear as more staff are on the system.`;
}

async function partnershipName(ctx: ModuleContext): Promise<string> {
  return (await nameOfPartnership(ctx.database.reads)) ?? 'Domestic abuse partnership';
}

/**
 * Where a board page reads from: the replica (Database.reads), except on the
 * page a board administrator lands on right after their own change (it shows
 * a flash message), which reads the primary so the change never seems lost.
 */
function readsFor(ctx: ModuleContext, res: Response) {
  return res.locals.flash ? ctx.database.pool : ctx.database.reads;
}

/** Which figures a board page shows: ?quarter=YYYY-Qn for a snapshot, else today's. */
async function pageFigures(ctx: ModuleContext, req: Request, res: Response): Promise<BoardFigures> {
  const pool = ctx.database.pool;
  const reads = readsFor(ctx, res);
  if (typeof req.query.quarter === 'string' && req.query.quarter !== '') {
    const q = parseQuarter(req.query.quarter);
    if (!q) throw new HttpError(400, `"${req.query.quarter.slice(0, 20)}" is not a quarter; quarters are written like 2026-Q3.`);
    const found = await quarterFigures(reads, ctx.config.boardSuppressionThreshold, q);
    if (!found) throw new HttpError(404, `There is no snapshot for ${q.id} (${q.label}).`);
    return found;
  }
  return currentFigures(pool, ctx.config.boardSuppressionThreshold, reads);
}

function monthPeriods(today: string, count: number): Period[] {
  const out: Period[] = [];
  const [y, m] = today.split('-').map(Number);
  for (let i = count - 1; i >= 0; i--) {
    const d = new Date(Date.UTC(y, m - 1 - i, 1));
    const end = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0));
    out.push({
      id: d.toISOString().slice(0, 7),
      label: d.toLocaleDateString('en-GB', { month: 'short', year: 'numeric', timeZone: 'UTC' }),
      start: d.toISOString().slice(0, 10),
      end: end.toISOString().slice(0, 10),
    });
  }
  return out;
}

function quarterPeriods(today: string, count: number): Period[] {
  const out: Period[] = [];
  let q = quarterOf(today);
  for (let i = 0; i < count; i++) {
    out.unshift({ id: q.id, label: q.id.replace('-', ' '), start: q.start, end: q.end });
    q = q.number === 1 ? quarter(q.year - 1, 4) : quarter(q.year, q.number - 1);
  }
  return out;
}

function routes(ctx: ModuleContext) {
  const router = express.Router();
  const pool = ctx.database.pool;
  router.get('/compliance/:slug/self-assessment', allow(can.viewOrganisationCompliance), selfAssessmentPage(ctx));

  type FormErrors = { errors: { text: string; href: string }[]; values: Record<string, string> };
  const renderBoard = async (req: Request, res: Response, page: 'overview' | 'sectors' | 'organisations', form?: FormErrors) => {
    const figures = form ? await currentFigures(pool, ctx.config.boardSuppressionThreshold) : await pageFigures(ctx, req, res);
    const v: BoardView = figures.view;
    const reads = form ? pool : readsFor(ctx, res);
    const [snapshots, points] = await Promise.all([listSnapshots(reads), trend(reads, v.threshold)]);
    const isAdmin = may(req.caller, can.administerPartnership);
    const quarterQuery = figures.quarter ? `?quarter=${figures.quarter}` : '';
    const trendPoints = [
      ...points.map((p) => ({ label: p.label, value: p.value })),
      ...(figures.source === 'current' ? [{ label: 'Now', value: v.partnership.total.compliantPercent }] : []),
    ];
    // Today's figures compare with the last quarter reported; a quarter's with the one before it.
    const shownAt = figures.quarter ? points.findIndex((p) => p.quarter === figures.quarter) : points.length;
    const previous = shownAt > 0 ? points[shownAt - 1] : undefined;
    res.render(ctx.view(page === 'overview' ? 'board' : 'board-breakdown'), {
      title: page === 'overview' ? 'Board coverage' : page === 'sectors' ? 'Board coverage by sector' : 'Board coverage by organisation',
      view: v,
      headlines: page === 'overview' ? boardHeadlines(v.partnership.total, previous) : undefined,
      methodText: methodText(v.threshold),
      page,
      figures,
      quarterLabel: figures.quarter ? parseQuarter(figures.quarter)?.label : undefined,
      quarterQuery,
      snapshots: snapshots.map((s) => ({ ...s, label: parseQuarter(s.quarter)?.label, current: s.quarter === figures.quarter })),
      groupChart: stackedBarChart(
        'Share of staff compliant, due soon and overdue by staff group',
        chartRows([{ name: 'All groups', total: v.partnership.total }, ...v.partnership.groups.map((g) => ({ name: g.label, total: g }))]),
      ),
      trendChart: trendPoints.length > 1 ? trendChart('Share of staff compliant across the partnership, by quarter', trendPoints) : undefined,
      trendPoints,
      entities: page === 'sectors' ? v.sectors : v.organisations,
      withheld: withheldNote(page === 'sectors' ? v.sectors : v.organisations, page === 'sectors' ? 'sectors' : 'organisations'),
      partnershipRows: [v.partnership.total, ...v.partnership.groups],
      entityTotals: (page === 'sectors' ? v.sectors : v.organisations).map((e) => ({ ...e.total, label: e.name })),
      breakdownCaption: page === 'sectors' ? 'All staff groups, by sector' : 'All staff groups, by organisation',
      firstColumn: page === 'sectors' ? 'Sector' : 'Organisation',
      entitiesChart:
        page === 'overview'
          ? undefined
          : stackedBarChart(
              page === 'sectors' ? 'Share compliant, due soon and overdue by sector' : 'Share compliant, due soon and overdue by organisation',
              chartRows(page === 'sectors' ? v.sectors : v.organisations),
            ),
      isAdmin,
      lastEnded: lastEndedQuarter(londonToday()),
      minThreshold: MIN_THRESHOLD,
      maxThreshold: MAX_THRESHOLD,
      errors: form?.errors,
      quarterError: form?.errors.find((e) => e.href === '#quarter')?.text,
      thresholdError: form?.errors.find((e) => e.href === '#threshold')?.text,
      values: { quarter: lastEndedQuarter(londonToday()).id, threshold: String(v.threshold), ...form?.values },
    });
  };

  router.get('/board', allow(can.viewBoard), (req, res) => renderBoard(req, res, 'overview'));
  router.get('/board/sectors', allow(can.viewBoard), (req, res) => renderBoard(req, res, 'sectors'));
  router.get('/board/organisations', allow(can.viewBoard), (req, res) => renderBoard(req, res, 'organisations'));

  router.post('/board/refresh', allow(can.administerPartnership), async (req, res) => {
    await refreshFigures(pool, londonToday());
    req.session.flash = 'Figures brought up to date';
    res.redirect('/board');
  });

  router.post('/board/snapshots', allow(can.administerPartnership), async (req, res) => {
    const q = parseQuarter(String(req.body.quarter ?? ''));
    const today = londonToday();
    const entered = String(req.body.quarter ?? '').slice(0, 20);
    const problem = !q
      ? `Enter a quarter written like ${lastEndedQuarter(today).id}`
      : q.end >= today
        ? `${q.id} has not ended yet; its snapshot can be taken from the day after ${q.end}`
        : undefined;
    if (problem || !q)
      return renderBoard(req, res.status(400), 'overview', { errors: [{ text: problem ?? '', href: '#quarter' }], values: { quarter: entered } });
    const retake = req.body.retake === 'yes';
    const written = await takeSnapshot(pool, q, { userId: caller(req).userId, ip: req.ip, retake });
    req.session.flash = written
      ? retake
        ? `Snapshot for ${q.id} taken again (recorded in the audit log)`
        : `Snapshot for ${q.id} taken`
      : `${q.id} already has a snapshot; it was left as reported`;
    res.redirect(`/board?quarter=${q.id}`);
  });

  router.post('/board/settings', allow(can.administerPartnership), async (req, res) => {
    const raw = String(req.body.threshold ?? '').trim();
    const value = raw === '' ? null : Number(raw);
    if (value !== null && !isValidThreshold(value)) {
      const errors = [{ text: `Enter the smallest count shown as a whole number from ${MIN_THRESHOLD} to ${MAX_THRESHOLD}`, href: '#threshold' }];
      return renderBoard(req, res.status(400), 'overview', { errors, values: { threshold: raw.slice(0, 10) } });
    }
    await setSuppressionThreshold(pool, value);
    await audit(pool, { actorUserId: caller(req).userId, action: 'board.threshold-set', detail: { threshold: value }, ip: req.ip });
    req.session.flash = value === null ? 'Small-number threshold reset to the default' : `Counts below ${value} are now withheld`;
    res.redirect('/board');
  });

  router.get('/board/report/:file', allow(can.viewBoard), async (req, res) => {
    const m = /^(\d{4}-Q[1-4])\.(pdf|csv)$/.exec(String(req.params.file));
    if (!m) throw new HttpError(404, 'Board reports are at /board/report/<quarter>.pdf or .csv, for example 2026-Q3.pdf.');
    const report = await boardReport(ctx.database.reads, ctx.config.boardSuppressionThreshold, m[1], await partnershipName(ctx));
    if (!report) throw new HttpError(404, `There is no snapshot for ${m[1]}, so there is no report for it yet.`);
    if (m[2] === 'csv') {
      sendCsv(res, `board-report-${m[1]}.csv`, BOARD_CSV_HEADER, boardCsvRows(report.view));
      return;
    }
    res
      .type('application/pdf')
      .attachment(`board-report-${m[1]}.pdf`)
      .send(await renderBoardReportPdf(report, pool));
  });

  const licensing = async () => {
    const today = londonToday();
    const months = monthPeriods(today, 12);
    const quarters = quarterPeriods(today, 4);
    const rows = await licensingFigures(ctx.database.reads, [...months, ...quarters], today);
    return { today, months, quarters, rows };
  };
  router.get('/board/licensing', allow(can.administerPartnership), async (_req, res) => {
    const { months, quarters, rows } = await licensing();
    res.render(ctx.view('licensing'), {
      title: 'Licensing',
      months,
      quarters,
      rows: rows.map((r) => ({ ...r, monthly: months.map((p) => r.activeLearners[p.id]), quarterly: quarters.map((p) => r.activeLearners[p.id]) })),
    });
  });
  router.get('/board/licensing.csv', allow(can.administerPartnership), async (_req, res) => {
    const { months, quarters, rows } = await licensing();
    const periods = [...months, ...quarters];
    sendCsv(
      res,
      'licensing.csv',
      [
        'organisation',
        'slug',
        'licence_status',
        'licence_starts_on',
        'licence_ends_on',
        'seats',
        'seats_used',
        ...periods.map((p) => `active_learners_${p.id}`),
      ],
      rows.map((r) => [
        r.name,
        r.slug,
        r.licenceStatus,
        r.licenceStartsOn ?? '',
        r.licenceEndsOn ?? '',
        r.seats ?? '',
        r.seatsUsed,
        ...periods.map((p) => r.activeLearners[p.id]),
      ]),
    );
  });

  // Declared headcount: the organisation's own leads and the partnership's administrators.
  const headcountOrg = async (req: Request) => {
    const org = await createOrganisationStore(pool).bySlugInScope(String(req.params.slug), managedScope(caller(req)));
    if (!org) throw new HttpError(404, 'We could not find that organisation.');
    return org;
  };
  const headcountPage = async (req: Request, res: Response, locals: { errors?: { text: string; href: string }[]; values?: Record<string, string> } = {}) => {
    const org = await headcountOrg(req);
    const scope = managedScope(caller(req));
    const [framework, declared, onSystem] = await Promise.all([
      loadPublishedFramework(pool),
      declaredHeadcount(pool, scope, org.id),
      onSystemByGroup(pool, scope, org.id, londonToday()),
    ]);
    const groups = [...new Set(framework.groups.map((g) => g.number))].sort((a, b) => a - b);
    const values =
      locals.values ??
      Object.fromEntries(
        (declared ?? []).flatMap((d) => [
          [`staff${d.groupNumber}`, String(d.staff)],
          [`volunteers${d.groupNumber}`, String(d.volunteers)],
        ]),
      );
    res.render(ctx.view('headcount'), {
      title: `Declared headcount: ${org.name}`,
      org,
      errors: locals.errors,
      groups: groups.map((g) => ({
        number: g,
        staffId: `staff${g}`,
        volunteersId: `volunteers${g}`,
        staff: values[`staff${g}`] ?? '',
        volunteers: values[`volunteers${g}`] ?? '',
        onSystemStaff: onSystem.get(g)?.staff ?? 0,
        onSystemVolunteers: onSystem.get(g)?.volunteers ?? 0,
        staffError: locals.errors?.find((e) => e.href === `#staff${g}`)?.text,
        volunteersError: locals.errors?.find((e) => e.href === `#volunteers${g}`)?.text,
      })),
      declaredBefore: (declared ?? []).length > 0,
    });
  };
  router.get('/headcount', allow(can.manageOrganisation), async (req, res) => {
    const scope = managedScope(caller(req));
    const orgs = await createOrganisationStore(pool).inScope(scope);
    if (orgs.length === 1) return res.redirect(`/organisations/${orgs[0].slug}/headcount`);
    const declared = await declaredOrganisations(pool, scope);
    res.render(ctx.view('headcount-list'), {
      title: 'Declared headcount',
      organisations: orgs.map((o) => ({ slug: o.slug, name: o.name, declaredOn: declared.get(o.id) })),
    });
  });
  router.get('/organisations/:slug/headcount', allow(can.manageOrganisation), (req, res) => headcountPage(req, res));
  router.post('/organisations/:slug/headcount', allow(can.manageOrganisation), async (req, res) => {
    const org = await headcountOrg(req);
    const framework = await loadPublishedFramework(pool);
    const groups = [...new Set(framework.groups.map((g) => g.number))].sort((a, b) => a - b);
    const { rows, errors } = validateHeadcount(req.body, groups);
    if (errors.length) {
      res.status(400);
      return headcountPage(req, res, {
        errors,
        values: Object.fromEntries(
          groups.flatMap((g) => [
            [`staff${g}`, String(req.body[`staff${g}`] ?? '')],
            [`volunteers${g}`, String(req.body[`volunteers${g}`] ?? '')],
          ]),
        ),
      });
    }
    await declareHeadcount(pool, managedScope(caller(req)), org.id, rows, { userId: caller(req).userId, ip: req.ip });
    req.session.flash = `Headcount for ${org.name} saved`;
    res.redirect(`/organisations/${org.slug}/headcount`);
  });
  return router;
}

export default defineModule({
  name: 'board',
  dependsOn: ['organisations', 'staff', 'compliance', 'scorm', 'training-sessions', 'evidence', 'partnership'],
  nav: [
    { label: 'Board', href: '/board', roles: can.viewBoard, order: 80 },
    {
      label: 'Headcount',
      href: '/headcount',
      roles: can.manageOrganisation,
      order: 81,
      hub: { topic: 'partnership', description: 'How many staff and volunteers each organisation has, for the board’s coverage figures' },
    },
    {
      label: 'Licensing',
      href: '/board/licensing',
      roles: can.administerPartnership,
      order: 82,
      hub: { topic: 'partnership', description: 'Active learners by organisation, for e-learning licences and charges' },
    },
  ],
  routes,
  api(ctx) {
    const router = express.Router();
    router.get('/board/coverage', allow(can.viewBoard), async (req, res) => {
      const today = londonToday();
      const parsed = req.query.asOf === undefined ? { date: today } : parseAsOf(req.query.asOf, today);
      if ('error' in parsed) throw new HttpError(400, parsed.error);
      res.json(coverageJson(await figuresAsOf(ctx.database.pool, ctx.config.boardSuppressionThreshold, parsed.date, ctx.database.reads), parsed.date));
    });
    return router;
  },
  events(ctx) {
    // Evidence or a group changed: today's figures are out of date. The refresh job
    // works them out again a few minutes later, once, however many changes came in.
    ctx.events.on('evidence.recorded', ({ client }) => markStale(client));
    ctx.events.on('staff.group-changed', ({ client }) => markStale(client));
    // A new framework version may have other groups: the figures are by group.
    ctx.events.on('framework.published', ({ client }) => markStale(client));
  },
  async jobs(ctx, jobs) {
    const pool = ctx.database.pool;
    jobs.define('board: refresh figures', async () => {
      const today = londonToday();
      if (!(await needsRefresh(pool, today))) return;
      const started = Date.now();
      const figures = await refreshFigures(pool, today);
      ctx.logger.info({ organisations: figures.organisations.length, ms: Date.now() - started }, 'board figures refreshed');
    });
    // Quarterly snapshot on the first days after each quarter ends (UK time). Taken
    // late (within the quarter's first month) if the server was down; never later,
    // so a new installation does not report a quarter it did not see.
    jobs.define('board: quarterly snapshot', async () => {
      const today = londonToday();
      if (today.slice(0, 7) === quarterOf(today).start.slice(0, 7)) {
        if (await snapshotLastQuarterIfMissing(pool, today)) ctx.logger.info({ quarter: lastEndedQuarter(today).id }, 'board quarterly snapshot taken');
      }
    });
    await jobs.every('5 minutes', 'board: refresh figures');
    await jobs.every('1 hour', 'board: quarterly snapshot');
  },
  async seedDemo(ctx) {
    await seedBoardDemo(ctx.database.pool, londonToday());
  },
});
