import { expect } from 'chai';
import { formFrom, validateSession } from './rules';

describe('training session form', () => {
  const known = { courseIds: ['course'], trainerIds: ['trainer'], organisationIds: ['org-a', 'org-b'] };
  const now = new Date('2026-11-23T12:00:00Z');
  const base = { courseId: 'course', date: '2027-03-29', startTime: '09:30', endTime: '16:00', venue: 'Civic Centre', capacity: '20' };

  it('reads times as UK wall-clock time, either side of the clocks changing', () => {
    const summer = validateSession(formFrom(base), known, now).value!;
    expect(summer.startsAt.toISOString()).to.equal('2027-03-29T08:30:00.000Z');
    const winter = validateSession(formFrom({ ...base, date: '2027-03-26' }), known, now).value!;
    expect(winter.startsAt.toISOString()).to.equal('2027-03-26T09:30:00.000Z');
    expect(summer.organisationIds).to.deep.equal([]); // nobody ticked: open to every organisation
    expect(summer.multiAgency).to.equal(true);
  });

  it('explains each mistake against its field', () => {
    const { errors, value } = validateSession(
      formFrom({ courseId: 'other', date: '2027-03-29', startTime: '09:30', endTime: '09:00', capacity: '0', onlineUrl: 'http://insecure', trainerUserId: 'nobody', organisationIds: 'org-z' }),
      known,
      now,
    );
    expect(value).to.equal(undefined);
    expect(errors.map((e) => e.href)).to.deep.equal(['#courseId', '#endTime', '#onlineUrl', '#capacity', '#trainerUserId', '#organisationIds']);
    expect(validateSession(formFrom({ ...base, date: '2026-11-01' }), known, now).errors.map((e) => e.text)).to.deep.equal(['The session must start in the future']);
    expect(validateSession(formFrom({ ...base, venue: '' }), known, now).errors.map((e) => e.href)).to.deep.equal(['#venue']);
    expect(validateSession(formFrom({ ...base, venue: '', onlineUrl: 'https://meet.example/x', organisationIds: ['org-a'] }), known, now).value?.organisationIds).to.deep.equal(['org-a']);
  });
});
