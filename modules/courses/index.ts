import express, { type Request, type Response } from 'express';
import { allow, caller, can, may } from '../../server/access';
import { NotFoundError } from '../../server/errors';
import { defineModule, type ModuleContext } from '../../server/module';
import { isPublicMember } from './audience';
import { seedDemoCourses } from './demo';
import * as store from './store';
import { parseCourseForm } from './validation';

const AUDIENCES = [
  { value: 'professionals', text: 'Professionals (staff of member organisations)' },
  { value: 'public', text: 'The public (anyone who registers)' },
];
const DELIVERIES = [
  { value: 'elearning', text: 'E-learning' },
  { value: 'face-to-face', text: 'Face to face' },
  { value: 'blended', text: 'Blended' },
];

export default defineModule({
  name: 'courses',
  dependsOn: ['framework'],
  seedDemo: seedDemoCourses,
  nav: [{ label: 'Courses', href: '/courses', order: 20 }],
  routes(ctx: ModuleContext) {
    const router = express.Router();
    const pool = ctx.database.pool;

    async function formContext(values: store.CourseInput | store.Course, selfId?: string) {
      const competencies = await store.publishedCompetencies(pool);
      const courses = (await store.listCourses(pool, { includeUnpublished: true })).filter((c) => c.id !== selfId);
      const groups = [...new Set(competencies.map((c) => c.groupNumber))].map((n) => ({
        number: n,
        checked: values.groupNumbers.includes(n),
        competencies: competencies.filter((c) => c.groupNumber === n).map((c) => ({ ...c, checked: values.competencyLineages.includes(c.lineage) })),
      }));
      return {
        values,
        groups,
        audiences: AUDIENCES.map((a) => ({ ...a, checked: a.value === values.audience })),
        deliveries: DELIVERIES.map((d) => ({ ...d, checked: d.value === values.delivery })),
        prerequisites: courses.map((c) => ({ id: c.id, title: c.title, checked: values.prerequisiteIds.includes(c.id) })),
      };
    }

    async function known() {
      const competencies = await store.publishedCompetencies(pool);
      const courses = await store.listCourses(pool, { includeUnpublished: true });
      return {
        lineages: new Set(competencies.map((c) => c.lineage)),
        courseIds: new Set(courses.map((c) => c.id)),
        groups: new Set(competencies.map((c) => c.groupNumber)),
      };
    }

    router.get('/courses', allow(), async (req, res) => {
      const c = caller(req);
      const courses = await store.listCourses(pool, { includeUnpublished: may(c, can.manageCourses), publicOnly: isPublicMember(c) });
      res.render(ctx.view('list'), {
        title: 'Courses',
        courses: courses.map((course) => ({ ...course, isElearning: course.delivery !== 'face-to-face' })),
        canEdit: may(c, can.manageCourses),
      });
    });

    const blank: store.CourseInput = {
      slug: '',
      title: '',
      description: '',
      audience: 'professionals',
      delivery: 'elearning',
      groupNumbers: [],
      passMark: null,
      validityMonths: null,
      contentWarning: null,
      status: 'published',
      finishedAttempt: 'review-or-retake',
      competencyLineages: [],
      prerequisiteIds: [],
    };

    router.get('/courses/new', allow(can.manageCourses), async (_req, res) => {
      res.render(ctx.view('form'), { title: 'Add a course', action: '/courses/new', isNew: true, ...(await formContext(blank)) });
    });

    async function save(req: Request, res: Response, existing?: store.Course) {
      const { input, errors } = parseCourseForm(req.body ?? {}, await known());
      if (input.prerequisiteIds.includes(existing?.id ?? '')) errors.push({ text: 'A course cannot be its own prerequisite', href: '#prerequisites' });
      const clash = await store.courseBySlug(pool, input.slug);
      if (input.slug && clash && clash.id !== existing?.id) errors.push({ text: 'Another course already uses this web address name', href: '#slug' });
      const action = existing ? `/courses/${existing.slug}/edit` : '/courses/new';
      if (errors.length) {
        return res.status(400).render(ctx.view('form'), {
          title: existing ? `Edit ${existing.title}` : 'Add a course',
          action,
          isNew: !existing,
          errors,
          ...(await formContext(input, existing?.id)),
        });
      }
      if (existing) await ctx.database.transaction((client) => store.updateCourse(client, existing.id, input));
      else await ctx.database.transaction((client) => store.createCourse(client, input));
      req.session.flash = existing ? `Saved “${input.title}”.` : `Added “${input.title}” to the catalogue.`;
      res.redirect(`/courses/${input.slug}`);
    }

    router.post('/courses/new', allow(can.manageCourses), (req, res) => save(req, res));

    router.get('/courses/:slug', allow(), async (req, res) => {
      const c = caller(req);
      const course = await store.courseBySlug(pool, String(req.params.slug));
      const admin = may(c, can.manageCourses);
      if (!course || (!admin && course.status !== 'published') || (isPublicMember(c) && course.audience !== 'public')) throw new NotFoundError('course');
      const competencies = (await store.publishedCompetencies(pool)).filter((x) => course.competencyLineages.includes(x.lineage));
      const all = await store.listCourses(pool, { includeUnpublished: true });
      res.render(ctx.view('show'), {
        title: course.title,
        course,
        competencies,
        prerequisites: all.filter((x) => course.prerequisiteIds.includes(x.id)),
        isElearning: course.delivery !== 'face-to-face',
        audienceText: AUDIENCES.find((a) => a.value === course.audience)?.text,
        deliveryText: DELIVERIES.find((d) => d.value === course.delivery)?.text,
        canEdit: admin,
        canReport: may(c, can.viewCourseReports),
      });
    });

    router.get('/courses/:slug/edit', allow(can.manageCourses), async (req, res) => {
      const course = await store.courseBySlug(pool, String(req.params.slug));
      if (!course) throw new NotFoundError('course');
      res.render(ctx.view('form'), {
        title: `Edit ${course.title}`,
        action: `/courses/${course.slug}/edit`,
        isNew: false,
        ...(await formContext(course, course.id)),
      });
    });

    router.post('/courses/:slug/edit', allow(can.manageCourses), async (req, res) => {
      const course = await store.courseBySlug(pool, String(req.params.slug));
      if (!course) throw new NotFoundError('course');
      await save(req, res, course);
    });

    return router;
  },
});
