import { expect } from 'chai';
import { govukStylesheetWithoutTransport } from './govuk-assets';
import { helpers } from './views';
import { clockTime, plural, sentenceCase } from './wording';

describe('words and figures in the GOV.UK style', () => {
  it('writes London clock times as 12pm and 12:30pm, never 0pm, in summer and winter', () => {
    expect(clockTime(new Date('2026-11-23T12:00:00Z'))).to.equal('12pm');
    expect(clockTime(new Date('2026-11-23T12:30:00Z'))).to.equal('12:30pm');
    expect(clockTime(new Date('2026-11-23T00:00:00Z'))).to.equal('12am');
    expect(clockTime(new Date('2026-11-23T09:05:00Z'))).to.equal('9:05am');
    expect(clockTime(new Date('2026-07-01T13:00:00Z'))).to.equal('2pm'); // British Summer Time
    expect(helpers.datetime('2026-11-23T12:00:00Z')).to.equal('23 November 2026 at 12pm');
    expect(helpers.time('2026-11-23T14:45:00Z')).to.equal('2:45pm');
  });

  it('counts with the right form of the word', () => {
    expect(plural(1, 'minute')).to.equal('1 minute');
    expect(plural(0, 'minute')).to.equal('0 minutes');
    expect(plural(3, 'person', 'people')).to.equal('3 people');
    expect(`${plural(1, 'staff member')} and ${plural(1, 'volunteer')}`).to.equal('1 staff member and 1 volunteer');
    expect(helpers.plural(7, 'certificate', {})).to.equal('7 certificates');
  });

  it('shows stored status codes in sentence case', () => {
    expect(sentenceCase('published')).to.equal('Published');
    expect(sentenceCase('due-soon')).to.equal('Due soon');
  });

  it('serves GOV.UK Frontend’s stylesheet without the GOV.UK typeface, so no font file is asked for', () => {
    const css =
      '@font-face{font-family:GDS Transport;src:url(/assets/fonts/x.woff2)}.a{font-family:GDS Transport,arial,sans-serif}.b{font-family:GDS Transport}\n/*# sourceMappingURL=x.map */';
    expect(govukStylesheetWithoutTransport(css)).to.equal('.a{font-family:arial,sans-serif}.b{font-family:arial,sans-serif}\n');
  });
});
