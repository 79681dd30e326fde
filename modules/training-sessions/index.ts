import express, { type Request } from 'express';
import { allow, type Caller, caller, can, managedScope, may, type OrganisationScope, scopeCondition, scopeIncludes, trainingScope } from '../../server/access';
import { HttpError, NotFoundError } from '../../server/errors';
import { defineModule, type ModuleContext } from '../../server/module';
import { createOrganisationStore } from '../organisations/api';
import { seedDemoSessions } from './demo';
import { sendOffers, runPlacesJob } from './messages';
import { placesRoutes } from './places-routes';
import { chargeNotice, formatPence, formFrom, registerOpen, SESSION_LIMITS, type SessionForm, validateSession } from './rules';
import {
  answerOffer,
  bookingTerms,
  bookPlace,
  cancelBooking,
  createSession,
  findSession,
  listBookings,
  listCourses,
  listSessions,
  markRegister,
  sessionFigures,
  sessionsRunBy,
} from './store';
import { SECTORS } from '../organisations/api';

// Sector names as the organisations module shows them.
const SECTOR_NAMES: Record<string, string> = SECTORS;

/** A person acts on their own booking; leads on their staff's; trainers and admins on anyone's. */
function scopeForStaff(c: Caller, staffId: string, manage: (c: Caller) => OrganisationScope): OrganisationScope {
  return c.staffIds.includes(staffId) ? { kind: 'all' } : manage(c);
}

async function formOptions(ctx: ModuleContext) {
  const pool = ctx.database.pool;
  const [courses, trainers, organisations] = await Promise.all([
    listCourses(pool),
    pool.query<{ id: string; name: string }>(
      `select distinct u.id, u.display_name as name from users u join user_roles r on r.user_id = u.id where r.role = 'trainer' and not u.disabled order by name`,
    ),
    createOrganisationStore(pool).list(),
  ]);
  return { courses, trainers: trainers.rows, organisations: organisations.map(({ id, name }) => ({ id, name })) };
}

async function renderNew(ctx: ModuleContext, res: express.Response, form: Partial<SessionForm>, errors: { text: string; href: string }[] = []) {
  const options = await formOptions(ctx);
  res.status(errors.length ? 400 : 200).render(ctx.view('new'), { title: 'Create a training session', form, errors, limits: SESSION_LIMITS, ...options });
}

async function staffChoices(ctx: ModuleContext, scope: OrganisationScope) {
  const cond = scopeCondition(scope, 's.organisation_id', 1);
  const { rows } = await ctx.database.pool.query<{ id: string; name: string; organisationName: string }>(
    `select s.id, s.name, o.name as "organisationName" from staff_members s join member_organisations o on o.id = s.organisation_id
      where ${cond.sql} and (s.leaving_date is null or s.leaving_date > current_date) order by o.name, s.name limit 2000`,
    cond.params,
  );
  return rows;
}

function back(_req: Request, sessionId: string) {
  return `/training-sessions/${sessionId}`;
}

export default defineModule({
  name: 'training-sessions',
  dependsOn: ['courses', 'staff', 'evidence', 'organisations'],
  nav: [
    { label: 'Training sessions', href: '/training-sessions', order: 30 },
    { label: 'My sessions', href: '/my-sessions', roles: ['trainer'], order: 31 },
    {
      label: 'Booking terms',
      href: '/admin/booking-terms',
      roles: can.administerPartnership,
      order: 31,
      hub: { topic: 'learning', description: 'Cancellation notice and the charge for a place not attended' },
    },
    {
      label: 'Places not attended',
      href: '/training-sessions/no-shows',
      roles: can.manageStaff,
      order: 32,
      hub: { topic: 'data', description: 'Booked places nobody attended, by organisation' },
    },
    {
      label: 'Training charges',
      href: '/training-sessions/charges',
      roles: can.manageStaff,
      order: 33,
      hub: { topic: 'data', description: 'What each organisation owes for places not attended' },
    },
  ],
  seedDemo: seedDemoSessions,
  // The emailed offer of a freed place is its own permission: many staff have no account.
  jobs(ctx, agenda) {
    // Reminders carry dedupe keys and offers are made under the session lock, so two servers may run this at once.
    agenda.define('training sessions: reminders and offers', async () => {
      await runPlacesJob({ pool: ctx.database.pool, database: ctx.database, mailer: ctx.mailer, config: ctx.config });
    });
    return (async () => {
      await agenda.every('10 minutes', 'training sessions: reminders and offers');
    })();
  },
  routes(ctx) {
    const router = express.Router();
    const pool = ctx.database.pool;
    const db = ctx.database;
    const mail = { pool, mailer: ctx.mailer, config: ctx.config };
    // Reports, booking terms and emailed offers: fixed paths, so before /training-sessions/:id.
    router.use(placesRoutes(ctx));

    router.get('/training-sessions', allow(), async (req, res) => {
      const c = caller(req);
      const sessions = await listSessions(pool, { from: new Date(Date.now() - 14 * 86400_000) });
      const now = Date.now();
      const managed = managedScope(c);
      const mayBook = (orgId: string) => c.staffOrganisationIds.includes(orgId) || scopeIncludes(managed, orgId);
      const visible = sessions
        .filter((s) => s.openToAll || may(c, can.runTrainingSessions) || s.organisationIds.some(mayBook))
        .map((s) => ({ ...s, past: new Date(s.startsAt).getTime() < now, placesLeft: Math.max(0, s.capacity - s.booked) }));
      res.render(ctx.view('list'), {
        title: 'Training sessions',
        upcoming: visible.filter((s) => !s.past),
        recent: may(c, can.runTrainingSessions) ? visible.filter((s) => s.past) : [],
        canCreate: may(c, can.runTrainingSessions),
        canReport: may(c, can.manageStaff),
        canSetTerms: may(c, can.administerPartnership),
      });
    });

    router.get('/training-sessions/new', allow(can.runTrainingSessions), async (req, res) => {
      await renderNew(ctx, res, { multiAgency: 'yes', trainerUserId: caller(req).userId });
    });

    router.post('/training-sessions', allow(can.runTrainingSessions), async (req, res) => {
      const form = formFrom(req.body ?? {});
      const options = await formOptions(ctx);
      const { errors, value } = validateSession(
        form,
        { courseIds: options.courses.map((c) => c.id), trainerIds: options.trainers.map((t) => t.id), organisationIds: options.organisations.map((o) => o.id) },
        new Date(),
      );
      if (!value) return renderNew(ctx, res, form, errors);
      const id = await createSession(db, { ...value, createdBy: caller(req).userId });
      req.session.flash = 'Session created';
      res.redirect(`/training-sessions/${id}`);
    });

    router.get('/training-sessions/:id', allow(), async (req, res) => {
      const c = caller(req);
      const session = await findSession(pool, String(req.params.id));
      if (!session) throw new NotFoundError('session');
      const isTrainer = may(c, can.runTrainingSessions);
      const isLead = may(c, can.manageStaff);
      const [bookings, figures, ownBookings, staff, terms] = await Promise.all([
        isTrainer || isLead ? listBookings(pool, trainingScope(c), session.id) : Promise.resolve([]),
        sessionFigures(pool, session.id),
        c.staffIds.length
          ? pool.query<{ id: string; status: string; offerExpiresAt: Date | null }>(
              `select id, status, case when status = 'waiting' and offer_expires_at > now() then offer_expires_at end as "offerExpiresAt"
                 from session_bookings where session_id = $1 and staff_id = any($2::uuid[]) and status <> 'cancelled'`,
              [session.id, c.staffIds],
            )
          : Promise.resolve({ rows: [] as { id: string; status: string; offerExpiresAt: Date | null }[] }),
        isLead ? staffChoices(ctx, managedScope(c)) : Promise.resolve([]),
        bookingTerms(pool),
      ]);
      const managed = managedScope(c);
      const started = new Date(session.startsAt).getTime() <= Date.now();
      const registerOpens = registerOpen(session, new Date());
      res.render(ctx.view('session'), {
        title: session.courseTitle,
        session,
        started,
        registerOpens,
        placesLeft: Math.max(0, session.capacity - session.booked),
        bookings: bookings.map((b) => ({
          ...b,
          sectorName: SECTOR_NAMES[b.sector] ?? b.sector,
          // Leads pass their own staff's confirmed places to colleagues.
          canSubstitute: isLead && b.status === 'booked' && scopeIncludes(managed, b.organisationId),
        })),
        charge: session.chargePence ? formatPence(session.chargePence) : null,
        chargeNotice: chargeNotice(session.chargePence, terms),
        booked: bookings.filter((b) => b.status === 'booked'),
        waiting: bookings.filter((b) => b.status === 'waiting'),
        figures: { ...figures, sectors: figures.sectors.map((s) => ({ ...s, name: SECTOR_NAMES[s.sector] ?? s.sector })) },
        own: ownBookings.rows[0],
        hasStaffRecord: c.staffIds.length > 0,
        isTrainer,
        isLead,
        staff,
      });
    });

    router.post('/training-sessions/:id/book', allow(), async (req, res) => {
      const c = caller(req);
      const sessionId = String(req.params.id);
      const staffId = typeof req.body?.staffId === 'string' && req.body.staffId ? req.body.staffId : c.staffIds[0];
      if (!staffId) throw new HttpError(409, 'We have no staff record for you, so you cannot book. Ask your organisation lead to add you.');
      const result = await bookPlace(db, scopeForStaff(c, staffId, managedScope), { sessionId, staffId, bookedBy: c.userId });
      req.session.flash =
        result.status === 'booked' ? 'Place booked' : 'The session is full: you are on the waiting list and will be given a place if one comes free';
      res.redirect(back(req, sessionId));
    });

    router.post('/training-sessions/:id/bookings/:bookingId/cancel', allow(), async (req, res) => {
      const c = caller(req);
      const bookingId = String(req.params.bookingId);
      const { rows } = await pool.query<{ staff_id: string }>('select staff_id from session_bookings where id::text = $1 and session_id::text = $2', [
        bookingId,
        String(req.params.id),
      ]);
      if (!rows[0]) throw new NotFoundError('booking');
      const { offers } = await cancelBooking(db, scopeForStaff(c, rows[0].staff_id, trainingScope), { bookingId, cancelledBy: c.userId });
      await sendOffers(mail, offers);
      req.session.flash = 'Booking cancelled';
      res.redirect(back(req, String(req.params.id)));
    });

    router.post('/training-sessions/:id/bookings/:bookingId/accept', allow(), async (req, res) => {
      const c = caller(req);
      const bookingId = String(req.params.bookingId);
      const { rows } = await pool.query<{ staff_id: string }>('select staff_id from session_bookings where id::text = $1 and session_id::text = $2', [
        bookingId,
        String(req.params.id),
      ]);
      if (!rows[0]) throw new NotFoundError('booking');
      await answerOffer(db, { bookingId, scope: scopeForStaff(c, rows[0].staff_id, managedScope), accept: true });
      req.session.flash = 'Place accepted';
      res.redirect(back(req, String(req.params.id)));
    });

    router.get('/my-sessions', allow(can.runTrainingSessions), async (req, res) => {
      const now = new Date();
      // Recent enough to take a register that was missed; older ones are on each session's page.
      const sessions = await sessionsRunBy(pool, caller(req).userId, { from: new Date(now.getTime() - 60 * 86400_000) });
      const shaped = sessions.map((s) => ({ ...s, booked: Number(s.booked), open: registerOpen(s, now) }));
      res.render(ctx.view('my-sessions'), {
        title: 'My sessions',
        upcoming: shaped.filter((s) => s.startsAt.getTime() > now.getTime()),
        recent: shaped.filter((s) => s.startsAt.getTime() <= now.getTime()).reverse(),
      });
    });

    // The register has its own address a trainer can bookmark: before the session starts it says when it opens, rather than "page not found".
    router.get('/training-sessions/:id/register', allow(can.runTrainingSessions), async (req, res) => {
      const session = await findSession(pool, String(req.params.id));
      if (!session) throw new NotFoundError('session');
      const open = registerOpen(session, new Date());
      const booked = open ? (await listBookings(pool, trainingScope(caller(req)), session.id)).filter((b) => b.status === 'booked') : [];
      res.render(ctx.view('register'), { title: `Register: ${session.courseTitle}`, session, open, booked });
    });

    router.post('/training-sessions/:id/register', allow(can.runTrainingSessions), async (req, res) => {
      const raw = req.body?.attended;
      const attended = (Array.isArray(raw) ? raw : typeof raw === 'string' ? [raw] : []).map(String);
      const result = await markRegister(db, ctx.events, { sessionId: String(req.params.id), attendedStaffIds: attended, markedBy: caller(req).userId });
      req.session.flash = `Register saved: ${result.attended} attended`;
      res.redirect(back(req, String(req.params.id)));
    });
    return router;
  },
});
