import { expect } from 'chai';
import { documentType, recordFormFrom, validateChange, validateRecord } from './rules';

describe('evidence rules', () => {
  it('accepts PDF, JPG, PNG and DOCX only when the contents match the name', () => {
    expect(documentType('cert.pdf', Buffer.from('%PDF-1.7'))).to.equal('application/pdf');
    expect(documentType('photo.JPG', Buffer.from([0xff, 0xd8, 0xff, 0xe0]))).to.equal('image/jpeg');
    expect(documentType('scan.png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d]))).to.equal('image/png');
    expect(documentType('record.docx', Buffer.from([0x50, 0x4b, 0x03, 0x04]))).to.match(/wordprocessingml/);
    expect(documentType('cert.pdf', Buffer.from('<script>'))).to.equal(null);
    expect(documentType('cert.exe', Buffer.from('%PDF-1.7'))).to.equal(null);
    expect(documentType('cert.doc', Buffer.from([0xd0, 0xcf, 0x11, 0xe0]))).to.equal(null);
  });

  it('a sign-off needs how it was seen, competencies, a past date, the evidence example and a note', () => {
    const known = { competencyIds: ['c1', 'c2'], examples: ['Reflective account of a case'] };
    const empty = validateRecord(recordFormFrom('sign-off', {}), known, '2026-11-23').map((e) => e.href);
    expect(empty).to.deep.equal(['#signOffKind', '#competencyIds', '#achievedOn-day', '#evidenceExample', '#note']);
    const good = recordFormFrom('sign-off', {
      signOffKind: 'supervision',
      competencyIds: ['c1', 'c2'],
      achievedOn: '2026-11-23',
      evidenceExample: 'Reflective account of a case',
      note: ' Seen ',
    });
    expect(validateRecord(good, known, '2026-11-23')).to.deep.equal([]);
    expect(validateRecord({ ...good, achievedOn: '2026-11-24' }, known, '2026-11-23').map((e) => e.text)).to.deep.equal([
      'The date it was achieved must be today or in the past',
    ]);
    // The GOV.UK date input: three boxes, what is missing named, what was typed kept.
    const typed = recordFormFrom('sign-off', { ...good, achievedOn: undefined, 'achievedOn-day': '14', 'achievedOn-month': '', 'achievedOn-year': '2026' });
    expect(typed.achievedOn).to.deep.equal({ day: '14', month: '', year: '2026' });
    expect(validateRecord(typed, known, '2026-11-23')).to.deep.equal([
      { text: 'The date it was achieved must include a month', href: '#achievedOn-month', parts: ['month'] },
    ]);
    expect(validateRecord({ ...good, competencyIds: ['elsewhere'] }, known, '2026-11-23').map((e) => e.href)).to.deep.equal(['#competencyIds']);
    // Prior learning has no sign-off kind or evidence example.
    const prior = recordFormFrom('prior-learning', { competencyIds: 'c1', achievedOn: '2025-02-28', note: 'Council e-learning 2025' });
    expect(validateRecord(prior, known, '2026-11-23')).to.deep.equal([]);
  });

  it('a change needs a reason; a correction needs a valid date', () => {
    expect(validateChange({ action: 'withdraw', reason: 'Wrong person', achievedOn: '' }, '2026-11-23')).to.deep.equal([]);
    expect(validateChange({ action: 'correct', reason: '', achievedOn: '2026-02-30' }, '2026-11-23').map((e) => e.text)).to.deep.equal([
      'The corrected date must be a real date',
      'Enter the reason for the change',
    ]);
    expect(validateChange({ action: '', reason: 'x', achievedOn: '' }, '2026-11-23').map((e) => e.href)).to.deep.equal(['#action']);
  });
});
