import { expect } from 'chai';
import { DEFAULT_RETENTION_MONTHS, describeMonths, leftOnOrBefore, parseRetentionMonths, retentionInForce } from './rules';

describe('data protection rules', () => {
  it('reads a retention period in whole months and refuses anything else', () => {
    expect(parseRetentionMonths('72')).to.equal(72);
    expect(parseRetentionMonths(' 18 ')).to.equal(18);
    for (const bad of ['0', '-3', '1.5', 'six years', '', '1201', undefined]) expect(parseRetentionMonths(bad), String(bad)).to.equal(null);
  });

  it('uses the partnership’s setting first, then the environment, then six years', () => {
    expect(retentionInForce(24, 36)).to.equal(24);
    expect(retentionInForce(null, 36)).to.equal(36);
    expect(retentionInForce(null, undefined)).to.equal(DEFAULT_RETENTION_MONTHS);
    // A bad LEAVER_RETENTION_MONTHS stops the server at start: server/config.unit.test.ts.
  });

  it('counts the period back from today, month ends included', () => {
    expect(leftOnOrBefore('2026-11-23', 72)).to.equal('2020-11-23');
    expect(leftOnOrBefore('2026-03-31', 1)).to.equal('2026-02-28');
  });

  it('says the period in words', () => {
    expect(describeMonths(72)).to.equal('6 years');
    expect(describeMonths(12)).to.equal('1 year');
    expect(describeMonths(18)).to.equal('18 months');
  });
});
