import { expect } from 'chai';
import { confidenceChange, parseFollowUp, parseRatings } from './rules';

describe('course evaluation rules', () => {
  const competencies = [
    { lineage: 'g2-1', label: 'Recognise the signs' },
    { lineage: 'g2-2', label: 'Ask safely' },
  ];

  it('needs a 1 to 5 rating for every competency, naming the one left out', () => {
    const missing = parseRatings({ 'c-0': '4', 'c-1': '' }, competencies);
    expect(missing.ratings).to.equal(undefined);
    expect(missing.errors).to.deep.equal([{ text: 'Select how confident you are: Ask safely', href: '#c-1' }]);
    expect(missing.form['c-0']).to.equal('4');
    expect(parseRatings({ 'c-0': '6', 'c-1': '1' }, competencies).errors).to.have.length(1);
    expect([...parseRatings({ 'c-0': '2', 'c-1': '5' }, competencies).ratings!]).to.deep.equal([
      ['g2-1', 2],
      ['g2-2', 5],
    ]);
  });

  it('asks for a follow-up answer and keeps it to 5,000 characters', () => {
    expect(parseFollowUp({ answer: '   ' }).errors[0].href).to.equal('#answer');
    expect(parseFollowUp({ answer: 'x'.repeat(5001) }).errors[0].text).to.contain('5,000');
    expect(parseFollowUp({ answer: ' I ask routinely now. ' }).answer).to.equal('I ask routinely now.');
  });

  it('averages the change in confidence per competency, and hides competencies rated by fewer people than the threshold', () => {
    const pairs = [1, 2, 3, 4, 5].map((n) => ({ lineage: 'g2-1', staffId: `p${n}`, before: 2, after: n === 5 ? 5 : 4 }));
    pairs.push({ lineage: 'g2-2', staffId: 'p1', before: 1, after: 5 });
    const [shown, hidden] = confidenceChange(pairs, 5);
    expect(shown).to.deep.equal({ lineage: 'g2-1', people: 5, averageBefore: 2, averageAfter: 4.2, averageChange: 2.2 });
    expect(hidden).to.deep.equal({ lineage: 'g2-2', people: 1, averageBefore: null, averageAfter: null, averageChange: null });
  });
});
