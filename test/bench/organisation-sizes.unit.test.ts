import { expect } from 'chai';
import { NATIONAL, organisationSizes } from '../../scripts/bench/generate';

/** The generator's fall-off of organisation sizes: 1 / rank^0.8, as in scripts/bench/generate.ts. */
function shares(count: number): number[] {
  const weights = Array.from({ length: count }, (_, i) => 1 / (i + 1) ** 0.8);
  const total = weights.reduce((a, b) => a + b, 0);
  return weights.map((w) => w / total);
}

describe('bench data set: staff per organisation', () => {
  it('keeps the partnership-scale data set exactly as before (same largest organisation for the same seed)', () => {
    const sizes = organisationSizes(shares(100), 200_000);
    expect(sizes.reduce((a, b) => a + b, 0)).to.equal(200_000);
    expect(sizes[0]).to.equal(24_586);
  });

  it('makes the national data set of 1,000,000 staff with no organisation over 25,000 and none under ten', () => {
    const sizes = organisationSizes(shares(NATIONAL.organisations), NATIONAL.staff, NATIONAL.largest);
    expect(sizes).to.have.length(500);
    expect(sizes.reduce((a, b) => a + b, 0)).to.equal(1_000_000);
    expect(Math.max(...sizes)).to.equal(25_000);
    expect(Math.min(...sizes)).to.be.at.least(10);
    // still falling off: each organisation no larger than the one before it
    for (let i = 1; i < sizes.length; i++) expect(sizes[i]).to.be.at.most(sizes[i - 1]);
  });

  it('spreads the rounding so the total is exact for awkward numbers', () => {
    for (const [count, staff, largest] of [
      [7, 1_003, 200],
      [50, 12_345, 700],
      [3, 30, 10],
    ]) {
      const sizes = organisationSizes(shares(count), staff, largest);
      expect(sizes.reduce((a, b) => a + b, 0)).to.equal(staff);
      expect(Math.max(...sizes)).to.be.at.most(largest);
    }
  });
});
