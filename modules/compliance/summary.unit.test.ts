import { expect } from 'chai';
import type { CompetencyResult } from './engine';
import { courseAction, groupSteps } from './next-steps';
import { statusSummary } from './summary';

const competency = (number: number, groupNumber: number, met: boolean, expires: string | null): CompetencyResult => ({
  lineage: `g${groupNumber}c${number}`,
  competencyId: `id-${groupNumber}-${number}`,
  number,
  groupNumber,
  text: `Competency ${groupNumber}.${number}`,
  met,
  evidenceIds: expires ? ['e'] : [],
  expires,
  status: met ? 'met' : expires ? 'expired' : 'missing',
});

describe('what a status means in dates, and how much is met', () => {
  it('after passing one course of two, says overdue since the day they became overdue, not the new evidence’s expiry, and 2 of 3 met', () => {
    const summary = statusSummary(
      {
        status: 'overdue',
        nextExpiry: '2029-12-02',
        startDate: '2025-10-28',
        competencies: [competency(1, 1, true, '2029-12-02'), competency(2, 1, true, '2029-12-02'), competency(1, 2, false, null)],
      },
      90,
    );
    expect(summary).to.include({ tag: 'govuk-tag--red', date: '2026-01-26', dateMeaning: 'overdue-since', met: 2, total: 3 });
    expect(summary.outstanding).to.deep.equal([{ competencyId: 'id-2-1', groupNumber: 2, number: 1, text: 'Competency 2.1', expired: null }]);
  });

  it('dates overdue from the evidence that lapsed after the induction period, and from the induction end when it lapsed during it', () => {
    const lapsedAfter = statusSummary(
      { status: 'overdue', nextExpiry: null, startDate: '2026-06-21', competencies: [competency(1, 1, false, '2026-09-23')] },
      90,
    );
    expect(lapsedAfter.date).to.equal('2026-09-23');
    const lapsedDuring = statusSummary(
      { status: 'overdue', nextExpiry: null, startDate: '2026-06-21', competencies: [competency(1, 1, false, '2026-07-01')] },
      90,
    );
    expect(lapsedDuring.date).to.equal('2026-09-19');
    const noStart = statusSummary(
      { status: 'overdue', nextExpiry: null, startDate: null, competencies: [competency(1, 1, false, '2026-07-01'), competency(2, 1, false, '2026-03-01')] },
      90,
    );
    expect(noStart.date).to.equal('2026-03-01');
  });

  it('colours each status by its meaning and gives due soon and compliant the day that matters', () => {
    const met = [competency(1, 1, true, '2027-01-10')];
    expect(statusSummary({ status: 'due-soon', nextExpiry: '2027-01-10', competencies: met }, 90)).to.include({
      tag: 'govuk-tag--yellow',
      date: '2027-01-10',
      dateMeaning: 'due-by',
      met: 1,
      total: 1,
    });
    expect(statusSummary({ status: 'compliant', nextExpiry: '2029-01-10', competencies: met }, 90)).to.include({
      tag: 'govuk-tag--green',
      date: '2029-01-10',
      dateMeaning: 'compliant-until',
    });
  });
});

describe('next steps grouped by the course that meets them', () => {
  const awareness = { id: 'c1', slug: 'awareness', title: 'Awareness', delivery: 'elearning' };
  const responding = { id: 'c2', slug: 'responding', title: 'Responding', delivery: 'face-to-face' };
  const session = (id: string, booked: string | null) => ({
    id,
    courseId: 'c2',
    startsAt: new Date('2027-01-10T09:30:00Z'),
    venue: 'Civic Centre',
    online: false,
    booked,
  });

  it('shows a course covering several competencies once, lists them, and leaves uncovered ones to sign-off', () => {
    const needed = [competency(1, 1, false, null), competency(2, 1, false, null), competency(1, 2, false, null), competency(9, 2, false, null)];
    const courses = [
      { ...awareness, lineage: 'g1c1' },
      { ...awareness, lineage: 'g1c2' },
      { ...responding, lineage: 'g2c1' },
    ];
    const steps = groupSteps(needed, courses, (co) => courseAction(co, undefined, []));
    expect(steps.map((s) => [s.courses.map((c) => c.title), s.meets])).to.deep.equal([
      [['Awareness'], 'Group 1 competencies 1 and 2'],
      [['Responding'], 'Group 2 competency 1'],
      [[], 'Group 2 competency 9'],
    ]);
  });

  it('links an e-learning course straight to the player, to start, resume or take again', () => {
    const course = { ...awareness, lineage: 'g1c1' };
    expect(courseAction(course, undefined, []).action).to.deep.equal({ text: 'Start Awareness', href: '/courses/awareness/play' });
    expect(courseAction(course, 'incomplete', []).action?.text).to.equal('Resume Awareness');
    expect(courseAction(course, 'failed', []).action?.text).to.equal('Take Awareness again');
  });

  it('shows a face-to-face course’s booked session, else the earliest to book, else says none is scheduled', () => {
    const course = { ...responding, lineage: 'g2c1' };
    expect(courseAction(course, undefined, [session('s1', null), session('s2', 'booked')]).action).to.deep.equal({
      text: 'You are booked on Responding',
      href: '/training-sessions/s2',
    });
    expect(courseAction(course, undefined, [session('s1', null)]).action).to.deep.equal({ text: 'Book Responding', href: '/training-sessions/s1' });
    expect(courseAction(course, undefined, [])).to.include({ action: null, note: 'Responding: no sessions scheduled yet' });
  });
});
