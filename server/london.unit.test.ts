import { expect } from 'chai';
import { londonToday } from './london';

describe('the London calendar day', () => {
  it('is the UK day, not the UTC one, either side of midnight in summer and winter', () => {
    expect(londonToday(new Date('2026-07-14T23:30:00Z')), 'half past midnight on 15 July in British Summer Time').to.equal('2026-07-15');
    expect(londonToday(new Date('2026-07-14T22:59:00Z'))).to.equal('2026-07-14');
    expect(londonToday(new Date('2026-12-31T23:59:00Z')), 'GMT in winter').to.equal('2026-12-31');
    expect(londonToday(new Date('2027-01-01T00:00:00Z'))).to.equal('2027-01-01');
  });

  it('changes day at the clock change itself', () => {
    expect(londonToday(new Date('2027-03-28T00:30:00Z')), 'the night the clocks go forward').to.equal('2027-03-28');
    expect(londonToday(new Date('2026-10-24T23:30:00Z')), 'the night before the clocks go back').to.equal('2026-10-25');
  });
});
