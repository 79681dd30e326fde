import { expect } from 'chai';
import { courseSlug, submissionForm, validateCompletion, validateReview, validateSubmission } from './rules';
import { TRAINING_STANDARDS } from './standards';

describe('in-house course recognition rules', () => {
  const competencies = [
    { lineage: 'a', label: 'Group 2, competency 1' },
    { lineage: 'b', label: 'Group 2, competency 2' },
  ];

  it('needs a justification for each competency ticked, and names the competency missing one', () => {
    const body = {
      organisationId: 'org',
      title: 'Course',
      learningOutcomes: 'Ask safely',
      delivery: 'face-to-face',
      lineage: ['a', 'b'],
      'why-0': 'Role play',
    };
    const result = validateSubmission(submissionForm(body, ['a', 'b']), { organisationIds: ['org'], competencies });
    expect(result.errors).to.deep.equal([{ text: 'Explain how the course meets Group 2, competency 2', href: '#why-1' }]);
    const ok = validateSubmission(submissionForm({ ...body, 'why-1': 'Referral pathway' }, ['a', 'b']), { organisationIds: ['org'], competencies });
    expect(ok.value?.mappings).to.deep.equal([
      { lineage: 'a', justification: 'Role play' },
      { lineage: 'b', justification: 'Referral pathway' },
    ]);
    expect(
      validateSubmission(submissionForm({ ...body, organisationId: 'other', lineage: [] }, ['a', 'b']), { organisationIds: ['org'], competencies }).errors.map(
        (e) => e.href,
      ),
    ).to.deep.equal(['#organisationId', '#competencies']);
  });

  it('approves only against every training standard, and a rejection needs comments', () => {
    const all = TRAINING_STANDARDS.map((s) => s.id);
    expect(validateReview({ decision: 'approved', standard: all.slice(1) }, all).errors[0].href).to.equal('#standards');
    expect(validateReview({ decision: 'rejected', standard: all }, all).errors[0].href).to.equal('#comments');
    expect(validateReview({ decision: 'approved', standard: all }, all).value?.standardsMet).to.have.length(all.length);
    expect(validateReview({ decision: 'rejected', comments: 'Add the referral pathway' }, all).value?.decision).to.equal('rejected');
  });

  it('records completions for the organisation’s own staff, on a real past date within five years', () => {
    expect(validateCompletion({ staffId: ['s1', 'elsewhere'], completedOn: '2026-01-05' }, ['s1', 's2'], '2026-11-23').value).to.deep.equal({
      staffIds: ['s1'],
      completedOn: '2026-01-05',
    });
    expect(validateCompletion({ staffId: 's1', completedOn: '2026-11-24' }, ['s1'], '2026-11-23').errors[0].text).to.equal(
      'The date they completed the course must be today or in the past',
    );
    expect(validateCompletion({ staffId: 's1', completedOn: '2020-01-01' }, ['s1'], '2026-11-23').errors[0].text).to.contain('five years');
    expect(validateCompletion({ staffId: 's1', completedOn: '2026-02-30' }, ['s1'], '2026-11-23').errors[0]).to.include({
      text: 'The date they completed the course must be a real date',
      href: '#completedOn-day',
    });
    expect(validateCompletion({ completedOn: '2026-01-05' }, ['s1'], '2026-11-23').errors[0].href).to.equal('#staffId');
  });

  it('names the course page after the organisation and title', () => {
    expect(courseSlug('vale-county-council', 'Housing officers: responding to disclosures!')).to.equal(
      'in-house-vale-county-council-housing-officers-responding-to-disclosures',
    );
    expect(courseSlug('vale-police', '¿¿')).to.equal('in-house-vale-police-course');
  });
});
