import express, { type Request } from 'express';
import { allow, caller, can, managedScope, may } from '../../server/access';
import { audit } from '../../server/auth/users';
import { HttpError } from '../../server/errors';
import { defineModule, type ModuleContext } from '../../server/module';
import { publishedGroups } from '../framework/api';
import { holdsOrganisations, seedDemoOrganisations } from './demo';
import { refresherMonthsFor } from './refresher';
import { licencesOf, licenceStatus, londonToday } from './licences';
import { createOrganisationStore, type Organisation, SECTORS } from './store';
import { validateDetails, validateLicence, validateSettings } from './validation';

const SECTOR_OPTIONS = Object.entries(SECTORS).map(([value, text]) => ({ value, text }));
const LICENCE_STATUS_TEXT = { active: 'Active', lapsed: 'Lapsed', none: 'No licence' } as const;

function pageRoutes(ctx: ModuleContext) {
  const router = express.Router();
  const { pool } = ctx.database;
  const store = createOrganisationStore(pool);

  /** The organisation in the URL, if the caller manages it; 404 otherwise, whatever the slug. */
  async function managed(req: Request): Promise<Organisation> {
    const org = await store.bySlugInScope(String(req.params.slug), managedScope(caller(req)));
    if (!org) throw new HttpError(404, 'We could not find that organisation.');
    return org;
  }

  async function licenceSummary(org: Organisation, today: string) {
    if (org.inArea) return undefined;
    const [licences, seatsUsed] = await Promise.all([licencesOf(pool, org.id), store.seatsUsed(org.id)]);
    const status = licenceStatus(licences, today);
    const current = status.status === 'none' ? undefined : status.licence;
    return {
      licences: licences.map((l) => ({ ...l, inForce: l.startsOn <= today && today <= l.endsOn })),
      status: status.status,
      statusText: LICENCE_STATUS_TEXT[status.status],
      current,
      seatsUsed,
      overSeats: status.status === 'active' && seatsUsed > status.licence.seats,
    };
  }

  router.get('/admin/organisations', allow(can.manageOrganisation), async (req, res) => {
    const today = londonToday();
    const orgs = await store.inScope(managedScope(caller(req)));
    const rows = await Promise.all(orgs.map(async (o) => ({ ...o, sectorText: SECTORS[o.sector], licence: await licenceSummary(o, today) })));
    res.render(ctx.view('organisations'), { title: 'Organisations', organisations: rows, canCreate: may(req.caller, can.administerPartnership) });
  });

  const detailsForm = (res: express.Response, locals: Record<string, unknown>) =>
    res.render(ctx.view('organisation-form'), { sectors: SECTOR_OPTIONS, backLink: '/admin/organisations', ...locals });

  router.get('/admin/organisations/new', allow(can.administerPartnership), (_req, res) => {
    detailsForm(res, { title: 'Add an organisation', action: '/admin/organisations/new', values: { inArea: true, emailDomains: '' } });
  });

  router.post('/admin/organisations/new', allow(can.administerPartnership), async (req, res) => {
    const { values, errors } = validateDetails(req.body);
    if (!errors.length && (await store.slugTaken(values.slug))) errors.push({ text: 'Another organisation already uses that short name', href: '#slug' });
    if (errors.length) {
      return detailsForm(res.status(400), {
        title: 'Add an organisation',
        action: '/admin/organisations/new',
        errors,
        values: { ...req.body, inArea: req.body.inArea === 'yes' ? true : req.body.inArea === 'no' ? false : undefined },
      });
    }
    const org = await ctx.database.transaction(async (client) => {
      const created = await createOrganisationStore(client).create(values);
      await audit(client, {
        actorUserId: caller(req).userId,
        action: 'organisation.created',
        organisationId: created.id,
        subjectType: 'organisation',
        subjectId: created.id,
        detail: { ...values },
        ip: req.ip,
      });
      return created;
    });
    req.session.flash = `${org.name} added`;
    res.redirect(`/admin/organisations/${org.slug}`);
  });

  router.get('/admin/organisations/:slug', allow(can.manageOrganisation), async (req, res) => {
    const org = await managed(req);
    const [leads, licence] = await Promise.all([store.leads(org.id), licenceSummary(org, londonToday())]);
    res.render(ctx.view('organisation'), {
      title: org.name,
      backLink: '/admin/organisations',
      org: { ...org, sectorText: SECTORS[org.sector] },
      refresher: (await publishedGroups(ctx.database.pool)).map((g) => ({ ...g, months: refresherMonthsFor(org.refresherMonths, g.number) })),
      leads,
      licence,
      isAdmin: may(req.caller, can.administerPartnership),
    });
  });

  router.get('/admin/organisations/:slug/edit', allow(can.administerPartnership), async (req, res) => {
    const org = await managed(req);
    detailsForm(res, {
      title: `Change ${org.name}`,
      action: req.originalUrl,
      backLink: `/admin/organisations/${org.slug}`,
      values: { ...org, emailDomains: org.emailDomains.join(', ') },
    });
  });

  router.post('/admin/organisations/:slug/edit', allow(can.administerPartnership), async (req, res) => {
    const org = await managed(req);
    const { values, errors } = validateDetails(req.body);
    if (!errors.length && (await store.slugTaken(values.slug, org.id)))
      errors.push({ text: 'Another organisation already uses that short name', href: '#slug' });
    if (errors.length) {
      return detailsForm(res.status(400), {
        title: `Change ${org.name}`,
        action: req.originalUrl,
        backLink: `/admin/organisations/${org.slug}`,
        errors,
        values: { ...req.body, inArea: req.body.inArea === 'yes' ? true : req.body.inArea === 'no' ? false : undefined },
      });
    }
    await ctx.database.transaction(async (client) => {
      await createOrganisationStore(client).updateDetails(org.id, values);
      await audit(client, {
        actorUserId: caller(req).userId,
        action: 'organisation.updated',
        organisationId: org.id,
        subjectType: 'organisation',
        subjectId: org.id,
        detail: { before: { name: org.name, slug: org.slug, sector: org.sector, inArea: org.inArea, emailDomains: org.emailDomains }, after: values },
        ip: req.ip,
      });
    });
    req.session.flash = `${values.name} updated`;
    res.redirect(`/admin/organisations/${values.slug}`);
  });

  // One refresher field per group of the published framework, named with its level.
  const settingsForm = async (res: express.Response, org: Organisation, locals: { values: Record<string, unknown>; errors?: unknown }) => {
    const groups = await publishedGroups(ctx.database.pool);
    res.render(ctx.view('organisation-settings'), {
      title: `Settings for ${org.name}`,
      backLink: `/admin/organisations/${org.slug}`,
      org,
      refresherFields: groups.map((g) => ({ id: `refresher${g.number}`, label: `${g.name} (${g.level})`, value: locals.values[`refresher${g.number}`] })),
      ...locals,
    });
  };

  router.get('/admin/organisations/:slug/settings', allow(can.manageOrganisation), async (req, res) => {
    const org = await managed(req);
    const groups = await publishedGroups(ctx.database.pool);
    await settingsForm(res, org, {
      values: {
        ...Object.fromEntries(groups.map((g) => [`refresher${g.number}`, refresherMonthsFor(org.refresherMonths, g.number)])),
        inductionDays: org.inductionDays,
        dueSoonDays: org.dueSoonDays,
        usesRcnIntercollegiate: org.usesRcnIntercollegiate ? 'yes' : 'no',
      },
    });
  });

  router.post('/admin/organisations/:slug/settings', allow(can.manageOrganisation), async (req, res) => {
    const org = await managed(req);
    const { values, errors } = validateSettings(req.body, await publishedGroups(ctx.database.pool));
    if (errors.length) return settingsForm(res.status(400), org, { errors, values: req.body });
    // Intervals for groups an earlier framework version had are kept, so publishing it again loses nothing.
    values.refresherMonths = { ...org.refresherMonths, ...values.refresherMonths };
    await ctx.database.transaction(async (client) => {
      await createOrganisationStore(client).updateSettings(org.id, values);
      await audit(client, {
        actorUserId: caller(req).userId,
        action: 'organisation.settings-changed',
        organisationId: org.id,
        subjectType: 'organisation',
        subjectId: org.id,
        detail: {
          before: {
            refresherMonths: org.refresherMonths,
            inductionDays: org.inductionDays,
            dueSoonDays: org.dueSoonDays,
            usesRcnIntercollegiate: org.usesRcnIntercollegiate,
          },
          after: values,
        },
        ip: req.ip,
      });
    });
    req.session.flash = `Settings for ${org.name} saved`;
    res.redirect(`/admin/organisations/${org.slug}`);
  });

  router.get('/admin/organisations/:slug/licences/new', allow(can.administerPartnership), async (req, res) => {
    const org = await managed(req);
    res.render(ctx.view('licence-form'), { title: `Add a licence for ${org.name}`, backLink: `/admin/organisations/${org.slug}`, org, values: {} });
  });

  router.post('/admin/organisations/:slug/licences/new', allow(can.administerPartnership), async (req, res) => {
    const org = await managed(req);
    const { values, entered, errors } = validateLicence(req.body);
    if (errors.length) {
      return res.status(400).render(ctx.view('licence-form'), {
        title: `Add a licence for ${org.name}`,
        backLink: `/admin/organisations/${org.slug}`,
        org,
        values: req.body,
        entered,
        errors,
      });
    }
    await ctx.database.transaction(async (client) => {
      const id = await createOrganisationStore(client).addLicence(org.id, values);
      await audit(client, {
        actorUserId: caller(req).userId,
        action: 'organisation.licence-added',
        organisationId: org.id,
        subjectType: 'licence',
        subjectId: id,
        detail: values,
        ip: req.ip,
      });
    });
    req.session.flash = `Licence added for ${org.name}`;
    res.redirect(`/admin/organisations/${org.slug}`);
  });

  return router;
}

export default defineModule({
  name: 'organisations',
  dependsOn: ['framework'],
  holdsData: holdsOrganisations,
  seedDemo: seedDemoOrganisations,
  nav: [
    {
      label: 'Organisations',
      href: '/admin/organisations',
      roles: can.manageOrganisation,
      order: 70,
      hub: { topic: 'partnership', description: 'The partnership’s member organisations, their settings and their leads' },
    },
  ],
  routes: pageRoutes,
  api(ctx) {
    const router = express.Router();
    const store = createOrganisationStore(ctx.database.pool);
    router.get('/organisations', allow(), async (_req, res) => {
      const organisations = await store.list();
      res.json({ organisations: organisations.map((o) => ({ slug: o.slug, name: o.name, sector: o.sector, inArea: o.inArea })) });
    });
    return router;
  },
});
