import express, { type Request } from 'express';
import { allow, caller, can, may } from '../../server/access';
import { checkUploadToken } from '../../server/auth/csrf';
import { HttpError } from '../../server/errors';
import { defineModule, type ModuleContext } from '../../server/module';
import { readOneFileUpload } from '../../server/upload';
import { circleWords, type DocumentProblem, documentOfFramework, inclusionCycle, MAX_DOCUMENT_BYTES, MAX_GROUPS, parseFrameworkDocument } from './document';
import { loadDefaultFramework } from './load-default';
import {
  activeCompetencies,
  evidenceExamplesFromText,
  evidenceExamplesToText,
  OPPORTUNITY_KINDS,
  opportunitiesFromText,
  type Framework,
  frameworkChanges,
  frameworkToJson,
  groupsIncluded,
  hasCompetencyChanges,
  requirementsFor,
  staffAffected,
} from './model';
import * as store from './store';

const MAX_TEXT = 1000;
const STYLESHEET = '/modules/framework/framework.css';

function groupNumberParam(req: Request): number {
  const n = Number(req.params.number);
  if (!Number.isInteger(n) || n < 1 || n > MAX_GROUPS) throw new HttpError(404, 'We could not find that staff group.');
  return n;
}

function competencyText(value: unknown): { text: string; error?: string } {
  const text = String(value ?? '')
    .replace(/\s+/g, ' ')
    .trim();
  if (!text) return { text, error: 'Enter the competency' };
  if (text.length > MAX_TEXT) return { text, error: `The competency must be ${MAX_TEXT} characters or fewer` };
  return { text };
}

const LISTED_PROBLEMS = 25;

/** The draft's other groups, as checkboxes for "which groups does this one include". */
function otherGroupChoices(draft: Framework, n: number, includes: number[]) {
  return draft.groups.filter((g) => g.number !== n).map((g) => ({ number: g.number, name: g.name, level: g.level, checked: includes.includes(g.number) }));
}

/** The error summary for a document: each problem, all pointing at the file input, and a count of the rest. */
function problemSummary(problems: DocumentProblem[]): { text: string; href: string }[] {
  const listed = problems.slice(0, LISTED_PROBLEMS).map((p) => ({ text: p.text, href: '#document' }));
  const more = problems.length - listed.length;
  return more > 0 ? [...listed, { text: `and ${more} more ${more === 1 ? 'problem' : 'problems'}: correct these first`, href: '#document' }] : listed;
}

function pageRoutes(ctx: ModuleContext) {
  const router = express.Router();
  const { pool } = ctx.database;
  /** A draft group's own name ("Staff Group 2", "Level 2"), for page titles. */
  const draftGroupName = async (n: number) => (await store.draftFramework(pool))?.groups.find((g) => g.number === n)?.name ?? `Group ${n}`;

  router.get('/framework', allow(), async (req, res) => {
    const framework = await store.publishedFramework(pool);
    if (!framework) throw new HttpError(404, 'No framework has been published yet.');
    res.render(ctx.view('framework'), {
      title: framework.name,
      stylesheets: [STYLESHEET],
      canManage: may(req.caller, can.administerPartnership),
      framework,
      groups: framework.groups.map((g) => ({
        ...g,
        active: activeCompetencies(g),
        // Every group whose competencies this one needs, through the groups it includes too.
        includedNames: groupsIncluded(framework, g.number)
          .filter((n) => n !== g.number)
          .map((n) => framework.groups.find((o) => o.number === n)!.name),
      })),
    });
  });

  router.get('/framework/my-group', allow(), async (req, res) => {
    const framework = await store.publishedFramework(pool);
    if (!framework) throw new HttpError(404, 'No framework has been published yet.');
    const records = await store.groupsOfStaff(pool, caller(req).staffIds);
    const placements = records.map((r) => ({
      ...r,
      group: r.groupNumber ? framework.groups.find((g) => g.number === r.groupNumber) : undefined,
      requirements: r.groupNumber ? requirementsFor(framework, r.groupNumber) : [],
    }));
    res.render(ctx.view('my-group'), {
      title: 'What my group requires of me',
      backLink: '/framework',
      placements: placements.map((p) => ({ ...p, total: p.requirements.reduce((n, r) => n + r.competencies.length, 0) })),
    });
  });

  router.get('/admin/framework', allow(can.administerPartnership), async (_req, res) => {
    const [versions, draft] = await Promise.all([store.frameworkVersions(pool), store.draftFramework(pool)]);
    res.render(ctx.view('admin-framework'), {
      title: 'Manage the framework',
      stylesheets: [STYLESHEET],
      versions,
      draft: draft && {
        ...draft,
        groups: draft.groups.map((g) => ({ ...g, active: activeCompetencies(g), retired: g.competencies.filter((c) => c.retired) })),
      },
    });
  });

  router.post('/admin/framework/draft', allow(can.administerPartnership), async (req, res) => {
    await ctx.database.transaction((client) => store.createDraft(client, caller(req).userId));
    req.session.flash = 'A draft copy of the published framework is ready to edit';
    res.redirect('/admin/framework');
  });

  router.post('/admin/framework/draft/discard', allow(can.administerPartnership), async (req, res) => {
    await ctx.database.transaction((client) => store.discardDraft(client, caller(req).userId));
    req.session.flash = 'The draft has been discarded';
    res.redirect('/admin/framework');
  });

  router.get('/admin/framework/draft/groups/:number/competencies/new', allow(can.administerPartnership), async (req, res) => {
    const n = groupNumberParam(req);
    res.render(ctx.view('admin-competency'), {
      title: `Add a competency to ${await draftGroupName(n)}`,
      backLink: '/admin/framework',
      action: req.originalUrl,
      groupNumber: n,
    });
  });

  router.post('/admin/framework/draft/groups/:number/competencies/new', allow(can.administerPartnership), async (req, res) => {
    const n = groupNumberParam(req);
    const { text, error } = competencyText(req.body.text);
    if (error) {
      return res.status(400).render(ctx.view('admin-competency'), {
        title: `Add a competency to ${await draftGroupName(n)}`,
        backLink: '/admin/framework',
        action: req.originalUrl,
        groupNumber: n,
        text,
        errors: [{ text: error, href: '#text' }],
      });
    }
    await ctx.database.transaction((client) => store.addCompetency(client, n, text));
    req.session.flash = `Competency added to ${await draftGroupName(n)}`;
    res.redirect('/admin/framework');
  });

  router.get('/admin/framework/draft/competencies/:id/edit', allow(can.administerPartnership), async (req, res) => {
    const c = await store.findDraftCompetency(pool, String(req.params.id));
    res.render(ctx.view('admin-competency'), {
      title: `Reword competency ${c.groupNumber}.${c.number}`,
      backLink: '/admin/framework',
      action: req.originalUrl,
      groupNumber: c.groupNumber,
      text: c.text,
      editing: true,
    });
  });

  router.post('/admin/framework/draft/competencies/:id/edit', allow(can.administerPartnership), async (req, res) => {
    const c = await store.findDraftCompetency(pool, String(req.params.id));
    const { text, error } = competencyText(req.body.text);
    if (error) {
      return res.status(400).render(ctx.view('admin-competency'), {
        title: `Reword competency ${c.groupNumber}.${c.number}`,
        backLink: '/admin/framework',
        action: req.originalUrl,
        groupNumber: c.groupNumber,
        text,
        editing: true,
        errors: [{ text: error, href: '#text' }],
      });
    }
    await ctx.database.transaction((client) => store.rewordCompetency(client, c.id, text));
    req.session.flash = `Competency ${c.groupNumber}.${c.number} reworded`;
    res.redirect('/admin/framework');
  });

  router.post('/admin/framework/draft/competencies/:id/:action', allow(can.administerPartnership), async (req, res) => {
    const id = String(req.params.id);
    const action = String(req.params.action);
    await ctx.database.transaction(async (client) => {
      if (action === 'retire') await store.setCompetencyRetired(client, id, true);
      else if (action === 'restore') await store.setCompetencyRetired(client, id, false);
      else if (action === 'up' || action === 'down') await store.moveCompetency(client, id, action);
      else throw new HttpError(404, 'Page not found');
    });
    res.redirect(`/admin/framework#competency-${id}`);
  });

  router.get('/admin/framework/draft/groups/:number/edit', allow(can.administerPartnership), async (req, res) => {
    const n = groupNumberParam(req);
    const draft = await store.draftFramework(pool);
    const group = draft?.groups.find((g) => g.number === n);
    if (!group) throw new HttpError(404, 'We could not find that staff group in the draft.');
    const opportunities = Object.fromEntries(
      OPPORTUNITY_KINDS.map((kind) => [
        kind,
        group.learningOpportunities
          .filter((o) => o.kind === kind)
          .map((o) => o.text)
          .join('\n'),
      ]),
    );
    res.render(ctx.view('admin-group'), {
      title: `Edit ${group.name}`,
      backLink: '/admin/framework',
      group,
      otherGroups: otherGroupChoices(draft!, n, group.includesGroups),
      exampleRoles: group.exampleRoles.join('\n'),
      evidenceExamples: evidenceExamplesToText(group.evidenceExamples),
      opportunities,
    });
  });

  router.post('/admin/framework/draft/groups/:number/edit', allow(can.administerPartnership), async (req, res) => {
    const n = groupNumberParam(req);
    const draft = await store.draftFramework(pool);
    if (!draft?.groups.some((g) => g.number === n)) throw new HttpError(404, 'We could not find that staff group in the draft.');
    const field = (name: string) => String(req.body[name] ?? '').trim();
    const chosen = ([] as unknown[]).concat(req.body.includesGroups ?? []).map(Number);
    const includesGroups = [...new Set(chosen)].filter((g) => g !== n && draft.groups.some((d) => d.number === g)).sort((a, b) => a - b);
    const texts = {
      includesGroups,
      name: field('name'),
      level: field('level'),
      summary: field('summary'),
      description: field('description'),
      exampleRoles: field('exampleRoles')
        .split(/\r?\n/)
        .map((r) => r.trim())
        .filter(Boolean),
      evidenceExamples: evidenceExamplesFromText(field('evidenceExamples')),
      learningOpportunities: opportunitiesFromText({ delivery: field('delivery'), theme: field('theme'), resource: field('resource') }),
    };
    const errors: { text: string; href: string }[] = [];
    if (!texts.name) errors.push({ text: 'Enter the group name', href: '#name' });
    if (!texts.level) errors.push({ text: 'Enter the level, for example Awareness', href: '#level' });
    for (const [k, label] of [
      ['name', 'name'],
      ['level', 'level'],
    ] as const) {
      if (texts[k].length > 200) errors.push({ text: `The ${label} must be 200 characters or fewer`, href: `#${k}` });
    }
    if (texts.summary.length > 4000) errors.push({ text: 'The summary must be 4000 characters or fewer', href: '#summary' });
    if (texts.description.length > 4000) errors.push({ text: 'The description must be 4000 characters or fewer', href: '#description' });
    if (texts.evidenceExamples.some((e) => e.text.length > MAX_TEXT))
      errors.push({ text: `Each example of evidence must be ${MAX_TEXT} characters or fewer`, href: '#evidenceExamples' });
    if (texts.learningOpportunities.some((o) => o.text.length > MAX_TEXT))
      errors.push({ text: `Each opportunity for learning must be ${MAX_TEXT} characters or fewer`, href: '#delivery' });
    if (chosen.length !== includesGroups.length) errors.push({ text: 'Choose groups of the draft other than this one', href: '#includesGroups' });
    const cycle = inclusionCycle(draft.groups.map((g) => (g.number === n ? { ...g, includesGroups } : g)));
    if (cycle) errors.push({ text: `Groups would include each other in a circle: ${circleWords(cycle)}`, href: '#includesGroups' });
    if (errors.length) {
      return res.status(400).render(ctx.view('admin-group'), {
        title: `Edit ${draft.groups.find((g) => g.number === n)!.name}`,
        backLink: '/admin/framework',
        group: { number: n, ...texts },
        exampleRoles: field('exampleRoles'),
        errors,
        otherGroups: otherGroupChoices(draft, n, includesGroups),
        evidenceExamples: field('evidenceExamples'),
        opportunities: { delivery: field('delivery'), theme: field('theme'), resource: field('resource') },
      });
    }
    await ctx.database.transaction((client) => store.updateGroupTexts(client, n, texts));
    req.session.flash = `${texts.name} updated`;
    res.redirect('/admin/framework');
  });

  router.get('/admin/framework/versions/:version/framework.json', allow(can.administerPartnership), async (req, res) => {
    const version = Number(req.params.version);
    const row = Number.isInteger(version) ? (await store.frameworkVersions(pool)).find((v) => v.version === version) : undefined;
    const framework = row && (await store.loadFramework(pool, row.id));
    if (!framework) throw new HttpError(404, 'We could not find that version of the framework.');
    res.attachment(`framework-version-${framework.version}.json`);
    res
      .type('application/json')
      .send(`${JSON.stringify({ $schema: '/modules/framework/framework.schema.json', ...documentOfFramework(framework) }, null, 2)}\n`);
  });

  const importPage = (extra: Record<string, unknown> = {}) => ({
    title: 'Import a framework',
    backLink: '/admin/framework',
    maxMb: MAX_DOCUMENT_BYTES / 1024 / 1024,
    maxGroups: MAX_GROUPS,
    ...extra,
  });

  router.get('/admin/framework/import', allow(can.administerPartnership), async (_req, res) => {
    res.render(ctx.view('admin-import'), importPage({ draft: await store.draftFramework(pool) }));
  });

  router.post('/admin/framework/import', allow(can.administerPartnership), async (req, res) => {
    const fail = (problems: DocumentProblem[]) =>
      res.status(400).render(
        ctx.view('admin-import'),
        importPage({
          errors: problemSummary(problems),
          fileError: problems.length === 1 ? problems[0].text : `The file has ${problems.length} problems, listed above`,
        }),
      );
    if (!req.is('multipart/form-data')) return fail([{ path: '', text: 'Select a framework document (a .json file)' }]);
    const { fields, file, tooLarge, unreadable } = await readOneFileUpload(req, { maxBytes: MAX_DOCUMENT_BYTES, maxFields: 5 });
    if (unreadable) throw new HttpError(400, 'The upload could not be read. Choose the file again.');
    checkUploadToken(req, fields);
    if (tooLarge) return fail([{ path: '', text: `The file must be ${MAX_DOCUMENT_BYTES / 1024 / 1024} MB or smaller` }]);
    if (!file || file.bytes.length === 0) return fail([{ path: '', text: 'Select a framework document (a .json file)' }]);
    const { document, problems } = parseFrameworkDocument(file.bytes);
    if (!document) return fail(problems);
    if (await store.draftFramework(pool)) return fail([{ path: '', text: 'There is already a draft. Publish or discard it before importing a framework' }]);
    const published = await store.publishedFramework(pool);
    const { version } = await ctx.database.transaction((client) => store.importDraft(client, caller(req).userId, document, published));
    req.session.flash = `The framework is imported as draft version ${version}. Check what changes for whom before you publish it.`;
    res.redirect('/admin/framework/draft/publish');
  });

  router.get('/admin/framework/draft/publish', allow(can.administerPartnership), async (_req, res) => {
    const [published, draft, counts, mappings] = await Promise.all([
      store.publishedFramework(pool),
      store.draftFramework(pool),
      store.currentStaffByGroup(pool),
      store.jobTitleMappingsByGroup(pool),
    ]);
    if (!draft || !published) throw new HttpError(404, 'There is no draft framework to publish.');
    // Groups this version no longer has: who is in them now, and which job titles lead to them.
    const removedGroups = published.groups
      .filter((g) => !draft.groups.some((d) => d.number === g.number))
      .map((g) => ({ number: g.number, name: g.name, level: g.level, staff: counts[g.number] ?? 0, mappings: mappings[g.number] ?? 0 }));
    const addedGroups = draft.groups.filter((g) => !published.groups.some((p) => p.number === g.number));
    const changes = frameworkChanges(published, draft).map((c) => ({
      ...c,
      changed: hasCompetencyChanges(c) || c.textChanges.length > 0,
      staffAffected: staffAffected(c, counts),
      staffInGroups: c.affectsGroups.map((g) => ({
        group: g,
        name: (draft.groups.find((d) => d.number === g) ?? published.groups.find((p) => p.number === g))?.name ?? `Group ${g}`,
        staff: counts[g] ?? 0,
      })),
    }));
    res.render(ctx.view('admin-publish'), {
      title: `Publish version ${draft.version}`,
      backLink: '/admin/framework',
      published,
      draft,
      changes,
      anyChange: changes.some((c) => c.changed),
      removedGroups,
      addedGroups,
      groupCountChange: draft.groups.length !== published.groups.length && { before: published.groups.length, after: draft.groups.length },
    });
  });

  router.post('/admin/framework/draft/publish', allow(can.administerPartnership), async (req, res) => {
    const [published, draft] = await Promise.all([store.publishedFramework(pool), store.draftFramework(pool)]);
    if (!draft || !published) throw new HttpError(404, 'There is no draft framework to publish.');
    const changes = frameworkChanges(published, draft).filter((c) => hasCompetencyChanges(c) || c.textChanges.length > 0);
    const userId = caller(req).userId;
    const result = await ctx.database.transaction(async (client) => {
      const published = await store.publishDraft(client, userId, {
        changes: changes.map((c) => ({ group: c.number, added: c.added.length, reworded: c.reworded.length, retired: c.retired.length, texts: c.textChanges })),
      });
      // Staff records and job title mappings follow the new groups in the same transaction.
      await ctx.events.emit('framework.published', {
        client,
        version: published.version,
        groups: draft.groups.map((g) => ({ number: g.number, exampleRoles: g.exampleRoles })),
        publishedBy: userId,
      });
      return published;
    });
    req.session.flash = `Version ${result.version} of the framework is published`;
    res.redirect('/admin/framework');
  });

  return router;
}

export default defineModule({
  name: 'framework',
  nav: [
    { label: 'Framework', href: '/framework', roles: ['learner', 'trainer', 'board-member'], order: 20 },
    {
      label: 'Framework',
      href: '/framework',
      roles: ['org-lead', 'partnership-admin'],
      order: 20,
      hub: { topic: 'learning', description: 'The staff groups, their competencies and what each group requires' },
    },
    {
      label: 'Framework versions',
      href: '/admin/framework',
      roles: can.administerPartnership,
      order: 21,
      hub: { topic: 'learning', description: 'Draft, edit and publish a new version of the framework' },
    },
    {
      label: 'Job title mappings',
      href: '/admin/job-roles',
      roles: can.administerPartnership,
      order: 22,
      hub: { topic: 'people', description: 'Which staff group each job title belongs to, across the partnership' },
    },
  ],
  routes: pageRoutes,
  uploads: [/^\/admin\/framework\/import$/],
  api(ctx) {
    const router = express.Router();
    router.get('/framework', allow(), async (_req, res) => {
      const framework = await store.publishedFramework(ctx.database.pool);
      if (!framework) throw new HttpError(404, 'No framework has been published yet.');
      res.json(frameworkToJson(framework));
    });
    return router;
  },
  async onStart(ctx) {
    if (await loadDefaultFramework(ctx.database)) ctx.logger.info('loaded the Somerset Learning Development Framework as version 1');
  },
});
