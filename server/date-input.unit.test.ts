import { expect } from 'chai';
import fc from 'fast-check';
import { datePartsOf, parseClockTime, pastDay, readDateInput, readOptionalDateInput } from './date-input';

const boxes = (day: string, month: string, year: string) => ({ 'dob-day': day, 'dob-month': month, 'dob-year': year });

describe('GOV.UK date input and time box', () => {
  it('reads three boxes into a day, with the design system’s message for each mistake', () => {
    expect(readDateInput(boxes('4', '3', '2026'), 'dob', 'the date of birth').value).to.equal('2026-03-04');
    expect(readDateInput(boxes(' 04 ', '03', '2026'), 'dob', 'the date of birth').value).to.equal('2026-03-04');
    const error = (d: string, m: string, y: string) => readDateInput(boxes(d, m, y), 'dob', 'the date of birth').error;
    expect(error('', '', '')).to.deep.equal({ text: 'Enter the date of birth', href: '#dob-day', parts: ['day', 'month', 'year'] });
    expect(error('4', '', '2026')).to.deep.equal({ text: 'The date of birth must include a month', href: '#dob-month', parts: ['month'] });
    expect(error('', '', '2026')?.text).to.equal('The date of birth must include a day and month');
    expect(error('30', '2', '2026')).to.deep.equal({ text: 'The date of birth must be a real date', href: '#dob-day', parts: ['day'] });
    expect(error('3', '13', '2026')?.parts).to.deep.equal(['month']);
    expect(error('3', 'March', '2026')?.text).to.equal('The date of birth must be a real date');
    expect(error('3', '3', '26')).to.deep.equal({ text: 'Year must include 4 numbers', href: '#dob-year', parts: ['year'] });
    // What was typed is kept to show again.
    expect(readDateInput(boxes('3', 'March', '2026'), 'dob', 'the date of birth').entered).to.deep.equal({ day: '3', month: 'March', year: '2026' });
  });

  it('applies limits, takes a whole day from a script, and leaves an optional date alone when nothing is typed', () => {
    expect(readDateInput(boxes('24', '11', '2026'), 'dob', 'the date of the training', pastDay('2026-11-23')).error?.text).to.equal(
      'The date of the training must be today or in the past',
    );
    expect(readDateInput({ dob: '2026-03-04' }, 'dob', 'the date').value).to.equal('2026-03-04');
    expect(readOptionalDateInput({}, 'dob', 'the date')).to.deep.equal({ entered: { day: '', month: '', year: '' } });
    expect(readOptionalDateInput(boxes('1', '', ''), 'dob', 'the date').error?.text).to.equal('The date must include a month and year');
  });

  it('gives back every real day it is shown', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('1990-01-01T00:00:00Z'), max: new Date('2100-12-31T00:00:00Z'), noInvalidDate: true }), (d) => {
        const iso = d.toISOString().slice(0, 10);
        const p = datePartsOf(iso);
        expect(readDateInput(boxes(p.day, p.month, p.year), 'dob', 'the date').value).to.equal(iso);
      }),
    );
  });

  it('reads a time as people write it, on the 24-hour clock or with am and pm', () => {
    expect(['9:30am', '9.30 am', '09:30', '9:30'].map(parseClockTime)).to.deep.equal(['09:30', '09:30', '09:30', '09:30']);
    expect(['12pm', '12 noon', '12:30pm', '12am', '2pm', '14:00', '23:59'].map(parseClockTime)).to.deep.equal([
      '12:00',
      '12:00',
      '12:30',
      '00:00',
      '14:00',
      '14:00',
      '23:59',
    ]);
    for (const bad of ['9', '13pm', '24:00', '9:60', 'half nine', '']) expect(parseClockTime(bad), bad).to.equal(undefined);
  });
});
