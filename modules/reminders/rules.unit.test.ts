import { expect } from 'chai';
import fc from 'fast-check';
import { addDays, addMonths, computeCompliance, isWanted } from '../compliance/api';
import { DEFAULT_POLICY, effectivePolicy, policyFromForm, type ReminderPolicy } from './policy';
import { digestDue, nextScanAt, peopleWhoCouldBeReminded, type ReminderPerson, remindersDue, scanDue } from './rules';

const policy: ReminderPolicy = { ...DEFAULT_POLICY, stepsBeforeExpiry: [60, 30, 7], overdueRepeatDays: 30, escalateAfterDays: 14, quietPeriods: [] };
const at = (day: string, time = '09:00') => new Date(`${day}T${time}:00Z`);

function person(expires: string | null, today: string, extra: Partial<ReminderPerson> = {}): ReminderPerson {
  const met = !!expires && expires > today;
  return { staffId: 's1', status: met ? 'compliant' : 'overdue', competencies: [{ lineage: 'g1-1', met, expires }], ...extra };
}

/** Runs a daily scan from `from` for `days` days and collects every key, as the outbox would. */
function dailyKeys(expires: string, from: string, days: number, p: ReminderPolicy = policy): string[] {
  const keys = new Set<string>();
  for (let i = 0; i < days; i++) {
    const day = addDays(from, i);
    for (const r of remindersDue([person(expires, day)], p, at(day))) keys.add(r.key);
  }
  return [...keys];
}

describe('remindersDue', () => {
  it('sends 60, 30 and 7 days before expiry, once each, then overdue every 30 days and one escalation', () => {
    const keys = dailyKeys('2027-06-01', '2027-01-01', 365);
    expect(keys.filter((k) => k.includes(':before-'))).to.deep.equal([
      'reminder:s1:g1-1:2027-06-01:before-60',
      'reminder:s1:g1-1:2027-06-01:before-30',
      'reminder:s1:g1-1:2027-06-01:before-7',
    ]);
    // overdue from 1 June to 31 December 2027: day 0, 30, 60 ... 210
    expect(keys.filter((k) => k.includes(':overdue-'))).to.have.length(8);
    expect(keys.filter((k) => k.endsWith(':escalated'))).to.deep.equal(['reminder:s1:g1-1:2027-06-01:escalated']);
  });

  it('sends only the latest step when scans were missed, and nothing in a quiet period', () => {
    expect(remindersDue([person('2027-06-01', '2027-05-20')], policy, at('2027-05-20')).map((r) => r.step)).to.deep.equal(['before-30']);
    const quiet = { ...policy, quietPeriods: [{ from: '2027-05-01', to: '2027-05-31' }] };
    expect(remindersDue([person('2027-06-01', '2027-05-20')], quiet, at('2027-05-20'))).to.deep.equal([]);
    const keys = dailyKeys('2027-06-01', '2027-03-01', 100, quiet);
    expect(keys.filter((k) => k.includes(':before-'))).to.deep.equal(['reminder:s1:g1-1:2027-06-01:before-60']);
  });

  it('groups competencies that fall due on one day into one reminder for "all"', () => {
    const p: ReminderPerson = {
      staffId: 's2',
      status: 'due-soon',
      competencies: [
        { lineage: 'a', met: true, expires: '2027-02-01' },
        { lineage: 'b', met: true, expires: '2027-02-01' },
      ],
    };
    const due = remindersDue([p], policy, at('2027-01-30'));
    expect(due.map((d) => d.key)).to.deep.equal(['reminder:s2:all:2027-02-01:before-7']);
    expect(due[0].lineages).to.deep.equal(['a', 'b']);
  });

  it('welcomes a new starter once inside their induction, and no one who has left', () => {
    const starter: ReminderPerson = {
      staffId: 'n1',
      status: 'in-induction',
      competencies: [{ lineage: 'a', met: false, expires: null }],
      startDate: '2027-01-10',
      inductionDays: 90,
    };
    const due = remindersDue([starter], policy, at('2027-01-10'));
    expect(due.map((d) => d.key)).to.deep.equal(['welcome:n1']);
    expect(due[0].dueDate).to.equal('2027-04-10');
    expect(remindersDue([{ ...starter, status: 'left' }], policy, at('2027-01-10'))).to.deep.equal([]);
  });

  it('never gives one person the same key for two different reminders (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -400, max: 400 }), fc.integer({ min: 0, max: 500 }), (offset, daysOn) => {
        const today = addDays('2027-01-01', daysOn);
        const due = remindersDue([person(addDays(today, offset), today)], policy, at(today));
        expect(new Set(due.map((d) => d.key)).size).to.equal(due.length);
      }),
    );
  });
});

describe('reminder schedule', () => {
  it('scans once a day after the organisation’s scan time, in London time', () => {
    const p = { ...policy, scanTime: '07:00' };
    // 06:30 UTC in summer is 07:30 in London
    expect(scanDue(p, new Date('2027-07-01T06:30:00Z'), '2027-06-30')).to.equal(true);
    expect(scanDue(p, new Date('2027-07-01T05:30:00Z'), '2027-06-30')).to.equal(false);
    expect(scanDue(p, new Date('2027-07-01T12:00:00Z'), '2027-07-01')).to.equal(false);
    expect(nextScanAt(p, new Date('2027-07-01T12:00:00Z'), '2027-07-01').toISOString()).to.equal('2027-07-02T06:00:00.000Z');
  });

  it('gives one digest per week or month, dated by its slot', () => {
    const weekly = { ...policy, digest: { frequency: 'weekly' as const, day: 1, time: '08:00' } };
    // Monday 4 January 2027 at 08:00 London = 08:00 UTC
    expect(digestDue(weekly, new Date('2027-01-04T07:59:00Z'))).to.equal('2026-12-28');
    expect(digestDue(weekly, new Date('2027-01-04T08:00:00Z'))).to.equal('2027-01-04');
    expect(digestDue(weekly, new Date('2027-01-10T20:00:00Z'))).to.equal('2027-01-04');
    const monthly = { ...policy, digest: { frequency: 'monthly' as const, day: 15, time: '09:30' } };
    expect(digestDue(monthly, new Date('2027-03-14T12:00:00Z'))).to.equal('2027-02-15');
    expect(digestDue({ ...policy, digest: { ...policy.digest, frequency: 'off' } }, new Date())).to.equal(null);
  });
});

describe('reminder policy', () => {
  it('takes the organisation’s settings over the partnership’s, and ignores malformed ones', () => {
    const p = effectivePolicy({ overdueRepeatDays: 14, scanTime: '06:00' }, { stepsBeforeExpiry: [7, 30], scanTime: '25:99' });
    expect(p.stepsBeforeExpiry).to.deep.equal([30, 7]);
    expect(p.overdueRepeatDays).to.equal(14);
    expect(p.scanTime).to.equal('06:00');
  });

  it('explains form mistakes next to the field', () => {
    const { errors } = policyFromForm({
      steps: '60, soon',
      overdueRepeatDays: '30',
      escalateAfterDays: '',
      digestFrequency: 'weekly',
      digestDay: '9',
      digestTime: '8am',
      scanTime: '07:00',
      quietPeriods: '2026-12-24 to 2026-12-20',
    });
    expect(errors.map((e) => e.href)).to.include('#steps');
    const second = policyFromForm({
      steps: '60',
      overdueRepeatDays: '30',
      escalateAfterDays: '',
      digestFrequency: 'weekly',
      digestDay: '9',
      digestTime: '8am',
      scanTime: '07:00',
      quietPeriods: '2026-12-24 to 2026-12-20',
    });
    expect(second.errors.map((e) => e.href).sort()).to.deep.equal(['#digestDay', '#digestTime', '#quietPeriods']);
    const ok = policyFromForm({
      steps: '7,60 30',
      overdueRepeatDays: '30',
      escalateAfterDays: '',
      digestFrequency: 'monthly',
      digestDay: '1',
      digestTime: '08:00',
      scanTime: '07:00',
      quietPeriods: '2026-12-24 to 2027-01-02',
    });
    expect(ok.policy?.stepsBeforeExpiry).to.deep.equal([60, 30, 7]);
    expect(ok.policy?.escalateAfterDays).to.equal(null);
  });
});

describe('peopleWhoCouldBeReminded', () => {
  const requirements = ['a', 'b', 'c'].map((lineage, i) => ({ lineage, competencyId: lineage, groupNumber: 1, number: i + 1, text: lineage }));
  const day = (base: string, offset: number) => addDays(base, offset);

  it('leaves out only people the reminder rules would not remind, for people as the compliance engine works them out', () => {
    // The daily scan reads only these people: leaving out anyone remindersDue would remind would lose their reminder.
    // Evidence by the day it stops counting, mostly near today, so the edges of each step and of the induction period come up.
    const evidence = fc.array(fc.record({ lineage: fc.constantFrom('a', 'b', 'c'), expiresIn: fc.integer({ min: -60, max: 120 }) }), { maxLength: 5 });
    const someone = fc.record({
      evidence,
      started: fc.option(fc.integer({ min: -10, max: 130 })),
      leftAgo: fc.option(fc.integer({ min: -30, max: 30 })),
      grouped: fc.boolean(),
      needs: fc.integer({ min: 1, max: 3 }),
      refresherMonths: fc.constantFrom(12, 24, 36),
      dueSoonDays: fc.constantFrom(0, 30, 90),
    });
    fc.assert(
      fc.property(
        fc.array(someone, { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 0, max: 120 }),
        fc.subarray([90, 60, 30, 14, 7, 1]),
        fc.option(fc.integer({ min: 0, max: 60 })),
        (staff, inductionDays, steps, escalateAfterDays) => {
          const today = '2027-03-15';
          const p = { ...policy, stepsBeforeExpiry: steps, escalateAfterDays };
          const people = staff.map((s, i) => {
            const startDate = s.started == null ? null : day(today, -s.started);
            const result = computeCompliance({
              groupNumber: s.grouped ? 1 : null,
              requirements: s.grouped ? requirements.slice(0, s.needs) : [],
              evidence: s.evidence.map((e, j) => ({ id: `e${j}`, lineage: e.lineage, achievedOn: addMonths(day(today, e.expiresIn), -s.refresherMonths) })),
              refresherMonths: s.refresherMonths,
              dueSoonDays: s.dueSoonDays,
              inductionDays,
              startDate,
              leavingDate: s.leftAgo == null ? null : day(today, -s.leftAgo),
              today,
              outsideFramework: false,
            });
            return { ...result, staffId: `s${i}`, startDate, inductionDays };
          });
          const wanted = peopleWhoCouldBeReminded(p, inductionDays, today);
          const everyone = remindersDue(people, p, at(today));
          expect(
            remindersDue(
              people.filter((x) => isWanted(wanted, x)),
              p,
              at(today),
            ),
          ).to.deep.equal(everyone);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
