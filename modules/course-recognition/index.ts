import { dateValueFrom } from '../../server/date-input';
import { plural } from '../../server/wording';
import express from 'express';
import { DateTime } from 'luxon';
import { allow, type Caller, caller, can, hasRole, managedScope, may, type OrganisationScope, scopeIncludes } from '../../server/access';
import { NotFoundError } from '../../server/errors';
import { defineModule, type ModuleContext } from '../../server/module';
import { createOrganisationStore } from '../organisations/api';
import { publishedCompetencies } from '../courses/api';
import { seedDemoRecognition } from './demo';
import { DELIVERY_MODES, type FieldError, submissionForm, validateCompletion, validateReview, validateSubmission, type SubmissionForm } from './rules';
import { TRAINING_STANDARDS } from './standards';
import {
  completions,
  findInHouseCourse,
  listInHouseCourses,
  mappings,
  organisationStaff,
  recordInHouseCompletions,
  reviewInHouseCourse,
  submitInHouseCourse,
} from './store';

/** Who sees an in-house course and records its completions: the organisation's leads and its own trainers (a trainer grant names an organisation); administrators for all. */
function completionScope(c: Caller): OrganisationScope {
  if (hasRole(c, 'partnership-admin')) return { kind: 'all' };
  const ids = c.grants.filter((g) => (g.role === 'org-lead' || g.role === 'trainer') && g.organisationId).map((g) => g.organisationId!);
  return { kind: 'organisations', organisationIds: [...new Set(ids)] };
}

const STATUS_TEXT: Record<string, string> = { submitted: 'Awaiting review', approved: 'Recognised', rejected: 'Not recognised' };

export default defineModule({
  name: 'course-recognition',
  dependsOn: ['courses', 'organisations', 'staff', 'evidence', 'framework'],
  seedDemo: seedDemoRecognition,
  nav: [
    {
      label: 'In-house courses',
      href: '/in-house-courses',
      roles: can.manageStaff,
      order: 46,
      hub: { topic: 'learning', description: 'Organisations’ own courses and the competencies they are recognised for' },
    },
  ],
  routes(ctx: ModuleContext) {
    const router = express.Router();
    const pool = ctx.database.pool;

    async function organisationsFor(c: Caller) {
      const scope = managedScope(c);
      return (await createOrganisationStore(pool).inScope(scope)).map(({ id, name }) => ({ id, name }));
    }

    async function competencyChoices() {
      return (await publishedCompetencies(pool)).map((c) => ({
        lineage: c.lineage,
        groupNumber: c.groupNumber,
        number: c.number,
        text: c.text,
        label: `Group ${c.groupNumber}, competency ${c.number}`,
      }));
    }

    async function renderForm(req: express.Request, res: express.Response, form: Partial<SubmissionForm>, errors: FieldError[] = []) {
      const [organisations, competencies] = await Promise.all([organisationsFor(caller(req)), competencyChoices()]);
      res.status(errors.length ? 400 : 200).render(ctx.view('submit'), {
        title: `Submit an in-house course for recognition`,
        form,
        errors,
        organisations: organisations.map((o) => ({ ...o, selected: o.id === form.organisationId })),
        deliveries: DELIVERY_MODES.map((d) => ({ ...d, checked: d.value === form.delivery })),
        groups: [...new Set(competencies.map((c) => c.groupNumber))].map((n) => ({
          number: n,
          competencies: competencies
            .map((c, i) => ({
              ...c,
              index: i,
              checked: form.lineages?.includes(c.lineage),
              why: form.justifications?.[c.lineage] ?? '',
              error: errors.find((e) => e.href === `#why-${i}`)?.text,
            }))
            .filter((c) => c.groupNumber === n),
        })),
        standards: TRAINING_STANDARDS,
      });
    }

    router.get('/in-house-courses', allow(can.manageStaff), async (req, res) => {
      const c = caller(req);
      const courses = await listInHouseCourses(pool, managedScope(c));
      res.render(ctx.view('list'), {
        title: 'In-house courses',
        courses: courses.map((x) => ({ ...x, statusText: STATUS_TEXT[x.recognition] })),
        canSubmit: may(c, can.proposeInHouseCourses),
        isAdmin: may(c, can.manageCourses),
      });
    });

    router.get('/in-house-courses/new', allow(can.proposeInHouseCourses), async (req, res) => {
      const organisations = await organisationsFor(caller(req));
      await renderForm(req, res, { organisationId: organisations.length === 1 ? organisations[0].id : '', delivery: 'face-to-face' });
    });

    router.post('/in-house-courses/new', allow(can.proposeInHouseCourses), async (req, res) => {
      const c = caller(req);
      const competencies = await competencyChoices();
      const form = submissionForm(
        req.body ?? {},
        competencies.map((x) => x.lineage),
      );
      const organisations = await organisationsFor(c);
      const { errors, value } = validateSubmission(form, { organisationIds: organisations.map((o) => o.id), competencies });
      if (!value) return renderForm(req, res, form, errors);
      const id = await submitInHouseCourse(ctx.database, { ...value, submittedBy: c.userId });
      req.session.flash = 'Course submitted. A partnership administrator will review it against the training standards.';
      res.redirect(`/in-house-courses/${id}`);
    });

    async function renderCourse(
      req: express.Request,
      res: express.Response,
      extra: { errors?: FieldError[]; review?: Record<string, unknown>; completion?: Record<string, unknown> } = {},
    ) {
      const c = caller(req);
      const course = await findInHouseCourse(pool, completionScope(c), String(req.params.id));
      if (!course) throw new NotFoundError('course');
      const canRecord = course.recognition === 'approved' && scopeIncludes(completionScope(c), course.organisationId);
      const [mapped, done, staff] = await Promise.all([
        mappings(pool, course.id),
        completions(pool, course.id),
        canRecord ? organisationStaff(pool, course.organisationId) : Promise.resolve([]),
      ]);
      const review = extra.review ?? {};
      const chosen = new Set(
        Array.isArray(extra.completion?.staffId)
          ? (extra.completion.staffId as string[])
          : typeof extra.completion?.staffId === 'string'
            ? [extra.completion.staffId]
            : [],
      );
      res.status(extra.errors?.length ? 400 : 200).render(ctx.view('course'), {
        title: course.title,
        course: { ...course, statusText: STATUS_TEXT[course.recognition], outcomes: course.learningOutcomes.split(/\r?\n/).filter((l) => l.trim()) },
        deliveryText: DELIVERY_MODES.find((d) => d.value === course.delivery)?.text,
        mapped,
        standards: TRAINING_STANDARDS.map((s) => ({
          ...s,
          met: course.standardsMet.includes(s.id),
          checked: Array.isArray(review.standard) ? (review.standard as string[]).includes(s.id) : review.standard === s.id,
        })),
        canReview: may(c, can.manageCourses) && course.recognition === 'submitted',
        reviewed: course.recognition !== 'submitted',
        review,
        canRecord,
        staff: staff.map((s) => ({ ...s, checked: chosen.has(s.id) })),
        completedOn: extra.completion ? dateValueFrom(extra.completion, 'completedOn') : '',
        completions: done,
        errors: extra.errors ?? [],
      });
    }

    router.get('/in-house-courses/:id', allow(can.recordTraining), (req, res) => renderCourse(req, res));

    router.post('/in-house-courses/:id/review', allow(can.manageCourses), async (req, res) => {
      const course = await findInHouseCourse(pool, { kind: 'all' }, String(req.params.id));
      if (!course) throw new NotFoundError('course');
      const body = (req.body ?? {}) as Record<string, unknown>;
      const { errors, value } = validateReview(
        body,
        TRAINING_STANDARDS.map((s) => s.id),
      );
      if (!value) return renderCourse(req, res, { errors, review: body });
      await reviewInHouseCourse(ctx.database, course.id, value, caller(req).userId);
      req.session.flash =
        value.decision === 'approved'
          ? 'Course recognised: completions the organisation records now count as evidence'
          : 'Course not recognised: the organisation can see your comments';
      res.redirect(`/in-house-courses/${course.id}`);
    });

    router.post('/in-house-courses/:id/completions', allow(can.recordTraining), async (req, res) => {
      const c = caller(req);
      const scope = completionScope(c);
      const course = await findInHouseCourse(pool, scope, String(req.params.id));
      if (!course) throw new NotFoundError('course');
      const body = (req.body ?? {}) as Record<string, unknown>;
      const staff = await organisationStaff(pool, course.organisationId);
      const today = DateTime.now().setZone('Europe/London').toISODate()!;
      const { errors, value } = validateCompletion(
        body,
        staff.map((s) => s.id),
        today,
      );
      if (!value) return renderCourse(req, res, { errors, completion: body });
      const result = await recordInHouseCompletions(ctx.database, ctx.events, scope, { courseId: course.id, ...value, recordedBy: c.userId });
      req.session.flash = `${plural(result.recorded, 'completion')} recorded as evidence${result.alreadyRecorded ? ` (${result.alreadyRecorded} already recorded for that day)` : ''}`;
      res.redirect(`/in-house-courses/${course.id}`);
    });

    return router;
  },
});
