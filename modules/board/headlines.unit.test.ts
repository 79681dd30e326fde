import { expect } from 'chai';
import { boardHeadlines } from './headlines';
import type { FigureRow } from './view';

const row = (over: Partial<FigureRow>): FigureRow => ({
  label: 'All groups',
  onSystem: 200,
  compliant: 150,
  dueSoon: 20,
  overdue: 30,
  inInduction: 0,
  notStarted: 0,
  compliantPercent: 75,
  dueSoonPercent: 10,
  overduePercent: 15,
  declared: 250,
  compliantOfDeclaredPercent: 60,
  declaredBelowSystem: false,
  ...over,
});

describe('board headline figures', () => {
  it('opens with the share compliant, the change in points since last quarter, and coverage of the declared headcount', () => {
    const [compliant, change, coverage] = boardHeadlines(row({}), { label: '2026 Q2', value: 71 });
    expect(compliant.value).to.equal('75%');
    expect(change.value).to.equal('+4 points');
    expect(change.detail).to.equal('From 71% compliant in 2026 Q2');
    expect(coverage.value).to.equal('80%');
    expect(boardHeadlines(row({}), { label: '2026 Q2', value: 76 })[1].value).to.equal('−1 point');
    expect(boardHeadlines(row({}), { label: '2026 Q2', value: 75 })[1].value).to.equal('No change');
  });

  it('says so when there is nothing to compare with, and withholds what is made of withheld figures', () => {
    expect(boardHeadlines(row({}))[1].detail).to.match(/No earlier quarter/);
    expect(boardHeadlines(row({}), { label: '2026 Q2', value: '[c]' })[1].value).to.equal('[c]');
    const small = boardHeadlines(row({ onSystem: '[c]', compliant: '[c]', compliantPercent: '[c]', declared: 10 }), { label: '2026 Q2', value: 50 });
    expect(small.map((h) => h.value)).to.deep.equal(['[c]', '[c]', '[c]']);
    expect(boardHeadlines(row({ declared: null }))[2].detail).to.match(/declared/);
  });
});
