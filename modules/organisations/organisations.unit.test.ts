import { expect } from 'chai';
import fc from 'fast-check';
import { licenceStatus } from './licences';
import { validateDetails, validateLicence, validateSettings } from './validation';

describe('licenceStatus', () => {
  const year2026 = { startsOn: '2026-01-01', endsOn: '2026-12-31', seats: 50 };

  it('is active on the first and the last day a licence covers', () => {
    expect(licenceStatus([year2026], '2026-01-01').status).to.equal('active');
    expect(licenceStatus([year2026], '2026-12-31').status).to.equal('active');
  });

  it('lapses the day after the licence ends, and a renewal makes it active again', () => {
    expect(licenceStatus([year2026], '2027-01-01')).to.deep.equal({ status: 'lapsed', licence: year2026 });
    const renewal = { startsOn: '2027-01-01', endsOn: '2027-12-31', seats: 60 };
    expect(licenceStatus([year2026, renewal], '2027-01-01')).to.deep.equal({ status: 'active', licence: renewal });
  });

  it('is none with no licence, or before the first one starts (reported as upcoming)', () => {
    expect(licenceStatus([], '2026-06-01')).to.deep.equal({ status: 'none' });
    expect(licenceStatus([year2026], '2025-12-31')).to.deep.equal({ status: 'none', upcoming: year2026 });
  });

  it('is active exactly when some licence covers the day', () => {
    const day = fc.date({ min: new Date('2024-01-01'), max: new Date('2030-12-31'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
    const licence = fc.tuple(day, day, fc.nat(100)).map(([a, b, seats]) => (a <= b ? { startsOn: a, endsOn: b, seats } : { startsOn: b, endsOn: a, seats }));
    fc.assert(
      fc.property(fc.array(licence, { maxLength: 4 }), day, (licences, today) => {
        const covered = licences.some((l) => l.startsOn <= today && today <= l.endsOn);
        expect(licenceStatus(licences, today).status === 'active').to.equal(covered);
      }),
    );
  });
});

describe('organisation form validation', () => {
  it('accepts a complete organisation and tidies its email domains', () => {
    const { values, errors } = validateDetails({
      name: ' Vale  Homes ',
      slug: 'Vale-Homes',
      sector: 'housing',
      inArea: 'no',
      emailDomains: '@valehomes.example, valehomes.org.uk valehomes.example',
    });
    expect(errors).to.deep.equal([]);
    expect(values).to.deep.equal({
      name: 'Vale Homes',
      slug: 'vale-homes',
      sector: 'housing',
      inArea: false,
      emailDomains: ['valehomes.example', 'valehomes.org.uk'],
    });
  });

  it('names every missing or wrong field, linked to the field', () => {
    const { errors } = validateDetails({ name: '', slug: 'vale homes', sector: 'council', emailDomains: 'not a domain!' });
    expect(errors.map((e) => e.href)).to.deep.equal(['#name', '#slug', '#sector', '#inArea', '#emailDomains']);
    // "new" would be hidden behind the add-an-organisation page
    expect(validateDetails({ name: 'New', slug: 'new', sector: 'other', inArea: 'yes' }).errors.map((e) => e.href)).to.deep.equal(['#slug']);
  });

  it('keeps refresher intervals, induction and due-soon windows within sensible bounds', () => {
    const groups = [1, 2, 3, 4].map((number) => ({ number, name: `Staff Group ${number}` }));
    const good = {
      refresher1: '36',
      refresher2: '24',
      refresher3: '12',
      refresher4: '36',
      inductionDays: '90',
      dueSoonDays: '60',
      usesRcnIntercollegiate: 'no',
    };
    expect(validateSettings(good, groups).errors).to.deep.equal([]);
    expect(validateSettings(good, groups).values.refresherMonths).to.deep.equal({ 1: 36, 2: 24, 3: 12, 4: 36 });
    const { errors } = validateSettings(
      { ...good, refresher2: '0', refresher3: 'twelve', inductionDays: '731', dueSoonDays: '', usesRcnIntercollegiate: '' },
      groups,
    );
    expect(errors.map((e) => e.text)).to.deep.equal([
      'The refresher interval for Staff Group 2 in months must be between 1 and 120',
      'The refresher interval for Staff Group 3 in months must be a whole number',
      'The induction period in days must be between 0 and 730',
      'Enter how many days before it is due training shows as due soon',
      'Select whether the organisation’s health staff work to the RCN intercollegiate documents',
    ]);
  });

  it('rejects a licence that ends before it starts, or on a date that does not exist', () => {
    const base = {
      'startsOn-day': '1',
      'startsOn-month': '4',
      'startsOn-year': '2027',
      'endsOn-day': '31',
      'endsOn-month': '3',
      'endsOn-year': '2028',
      seats: '40',
    };
    expect(validateLicence(base)).to.deep.include({ values: { startsOn: '2027-04-01', endsOn: '2028-03-31', seats: 40 }, errors: [] });
    expect(validateLicence({ ...base, 'endsOn-year': '2026' }).errors.map((e) => e.text)).to.deep.equal([
      'The end date must be the same as or after the start date',
    ]);
    expect(validateLicence({ ...base, 'startsOn-day': '31', 'startsOn-month': '2' }).errors.map((e) => e.href)).to.deep.equal(['#startsOn-day']);
  });
});
