import express from 'express';
import { DateTime } from 'luxon';
import { allow, caller, can, managedScope, scopeIncludes } from '../../server/access';
import { sendCsv } from '../../server/csv';
import { HttpError, NotFoundError } from '../../server/errors';
import type { ModuleContext } from '../../server/module';
import { sendOffers } from './messages';
import { CHARGE_REASONS, formatPence, placeCharge, reportPeriod, type TermsForm, validateTerms } from './rules';
import { answerOffer, bookingTerms, findOffer, findSession, placesInPeriod, saveBookingTerms, substituteColleague } from './store';

/**
 * Pages for sessions that fill: the partnership's booking terms, no-shows and
 * charges per organisation, a lead passing a place to a colleague, and the
 * page behind the emailed offer of a freed place.
 */
export function placesRoutes(ctx: ModuleContext): express.Router {
  const router = express.Router();
  const pool = ctx.database.pool;
  const db = ctx.database;
  const mail = { pool, mailer: ctx.mailer, config: ctx.config };

  const termsPage = async (res: express.Response, form: TermsForm, errors: { text: string; href: string }[] = []) =>
    res.status(errors.length ? 400 : 200).render(ctx.view('booking-terms'), { title: 'Booking terms', form, errors });

  router.get('/admin/booking-terms', allow(can.administerPartnership), async (_req, res) => {
    const t = await bookingTerms(pool);
    await termsPage(res, {
      reminderDays: String(t.reminderDays),
      offerHours: String(t.offerHours),
      lateCancellationDays: String(t.lateCancellationDays),
      chargeNoShows: t.chargeNoShows ? 'yes' : 'no',
    });
  });

  router.post('/admin/booking-terms', allow(can.administerPartnership), async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const form: TermsForm = {
      reminderDays: String(body.reminderDays ?? ''),
      offerHours: String(body.offerHours ?? ''),
      lateCancellationDays: String(body.lateCancellationDays ?? ''),
      chargeNoShows: String(body.chargeNoShows ?? ''),
    };
    const { errors, value } = validateTerms(form);
    if (!value) return termsPage(res, form, errors);
    await saveBookingTerms(db, value, caller(req).userId);
    req.session.flash = 'Booking terms saved';
    res.redirect('/admin/booking-terms');
  });

  async function placesReport(req: express.Request) {
    const period = reportPeriod(req.query, new Date());
    const [places, terms] = await Promise.all([placesInPeriod(pool, managedScope(caller(req)), period), bookingTerms(pool)]);
    const rows = places.map((p) => {
      const charge = placeCharge(p, { startsAt: p.startsAt, chargePence: p.chargePence, cancelledAt: p.sessionCancelledAt }, terms);
      return {
        ...p,
        noShow: p.status === 'booked' && p.attended === false && !p.sessionCancelledAt,
        charge,
        chargeText: charge ? formatPence(charge.pence) : '',
        reasonText: charge ? CHARGE_REASONS[charge.reason] : '',
      };
    });
    return { period, rows, terms };
  }

  router.get('/training-sessions/no-shows', allow(can.manageStaff), async (req, res) => {
    const { period, rows } = await placesReport(req);
    const organisations = new Map<string, { name: string; attended: number; noShows: number; people: typeof rows }>();
    for (const r of rows) {
      if (r.status !== 'booked' || r.attended === null || r.sessionCancelledAt) continue;
      const o = organisations.get(r.organisationId) ?? { name: r.organisationName, attended: 0, noShows: 0, people: [] };
      if (r.attended) o.attended++;
      else {
        o.noShows++;
        o.people.push(r);
      }
      organisations.set(r.organisationId, o);
    }
    res.status(period.errors.length ? 400 : 200).render(ctx.view('no-shows'), {
      title: 'Places not attended',
      period,
      errors: period.errors,
      organisations: [...organisations.values()].map((o) => ({
        ...o,
        rate: o.attended + o.noShows ? Math.round((100 * o.noShows) / (o.attended + o.noShows)) : 0,
      })),
    });
  });

  router.get('/training-sessions/charges', allow(can.manageStaff), async (req, res) => {
    const { period, rows, terms } = await placesReport(req);
    const charged = rows.filter((r) => r.charge);
    const totals = new Map<string, { name: string; places: number; pence: number }>();
    for (const r of charged) {
      const t = totals.get(r.organisationId) ?? { name: r.organisationName, places: 0, pence: 0 };
      t.places++;
      t.pence += r.charge!.pence;
      totals.set(r.organisationId, t);
    }
    if (req.query.format === 'csv') {
      return sendCsv(
        res,
        `training-charges-${period.fromDay}-to-${period.toDay}.csv`,
        ['organisation', 'session_date', 'course', 'person', 'reason', 'charge_pence', 'charge'],
        charged.map((r) => [
          r.organisationName,
          DateTime.fromJSDate(r.startsAt).setZone('Europe/London').toISODate(),
          r.courseTitle,
          r.staffName,
          r.reasonText,
          r.charge!.pence,
          formatPence(r.charge!.pence),
        ]),
      );
    }
    res.status(period.errors.length ? 400 : 200).render(ctx.view('charges'), {
      title: 'Training charges',
      period,
      errors: period.errors,
      terms,
      totals: [...totals.values()].map((t) => ({ ...t, total: formatPence(t.pence) })),
      csvHref: `/training-sessions/charges?format=csv&from=${period.fromDay}&to=${period.toDay}`,
    });
  });

  router.get('/training-sessions/offers/:token', async (req, res) => {
    const offer = await findOffer(pool, String(req.params.token));
    if (!offer) throw new HttpError(404, 'This link is not valid. The place may have been offered by a newer email: check your inbox.');
    const open = offer.status === 'waiting' && new Date(offer.expiresAt) > new Date() && new Date(offer.startsAt) > new Date();
    res.status(open || offer.status === 'booked' ? 200 : 410).render(ctx.view('offer'), {
      title: 'A place on a training session',
      offer,
      open,
      accepted: offer.status === 'booked',
      charge: offer.chargePence ? formatPence(offer.chargePence) : null,
      token: String(req.params.token),
    });
  });

  router.post('/training-sessions/offers/:token', async (req, res) => {
    const token = String(req.params.token);
    const accept = req.body?.answer === 'accept';
    if (!accept && req.body?.answer !== 'decline') throw new HttpError(400, 'Choose whether to accept the place or let it go.');
    const { offers } = await answerOffer(db, { token, accept });
    await sendOffers(mail, offers);
    req.session.flash = accept ? 'Place accepted: see you there' : 'Thank you: the place will be offered to the next person';
    res.redirect(`/training-sessions/offers/${token}`);
  });

  async function substitutionContext(req: express.Request) {
    const c = caller(req);
    const session = await findSession(pool, String(req.params.id));
    if (!session) throw new NotFoundError('session');
    const { rows } = await pool.query<{ id: string; staffName: string; organisationId: string; status: string }>(
      `select b.id, s.name as "staffName", s.organisation_id as "organisationId", b.status from session_bookings b join staff_members s on s.id = b.staff_id
        where b.id::text = $1 and b.session_id = $2`,
      [String(req.params.bookingId), session.id],
    );
    const booking = rows[0];
    if (!booking || !scopeIncludes(managedScope(c), booking.organisationId)) throw new NotFoundError('booking');
    const { rows: colleagues } = await pool.query<{ id: string; name: string }>(
      `select s.id, s.name from staff_members s where s.organisation_id = $1 and (s.leaving_date is null or s.leaving_date > current_date)
          and not exists (select 1 from session_bookings b where b.session_id = $2 and b.staff_id = s.id and b.status <> 'cancelled')
        order by s.name limit 2000`,
      [booking.organisationId, session.id],
    );
    return { session, booking, colleagues };
  }

  router.get('/training-sessions/:id/bookings/:bookingId/substitute', allow(can.manageStaff), async (req, res) => {
    res.render(ctx.view('substitute'), { title: 'Pass a place to a colleague', ...(await substitutionContext(req)) });
  });

  router.post('/training-sessions/:id/bookings/:bookingId/substitute', allow(can.manageStaff), async (req, res) => {
    const context = await substitutionContext(req);
    const staffId = typeof req.body?.staffId === 'string' ? req.body.staffId : '';
    if (!context.colleagues.some((c) => c.id === staffId)) {
      return res.status(400).render(ctx.view('substitute'), {
        title: 'Error: Pass a place to a colleague',
        ...context,
        errors: [{ text: 'Select the colleague who will take the place', href: '#staffId' }],
      });
    }
    await substituteColleague(db, managedScope(caller(req)), { sessionId: context.session.id, bookingId: context.booking.id, staffId, by: caller(req).userId });
    req.session.flash = `Place passed from ${context.booking.staffName} to ${context.colleagues.find((c) => c.id === staffId)?.name}`;
    res.redirect(`/training-sessions/${context.session.id}`);
  });

  return router;
}
