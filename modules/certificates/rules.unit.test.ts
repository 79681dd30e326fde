import { expect } from 'chai';
import { expiryFor, todayInLondon } from './rules';

describe('certificate rules', () => {
  it('expire after the course’s own validity when it has one, else the organisation’s refresher interval for the group', () => {
    const refresherMonths = { '1': 36, '2': 24 };
    expect(expiryFor('2026-01-31', { courseValidityMonths: 12, refresherMonths, groupNumber: 2 })).to.equal('2027-01-31');
    expect(expiryFor('2026-01-31', { courseValidityMonths: null, refresherMonths, groupNumber: 2 })).to.equal('2028-01-31');
    // A month-end date that does not exist later falls back to the month's last day.
    expect(expiryFor('2024-02-29', { refresherMonths, groupNumber: 1 })).to.equal('2027-02-28');
    // No interval set (or no group yet): the partnership default of 36 months, as compliance counts it.
    expect(expiryFor('2026-01-31', { refresherMonths, groupNumber: null })).to.equal('2029-01-31');
  });

  it('take today in London, not UTC: just after midnight in summer is already the next day', () => {
    expect(todayInLondon(new Date('2026-07-01T23:30:00Z'))).to.equal('2026-07-02');
    expect(todayInLondon(new Date('2026-12-01T23:30:00Z'))).to.equal('2026-12-01');
  });
});
