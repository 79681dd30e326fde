import { expect } from 'chai';
import { chargeNotice, formFrom, parsePounds, placeCharge, registerOpen, reportPeriod, validateSession, validateTerms } from './rules';

describe('training session form', () => {
  const known = { courseIds: ['course'], trainerIds: ['trainer'], organisationIds: ['org-a', 'org-b'] };
  const now = new Date('2026-11-23T12:00:00Z');
  const base = { courseId: 'course', date: '2027-03-29', startTime: '09:30', endTime: '16:00', venue: 'Civic Centre', capacity: '20' };

  it('reads times as UK wall-clock time, either side of the clocks changing', () => {
    const summer = validateSession(formFrom(base), known, now).value!;
    expect(summer.startsAt.toISOString()).to.equal('2027-03-29T08:30:00.000Z');
    const winter = validateSession(formFrom({ ...base, date: '2027-03-26' }), known, now).value!;
    expect(winter.startsAt.toISOString()).to.equal('2027-03-26T09:30:00.000Z');
    expect(summer.organisationIds).to.deep.equal([]); // nobody ticked: open to every organisation
    expect(summer.multiAgency).to.equal(true);
  });

  it('explains each mistake against its field', () => {
    const { errors, value } = validateSession(
      formFrom({
        courseId: 'other',
        date: '2027-03-29',
        startTime: '09:30',
        endTime: '09:00',
        capacity: '0',
        onlineUrl: 'http://insecure',
        trainerUserId: 'nobody',
        organisationIds: 'org-z',
      }),
      known,
      now,
    );
    expect(value).to.equal(undefined);
    expect(errors.map((e) => e.href)).to.deep.equal(['#courseId', '#endTime', '#onlineUrl', '#capacity', '#trainerUserId', '#organisationIds']);
    expect(validateSession(formFrom({ ...base, date: '2026-11-01' }), known, now).errors.map((e) => e.text)).to.deep.equal([
      'The session must be today or later',
    ]);
    expect(validateSession(formFrom({ ...base, venue: '' }), known, now).errors.map((e) => e.href)).to.deep.equal(['#venue']);
    expect(
      validateSession(formFrom({ ...base, venue: '', onlineUrl: 'https://meet.example/x', organisationIds: ['org-a'] }), known, now).value?.organisationIds,
    ).to.deep.equal(['org-a']);
  });

  it('reads the GOV.UK date input and times as people write them, and keeps free text within its limits', () => {
    const boxes = { ...base, date: undefined, 'date-day': '29', 'date-month': '3', 'date-year': '2027', startTime: '9:30am', endTime: '4pm' };
    expect(validateSession(formFrom(boxes), known, now).value?.endsAt.toISOString()).to.equal('2027-03-29T15:00:00.000Z');
    const { errors } = validateSession(
      formFrom({ ...boxes, 'date-month': '', startTime: '25:00', endTime: '', venue: 'x'.repeat(201), notes: 'y'.repeat(2001) }),
      known,
      now,
    );
    expect(errors.map((e) => [e.href, e.text])).to.deep.equal([
      ['#date-month', 'The date of the session must include a month'],
      ['#startTime', 'The start time must be a real time, for example 9:30am or 2pm'],
      ['#endTime', 'Enter the end time'],
      ['#venue', 'The venue must be 200 characters or fewer'],
      ['#notes', 'The notes must be 2000 characters or fewer'],
    ]);
    // What was typed comes back to the form as typed.
    expect(formFrom({ ...boxes, 'date-month': 'March' }).date).to.deep.equal({ day: '29', month: 'March', year: '2027' });
  });
});

describe('recording a session after it ran, and its register', () => {
  const known = { courseIds: ['course'], trainerIds: ['trainer'], organisationIds: [] };
  // 2pm in London on 23 November 2026
  const now = new Date('2026-11-23T14:00:00Z');
  const form = (date: string, startTime: string) => formFrom({ courseId: 'course', date, startTime, endTime: '13:00', venue: 'Civic Centre', capacity: '20' });

  it('accepts a session that started earlier today, and refuses one from yesterday', () => {
    expect(validateSession(form('2026-11-23', '09:30'), known, now).value?.startsAt.toISOString()).to.equal('2026-11-23T09:30:00.000Z');
    expect(validateSession(form('2026-11-22', '09:30'), known, now).errors.map((e) => e.text)).to.deep.equal(['The session must be today or later']);
  });

  it('opens the register at the session start, never for a cancelled session', () => {
    const startsAt = new Date('2026-11-23T14:00:00Z');
    expect(registerOpen({ startsAt, cancelledAt: null }, new Date('2026-11-23T13:59:59Z'))).to.equal(false);
    expect(registerOpen({ startsAt, cancelledAt: null }, startsAt)).to.equal(true);
    expect(registerOpen({ startsAt, cancelledAt: new Date('2026-11-20T10:00:00Z') }, new Date('2026-11-24T10:00:00Z'))).to.equal(false);
  });
});

describe('booking terms and charges per place', () => {
  const terms = { lateCancellationDays: 7, chargeNoShows: true };
  const session = { startsAt: new Date('2027-03-15T09:30:00Z'), chargePence: 4500, cancelledAt: null };
  const place = (p: Partial<Parameters<typeof placeCharge>[0]>) => ({ status: 'booked', attended: null, cancelledAt: null, cancelReason: null, ...p });

  it('charges attended places, no-shows when the terms say so, and cancellations inside the notice period only', () => {
    expect(placeCharge(place({ attended: true }), session, terms)).to.deep.equal({ reason: 'attended', pence: 4500 });
    expect(placeCharge(place({ attended: false }), session, terms)).to.deep.equal({ reason: 'no-show', pence: 4500 });
    expect(placeCharge(place({ attended: false }), session, { ...terms, chargeNoShows: false })).to.equal(null);
    expect(placeCharge(place({ attended: null }), session, terms), 'register not marked yet').to.equal(null);
    const cancelled = (at: string, reason = 'cancelled') => place({ status: 'cancelled', cancelledAt: new Date(at), cancelReason: reason });
    expect(placeCharge(cancelled('2027-03-10T12:00:00Z'), session, terms)).to.deep.equal({ reason: 'late-cancellation', pence: 4500 });
    expect(placeCharge(cancelled('2027-03-01T12:00:00Z'), session, terms)).to.equal(null);
    expect(placeCharge(cancelled('2027-03-10T12:00:00Z'), session, { ...terms, lateCancellationDays: 0 })).to.equal(null);
    for (const reason of ['substituted', 'left-waiting-list', 'declined', 'offer-lapsed'])
      expect(placeCharge(cancelled('2027-03-14T12:00:00Z', reason), session, terms), reason).to.equal(null);
    expect(placeCharge(place({ attended: true }), { ...session, chargePence: null }, terms), 'free session').to.equal(null);
    expect(placeCharge(place({ attended: true }), { ...session, cancelledAt: new Date() }, terms), 'cancelled session').to.equal(null);
  });

  it('tells people the price and the terms when they book', () => {
    expect(chargeNotice(null, terms)).to.equal(null);
    expect(chargeNotice(4550, terms)).to.equal(
      'Each place costs £45.50, charged to the person’s organisation for places attended, places booked and not attended and places cancelled less than 7 days before the session. Passing a place to a colleague costs nothing.',
    );
  });

  it('reads prices in pounds and checks the terms form with a message for each mistake', () => {
    expect(parsePounds('')).to.equal(null);
    expect(parsePounds('£45')).to.equal(4500);
    expect(parsePounds('1,200.5')).to.equal(120050);
    expect(parsePounds('forty')).to.equal(undefined);
    expect(parsePounds('4.567')).to.equal(undefined);
    const bad = validateTerms({ reminderDays: '0', offerHours: 'x', lateCancellationDays: '91', chargeNoShows: '' });
    expect(bad.errors.map((e) => e.href)).to.deep.equal(['#reminderDays', '#offerHours', '#lateCancellationDays', '#chargeNoShows']);
    expect(validateTerms({ reminderDays: '3', offerHours: '48', lateCancellationDays: '0', chargeNoShows: 'no' }).value).to.deep.equal({
      reminderDays: 3,
      offerHours: 48,
      lateCancellationDays: 0,
      chargeNoShows: false,
    });
  });

  it('reports over whole UK days, the last twelve months by default', () => {
    const now = new Date('2027-06-15T10:00:00Z');
    const p = reportPeriod({}, now);
    expect([p.fromDay, p.toDay]).to.deep.equal(['2026-06-15', '2027-06-15']);
    expect(p.to.toISOString()).to.equal('2027-06-15T23:00:00.000Z'); // midnight at the end of the day, British Summer Time
    expect(reportPeriod({ from: '2027-13-01' }, now).errors[0].href).to.equal('#from-month');
    expect(reportPeriod({ 'from-day': '1', 'from-month': '4', 'from-year': '' }, now).errors[0].text).to.equal('The start date must include a year');
    expect(reportPeriod({ from: '2027-06-01', to: '2027-05-01' }, now).errors[0].text).to.contain('same as or before');
  });
});
