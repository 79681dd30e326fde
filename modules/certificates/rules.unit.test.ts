import { expect } from 'chai';
import fc from 'fast-check';
import { addMonths, evidenceIsCurrent, expiryFor, groupsRequired, todayInLondon } from './rules';

describe('certificate rules', () => {
  it('expire after the course’s own validity when it has one, else the organisation’s refresher interval for the group', () => {
    const refresherMonths = { '1': 36, '2': 24 };
    expect(expiryFor('2026-01-31', { courseValidityMonths: 12, refresherMonths, groupNumber: 2 })).to.equal('2027-01-31');
    expect(expiryFor('2026-01-31', { courseValidityMonths: null, refresherMonths, groupNumber: 2 })).to.equal('2028-01-31');
    // A month-end date that does not exist later falls back to the month's last day.
    expect(expiryFor('2024-02-29', { refresherMonths, groupNumber: 1 })).to.equal('2027-02-28');
    // Nobody has decided an interval for someone without a group: no expiry date is printed.
    expect(expiryFor('2026-01-31', { refresherMonths, groupNumber: null })).to.equal(null);
  });

  it('count evidence as current up to and including the day it lapses', () => {
    expect(evidenceIsCurrent('2023-05-01', '2026-05-01', 36)).to.equal(true);
    expect(evidenceIsCurrent('2023-05-01', '2026-05-02', 36)).to.equal(false);
    expect(evidenceIsCurrent('2026-06-01', '2026-05-02', 36)).to.equal(false);
    fc.assert(fc.property(fc.integer({ min: 1, max: 120 }), (months) => evidenceIsCurrent('2025-03-15', addMonths('2025-03-15', months), months)));
  });

  it('require a group’s own competencies and those of every group it includes, however deep', () => {
    const groups = [
      { number: 1, includesGroups: [] },
      { number: 2, includesGroups: [1] },
      { number: 3, includesGroups: [2] },
      { number: 4, includesGroups: [] },
    ];
    expect(groupsRequired(groups, 3)).to.deep.equal([1, 2, 3]);
    expect(groupsRequired(groups, 4)).to.deep.equal([4]);
    expect(groupsRequired([{ number: 1, includesGroups: [2] }, { number: 2, includesGroups: [1] }], 1)).to.deep.equal([1, 2]);
  });

  it('take today in London, not UTC: just after midnight in summer is already the next day', () => {
    expect(todayInLondon(new Date('2026-07-01T23:30:00Z'))).to.equal('2026-07-02');
    expect(todayInLondon(new Date('2026-12-01T23:30:00Z'))).to.equal('2026-12-01');
  });
});
