import { createHash } from 'node:crypto';
import express, { type Request, type Response } from 'express';
import { allow, caller, can, managedScope, type OrganisationScope, scopeIncludes } from '../../server/access';
import { checkUploadToken } from '../../server/auth/csrf';
import { HttpError, NotFoundError } from '../../server/errors';
import { readOneFileUpload } from '../../server/upload';
import type { ModuleContext } from '../../server/module';
import { createOrganisationStore, type Organisation } from '../organisations/api';
import { fieldLabel, IMPORT_COLUMNS, ImportFileError, type ImportPlan, parseStaffCsv } from './import';
import { ImportNotApplicable, createStaffStore, type StaffMember } from './store';
import { londonToday } from './today';

export const MAX_IMPORT_BYTES = 10 * 1024 * 1024;

const SOURCE_NAMES: Record<string, string> = {
  'partnership-mapping': 'Partnership job title mapping',
  'organisation-mapping': 'Organisation job title mapping',
  'lead-override': 'Set by organisational lead',
  import: 'Import',
  sso: 'Single sign-on',
};

/**
 * Redirects with a message for the next page. The session is saved first:
 * express-session sends the redirect's headers before it saves, and a browser
 * that follows at once would otherwise load the next page without the message.
 */
async function redirectWithFlash(req: Request, res: Response, message: string, url: string): Promise<void> {
  req.session.flash = message;
  await new Promise<void>((resolve, reject) => req.session.save((err) => (err ? reject(err) : resolve())));
  res.redirect(url);
}

type GroupChoice = { number: number; name: string; level: string };

/** A group the published framework has, from a form field; undefined for anything else. */
function parseGroup(value: unknown, groups: GroupChoice[]): number | undefined {
  const n = Number(value);
  return groups.some((g) => g.number === n) ? n : undefined;
}

/** Options for a group list, each named with its level ("Group 3: Decision Makers"). */
function groupOptions(groups: GroupChoice[], chosen?: number | string | null) {
  return groups.map((g) => ({ value: g.number, label: `Group ${g.number}: ${g.level}`, selected: String(g.number) === String(chosen ?? '') }));
}

/** Reads one uploaded file and the form fields from a multipart request. */
async function readUpload(req: Request, maxBytes: number): Promise<{ fields: Record<string, string>; file?: { name: string; bytes: Buffer } }> {
  const { fields, file, tooLarge, unreadable } = await readOneFileUpload(req, { maxBytes });
  if (unreadable) throw new HttpError(400, 'Choose a CSV file to upload.');
  if (tooLarge) throw new HttpError(413, `The file is larger than ${Math.round(maxBytes / 1024 / 1024)} MB.`);
  return { fields, file };
}

function planRows(plan: ImportPlan) {
  return {
    create: plan.create.map((c) => ({ ...c.fields, row: c.row, group: c.group?.group })),
    update: plan.update.map((u) => ({
      row: u.row,
      staffId: u.staffId,
      name: u.name,
      changes: [
        ...u.changes.map(
          (ch) =>
            `${fieldLabel(ch.field)}: ${ch.from === null || ch.from === '' || ch.from === undefined ? '(blank)' : String(ch.from)} to ${ch.to === null || ch.to === '' ? '(blank)' : String(ch.to)}`,
        ),
        ...(u.group ? [`group: Group ${u.group.group} (from job title)`] : []),
      ],
    })),
    leavers: plan.leavers,
    unchanged: plan.unchanged,
    unmappedTitles: plan.unmappedTitles,
    rowErrors: plan.errors,
    errors: importErrorSummary(plan.errors),
  };
}

const SUMMARY_ROWS = 10;

/** The error summary of a file with bad rows: each row's problem, linked to its line in the table below. */
function importErrorSummary(rows: ImportPlan['errors']): { text: string; href?: string }[] {
  const listed = rows.slice(0, SUMMARY_ROWS).map((e) => ({ text: `Row ${e.row}: ${e.reason}`, href: `#problem-row-${e.row}` }));
  const more = rows.length - listed.length;
  return more > 0 ? [...listed, { text: `and ${more === 1 ? '1 more row' : `${more} more rows`} with problems, listed below` }] : listed;
}

export function staffRoutes(ctx: ModuleContext): express.Router {
  const router = express.Router();
  const store = createStaffStore(ctx.database, ctx.events);
  const organisations = createOrganisationStore(ctx.database.pool);

  /**
   * The organisations the caller manages and the one chosen (?org=slug, or the
   * only one). An organisation outside the caller's scope is "not found".
   */
  async function chooseOrganisation(req: Request, slug?: unknown): Promise<{ scope: OrganisationScope; choices: Organisation[]; chosen?: Organisation }> {
    const scope = managedScope(caller(req));
    const choices = (await organisations.list()).filter((o) => scopeIncludes(scope, o.id));
    const wanted = typeof slug === 'string' && slug ? slug : typeof req.query.org === 'string' && req.query.org ? req.query.org : undefined;
    if (wanted) {
      const chosen = choices.find((o) => o.slug === wanted);
      if (!chosen) throw new NotFoundError('organisation');
      return { scope, choices, chosen };
    }
    return { scope, choices, chosen: choices.length === 1 ? choices[0] : undefined };
  }

  router.get('/staff', allow(can.manageStaff), async (req, res) => {
    const { scope, choices, chosen } = await chooseOrganisation(req);
    const groupQuery = typeof req.query.group === 'string' ? req.query.group : '';
    const frameworkGroups = await store.frameworkGroups();
    const group = groupQuery === 'none' ? 'none' : parseGroup(groupQuery, frameworkGroups);
    const search = typeof req.query.q === 'string' ? req.query.q.trim().slice(0, 100) : '';
    const includeLeavers = req.query.leavers === 'yes';
    let staff: StaffMember[] = [];
    let unmappedCount = 0;
    if (chosen) {
      staff = await store.list(scope, { organisationId: chosen.id, group, search, includeLeavers });
      unmappedCount = (await store.unmappedTitles(scope, chosen.id)).length;
    }
    res.render(ctx.view('staff-list'), {
      title: chosen ? `Staff records: ${chosen.name}` : 'Staff records',
      choices: choices.map((o) => ({ slug: o.slug, name: o.name, selected: o.slug === chosen?.slug })),
      chooseOrganisation: choices.length > 1,
      organisation: chosen,
      staff,
      groups: groupOptions(frameworkGroups, group),
      unmappedSelected: group === 'none',
      search,
      includeLeavers,
      unmappedCount,
      filtered: !!(group || search || includeLeavers),
      isAdmin: scope.kind === 'all',
    });
  });

  router.get('/staff/unmapped-roles', allow(can.manageStaff), async (req, res) => {
    const { scope, choices, chosen } = await chooseOrganisation(req);
    res.render(ctx.view('staff-unmapped'), {
      title: 'Unmapped job titles',
      choices: choices.map((o) => ({ slug: o.slug, name: o.name, selected: o.slug === chosen?.slug })),
      chooseOrganisation: choices.length > 1,
      organisation: chosen,
      titles: chosen ? (await store.unmappedTitles(scope, chosen.id)).map((t, i) => ({ ...t, index: i })) : [],
      mappings: chosen ? await store.organisationMappings(scope, chosen.id) : [],
      groups: groupOptions(await store.frameworkGroups()),
      backLink: chosen ? `/staff?org=${chosen.slug}` : '/staff',
    });
  });

  router.post('/staff/unmapped-roles', allow(can.manageStaff), async (req, res) => {
    const { scope, chosen } = await chooseOrganisation(req, req.body.org);
    if (!chosen) throw new NotFoundError('organisation');
    const userId = caller(req).userId;
    if (req.body.removeMapping) {
      await store.removeOrganisationMapping(scope, chosen.id, String(req.body.removeMapping), userId);
      return redirectWithFlash(req, res, 'Mapping removed.', `/staff/unmapped-roles?org=${chosen.slug}`);
    }
    const jobTitle = String(req.body.jobTitle ?? '').trim();
    const frameworkGroups = await store.frameworkGroups();
    const group = parseGroup(req.body.group, frameworkGroups);
    if (!jobTitle || !group) {
      const titles = (await store.unmappedTitles(scope, chosen.id)).map((t, i) => ({ ...t, index: i }));
      const index = titles.find((t) => t.jobTitle === jobTitle)?.index ?? 0;
      res.status(400);
      return res.render(ctx.view('staff-unmapped'), {
        title: 'Unmapped job titles',
        organisation: chosen,
        titles: titles.map((t) => ({ ...t, error: t.index === index ? 'Select a group for this job title' : undefined })),
        mappings: await store.organisationMappings(scope, chosen.id),
        groups: groupOptions(frameworkGroups),
        errors: [{ text: `Select a group for "${jobTitle || 'the job title'}"`, href: `#group-${index}` }],
        backLink: `/staff?org=${chosen.slug}`,
      });
    }
    const changed = await store.mapOrganisationTitle(scope, chosen.id, jobTitle, group, userId);
    await redirectWithFlash(
      req,
      res,
      `"${jobTitle}" is now Group ${group} in ${chosen.name}. ${changed} ${changed === 1 ? 'person' : 'people'} moved.`,
      `/staff/unmapped-roles?org=${chosen.slug}`,
    );
  });

  const importPage = (organisation: Organisation | undefined, choices: Organisation[], extra: Record<string, unknown> = {}) => ({
    title: 'Import staff from a CSV file',
    organisation,
    choices: choices.map((o) => ({ slug: o.slug, name: o.name, selected: o.slug === organisation?.slug })),
    chooseOrganisation: choices.length > 1,
    columns: IMPORT_COLUMNS,
    maxMb: MAX_IMPORT_BYTES / 1024 / 1024,
    backLink: organisation ? `/staff?org=${organisation.slug}` : '/staff',
    ...extra,
  });

  router.get('/staff/import', allow(can.manageStaff), async (req, res) => {
    const { choices, chosen } = await chooseOrganisation(req);
    res.render(ctx.view('staff-import'), importPage(chosen, choices));
  });

  router.post('/staff/import', allow(can.manageStaff), async (req, res) => {
    if (!req.is('multipart/form-data')) throw new HttpError(400, 'Choose a CSV file to upload.');
    const { fields, file } = await readUpload(req, MAX_IMPORT_BYTES);
    checkUploadToken(req, fields);
    const { scope, choices, chosen } = await chooseOrganisation(req, fields.org);
    const fullList = fields.fullList === 'yes';
    const fail = (text: string, href = '#file') => {
      res.status(400);
      res.render(
        ctx.view('staff-import'),
        importPage(chosen, choices, {
          errors: [{ text, href }],
          fileError: href === '#file' ? text : undefined,
          orgError: href === '#org' ? text : undefined,
          fullList,
        }),
      );
    };
    if (!chosen) return fail('Select the organisation whose staff the file lists', '#org');
    if (!file || file.bytes.length === 0) return fail('Select a CSV file');
    let parsed: ReturnType<typeof parseStaffCsv>;
    try {
      parsed = parseStaffCsv(file.bytes, chosen, await organisations.list());
    } catch (err) {
      if (err instanceof ImportFileError) return fail(err.message);
      throw err;
    }
    const { batchId } = await store.previewImport(scope, {
      organisationId: chosen.id,
      fileName: file.name.slice(0, 200),
      fileHash: createHash('sha256').update(file.bytes).digest('hex'),
      fullList,
      parsed,
      userId: caller(req).userId,
      today: londonToday(),
    });
    res.redirect(`/staff/import/${batchId}`);
  });

  router.get('/staff/import/:batchId', allow(can.manageStaff), async (req, res) => {
    const scope = managedScope(caller(req));
    const batch = await store.getBatch(scope, String(req.params.batchId));
    if (!batch) throw new NotFoundError('import');
    const plan = await store.planBatch(scope, batch.id, londonToday());
    const slug = (await organisations.byId(batch.organisation_id))?.slug;
    res.render(ctx.view('staff-import-preview'), {
      title: batch.status === 'applied' ? 'Import applied' : 'Check the import',
      batch,
      applied: batch.status === 'applied',
      ...planRows(plan),
      canConfirm: batch.status === 'previewed' && plan.errors.length === 0,
      nothingToDo: plan.create.length + plan.update.length + plan.leavers.length === 0,
      orgSlug: slug,
      sameFileAppliedAt: await store.sameFileAppliedAt(scope, batch.id),
      backLink: `/staff/import?org=${slug}`,
    });
  });

  router.post('/staff/import/:batchId', allow(can.manageStaff), async (req, res) => {
    const scope = managedScope(caller(req));
    const batch = await store.getBatch(scope, String(req.params.batchId));
    if (!batch) throw new NotFoundError('import');
    const plan = await store.confirmImport(scope, batch.id, caller(req).userId, londonToday()).catch((err) => {
      throw err instanceof ImportNotApplicable ? new HttpError(409, err.message) : err;
    });
    const slug = (await organisations.byId(batch.organisation_id))?.slug;
    await redirectWithFlash(
      req,
      res,
      `Import applied: ${plan.create.length} added, ${plan.update.length} updated, ${plan.leavers.length} marked as leavers.`,
      `/staff?org=${slug}`,
    );
  });

  async function personPage(req: Request, extra: Record<string, unknown> = {}) {
    const scope = managedScope(caller(req));
    const person = await store.get(scope, String(req.params.id));
    if (!person) throw new NotFoundError('person');
    const history = await store.history(scope, person.id);
    const organisation = await organisations.byId(person.organisationId);
    return {
      title: person.name,
      person,
      sourceName: person.groupSource ? (SOURCE_NAMES[person.groupSource] ?? person.groupSource) : undefined,
      overridden: person.groupSource === 'lead-override',
      history: history.map((h) => ({ ...h, sourceName: SOURCE_NAMES[h.source] ?? h.source })),
      groups: groupOptions(await store.frameworkGroups(), (extra.chosenGroup as number | undefined) ?? person.groupNumber),
      backLink: `/staff?org=${organisation?.slug}`,
      ...extra,
    };
  }

  router.get('/staff/:id', allow(can.manageStaff), async (req, res) => {
    res.render(ctx.view('staff-person'), await personPage(req));
  });

  router.post('/staff/:id/group', allow(can.manageStaff), async (req, res) => {
    const scope = managedScope(caller(req));
    const person = await store.get(scope, String(req.params.id));
    if (!person) throw new NotFoundError('person');
    if (req.body.action === 'clear') {
      await store.clearOverride(scope, person.id, caller(req).userId);
      return redirectWithFlash(req, res, `${person.name}'s group now follows their job title.`, `/staff/${person.id}`);
    }
    const group = parseGroup(req.body.group, await store.frameworkGroups());
    const reason = String(req.body.reason ?? '').trim();
    const errors: { text: string; href: string }[] = [];
    if (!group) errors.push({ text: 'Select a group', href: '#group' });
    if (!reason) errors.push({ text: 'Enter the reason for changing the group', href: '#reason' });
    else if (reason.length > 500) errors.push({ text: 'The reason must be 500 characters or fewer', href: '#reason' });
    if (errors.length) {
      res.status(400);
      return res.render(
        ctx.view('staff-person'),
        await personPage(req, {
          errors,
          groupError: errors.find((e) => e.href === '#group')?.text,
          reasonError: errors.find((e) => e.href === '#reason')?.text,
          reason,
          chosenGroup: group,
        }),
      );
    }
    await store.overrideGroup(scope, person.id, group!, reason, caller(req).userId);
    await redirectWithFlash(req, res, `${person.name} is now in Group ${group}.`, `/staff/${person.id}`);
  });

  /** Every group of the published framework with the titles mapped to it, for the partnership's mapping page. */
  async function jobRolesPage(extra: Record<string, unknown> = {}) {
    const [mappings, frameworkGroups] = await Promise.all([store.partnershipMappings(), store.frameworkGroups()]);
    return {
      title: 'Job titles and staff groups',
      groups: frameworkGroups.map((g) => ({ ...g, mappings: mappings.filter((m) => m.group === g.number) })),
      groupOptions: groupOptions(frameworkGroups, extra.chosenGroup as number | undefined),
      ...extra,
    };
  }

  router.get('/admin/job-roles', allow(can.administerPartnership), async (_req, res) => {
    res.render(ctx.view('staff-job-roles'), await jobRolesPage());
  });

  router.post('/admin/job-roles', allow(can.administerPartnership), async (req, res) => {
    const userId = caller(req).userId;
    if (req.body.remove) {
      await store.removePartnershipMapping(String(req.body.remove), userId);
      return redirectWithFlash(req, res, 'Mapping removed. People already in a group keep it until their job title is mapped again.', '/admin/job-roles');
    }
    const jobTitle = String(req.body.jobTitle ?? '').trim();
    const group = parseGroup(req.body.group, await store.frameworkGroups());
    const errors: { text: string; href: string }[] = [];
    if (!jobTitle) errors.push({ text: 'Enter a job title', href: '#jobTitle' });
    else if (jobTitle.length > 200) errors.push({ text: 'The job title must be 200 characters or fewer', href: '#jobTitle' });
    if (!group) errors.push({ text: 'Select a group', href: '#group' });
    if (errors.length) {
      res.status(400);
      return res.render(
        ctx.view('staff-job-roles'),
        await jobRolesPage({
          errors,
          jobTitle,
          chosenGroup: group,
          jobTitleError: errors.find((e) => e.href === '#jobTitle')?.text,
          groupError: errors.find((e) => e.href === '#group')?.text,
        }),
      );
    }
    const changed = await store.setPartnershipMapping(jobTitle, group!, userId);
    await redirectWithFlash(
      req,
      res,
      `"${jobTitle}" is Group ${group} by default. ${changed} ${changed === 1 ? 'person' : 'people'} moved.`,
      '/admin/job-roles',
    );
  });

  return router;
}
