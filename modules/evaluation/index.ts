import express from 'express';
import { allow, caller, can } from '../../server/access';
import { HttpError, NotFoundError } from '../../server/errors';
import { londonToday } from '../../server/london';
import { defineModule, type ModuleContext } from '../../server/module';
// The board's own threshold and wording, so these figures are suppressed exactly as the board's are.
import { publishedCount, suppressionThreshold } from '../board/api';
import { setEvaluationSettings } from '../courses/api';
import { preCourseRatingGate } from './gate';
import { CONFIDENCE_LEVELS, confidenceChange, parseFollowUp, parseRatings } from './rules';
import {
  competencyLabels,
  courseCompetencies,
  dueFollowUps,
  evaluationCourse,
  evaluationState,
  followUpCounts,
  followUpFor,
  markFollowUpSent,
  ratingPairs,
  saveFollowUp,
  saveRating,
} from './store';

export const FOLLOW_UP_SUBJECT = 'A question about your training';

/** Emails the follow-up question to everyone whose weeks have passed; the dedupe key sends each once. */
export async function sendFollowUps(ctx: Pick<ModuleContext, 'database' | 'mailer' | 'config'>, now = new Date()): Promise<number> {
  const today = londonToday(now);
  let queued = 0;
  for (const f of await dueFollowUps(ctx.database.pool, today)) {
    if (f.email) {
      const id = await ctx.mailer.queue({
        to: f.email,
        subject: FOLLOW_UP_SUBJECT,
        text: [
          `Hello ${f.name},`,
          '',
          `A few weeks ago you completed ${f.courseTitle}. We would like to know one thing: how has it changed your practice?`,
          '',
          'Answer in a few words here (you will be asked to sign in):',
          `${ctx.config.publicUrl}/evaluation/follow-up/${f.id}`,
          '',
          'Your answer helps the partnership improve its training.',
        ].join('\n'),
        category: 'evaluation-follow-up',
        organisationId: f.organisationId,
        dedupeKey: `evaluation-follow-up:${f.id}`,
      });
      if (id) queued++;
    }
    await markFollowUpSent(ctx.database.pool, f.id);
  }
  return queued;
}

function ratingForm(competencies: { lineage: string; label: string }[], form: Record<string, string>) {
  return competencies.map((c, i) => ({ ...c, field: `c-${i}`, levels: CONFIDENCE_LEVELS.map((l) => ({ ...l, checked: form[`c-${i}`] === String(l.value) })) }));
}

export default defineModule({
  name: 'evaluation',
  dependsOn: ['courses', 'staff', 'evidence', 'framework', 'board'],
  nav: [
    { label: 'Evaluation', href: '/board/evaluation', roles: ['board-member'], order: 81 },
    {
      label: 'Evaluation',
      href: '/board/evaluation',
      roles: ['partnership-admin'],
      order: 81,
      hub: { topic: 'data', description: 'How confident people feel before and after training, for the board' },
    },
  ],
  jobs(ctx, agenda) {
    agenda.define('evaluation: follow-up questions', async () => {
      await sendFollowUps(ctx);
    });
    return (async () => {
      await agenda.every('1 hour', 'evaluation: follow-up questions');
    })();
  },
  // Before the e-learning players' routes (SCORM and cmi5): a course that requires evaluation asks for the rating before it starts.
  routesBeforeOthers(ctx) {
    const router = express.Router();
    router.get('/courses/:slug/play', allow(), preCourseRatingGate(ctx.database.pool));
    router.post('/courses/:slug/attempts', allow(), preCourseRatingGate(ctx.database.pool));
    return router;
  },
  routes(ctx) {
    const router = express.Router();
    const pool = ctx.database.pool;

    async function load(req: express.Request) {
      const course = await evaluationCourse(pool, String(req.params.slug));
      if (!course?.requiresEvaluation) throw new NotFoundError('course');
      const staffId = caller(req).staffIds[0];
      if (!staffId) throw new HttpError(409, 'Only members of staff of a partner organisation rate their confidence on this course.');
      const [competencies, state] = await Promise.all([courseCompetencies(pool, course.id), evaluationState(pool, staffId, course.id)]);
      const stage: 'before' | 'after' | 'done' = state.awaitingAfter ? 'after' : !state.hasBefore && !state.completed ? 'before' : 'done';
      return { course, staffId, competencies, state, stage };
    }

    const render = (
      res: express.Response,
      page: Awaited<ReturnType<typeof load>>,
      form: Record<string, string> = {},
      errors: { text: string; href: string }[] = [],
    ) =>
      res.status(errors.length ? 400 : 200).render(ctx.view('rate'), {
        title: `${page.stage === 'after' ? 'Your confidence now' : page.stage === 'before' ? 'Your confidence before you start' : 'Your confidence ratings'}`,
        ...page,
        isBefore: page.stage === 'before',
        isAfter: page.stage === 'after',
        isElearning: page.course.delivery !== 'face-to-face',
        competencies: ratingForm(page.competencies, form),
        errors,
      });

    router.get('/courses/:slug/evaluation', allow(), async (req, res) => {
      render(res, await load(req));
    });

    router.post('/courses/:slug/evaluation', allow(), async (req, res) => {
      const page = await load(req);
      if (page.stage === 'done') return res.redirect(`/courses/${page.course.slug}/evaluation`);
      const parsed = parseRatings(req.body ?? {}, page.competencies);
      if (!parsed.ratings) return render(res, page, parsed.form, parsed.errors);
      await saveRating(ctx.database, ctx.events, {
        staffId: page.staffId,
        courseId: page.course.id,
        stage: page.stage,
        completedOn: page.stage === 'after' ? page.state.awaitingAfter : null,
        followUpWeeks: page.course.followUpWeeks,
        ratings: parsed.ratings,
      });
      if (page.stage === 'before') {
        req.session.flash = 'Thank you. You can start the course now.';
        return res.redirect(page.course.delivery !== 'face-to-face' ? `/courses/${page.course.slug}/play` : `/courses/${page.course.slug}`);
      }
      req.session.flash = 'Thank you. Your certificate for this course is in My certificates.';
      res.redirect('/my-certificates');
    });

    router.get('/courses/:slug/evaluation/settings', allow(can.manageCourses), async (req, res) => {
      const { rows } = await pool.query<{ id: string; slug: string; title: string; requiresEvaluation: boolean; followUpWeeks: number }>(
        `select id, slug, title, requires_evaluation as "requiresEvaluation", evaluation_follow_up_weeks as "followUpWeeks" from course_catalogue where slug = $1`,
        [String(req.params.slug)],
      );
      if (!rows[0]) throw new NotFoundError('course');
      res.render(ctx.view('settings'), {
        title: 'Evaluation settings',
        course: rows[0],
        form: { requiresEvaluation: rows[0].requiresEvaluation ? 'yes' : 'no', followUpWeeks: String(rows[0].followUpWeeks) },
      });
    });

    router.post('/courses/:slug/evaluation/settings', allow(can.manageCourses), async (req, res) => {
      const { rows } = await pool.query<{ id: string; slug: string; title: string }>('select id, slug, title from course_catalogue where slug = $1', [
        String(req.params.slug),
      ]);
      if (!rows[0]) throw new NotFoundError('course');
      const form = { requiresEvaluation: String(req.body?.requiresEvaluation ?? ''), followUpWeeks: String(req.body?.followUpWeeks ?? '').trim() };
      const errors: { text: string; href: string }[] = [];
      if (!['yes', 'no'].includes(form.requiresEvaluation))
        errors.push({ text: 'Select whether this course requires evaluation', href: '#requiresEvaluation' });
      const weeks = Number(form.followUpWeeks);
      if (!/^\d+$/.test(form.followUpWeeks) || weeks < 1 || weeks > 52)
        errors.push({ text: 'Enter the weeks before the follow-up question, from 1 to 52', href: '#followUpWeeks' });
      if (errors.length) return res.status(400).render(ctx.view('settings'), { title: 'Error: Evaluation settings', course: rows[0], form, errors });
      await setEvaluationSettings(pool, rows[0].id, { requiresEvaluation: form.requiresEvaluation === 'yes', followUpWeeks: weeks });
      req.session.flash = 'Evaluation settings saved';
      res.redirect(`/courses/${rows[0].slug}`);
    });

    router.get('/evaluation/follow-up/:id', allow(), async (req, res) => {
      const followUp = await followUpFor(pool, String(req.params.id), caller(req).staffIds);
      if (!followUp) throw new NotFoundError('question');
      res.render(ctx.view('follow-up'), { title: 'How has the training changed your practice?', followUp, answer: followUp.answer ?? '' });
    });

    router.post('/evaluation/follow-up/:id', allow(), async (req, res) => {
      const c = caller(req);
      const followUp = await followUpFor(pool, String(req.params.id), c.staffIds);
      if (!followUp) throw new NotFoundError('question');
      const parsed = parseFollowUp(req.body ?? {});
      if (!parsed.answer) {
        return res.status(400).render(ctx.view('follow-up'), {
          title: 'Error: How has the training changed your practice?',
          followUp,
          answer: String(req.body?.answer ?? ''),
          errors: parsed.errors,
        });
      }
      await saveFollowUp(pool, followUp.id, c.staffIds, parsed.answer);
      req.session.flash = 'Thank you for your answer';
      res.redirect(`/evaluation/follow-up/${followUp.id}`);
    });

    router.get('/board/evaluation', allow(can.viewBoard), async (_req, res) => {
      const [pairs, labels, threshold, followUps] = await Promise.all([
        ratingPairs(pool),
        competencyLabels(pool),
        suppressionThreshold(pool, ctx.config.boardSuppressionThreshold),
        followUpCounts(pool),
      ]);
      const rows = confidenceChange(pairs, threshold)
        .map((r) => ({ ...r, competency: labels.get(r.lineage), peopleShown: publishedCount(r.people, threshold) }))
        .filter((r) => r.competency)
        .sort((a, b) => a.competency!.groupNumber - b.competency!.groupNumber || a.competency!.number - b.competency!.number);
      res.render(ctx.view('board'), {
        title: 'Change in confidence after training',
        rows,
        threshold,
        followUps: { sent: publishedCount(followUps.sent, threshold), answered: publishedCount(followUps.answered, threshold) },
      });
    });

    return router;
  },
});
