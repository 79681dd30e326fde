import { expect } from 'chai';
import fc from 'fast-check';
import { commentary } from './commentary';
import { emptyCounts, type GroupCounts, type OrganisationFigures, type RawFigures } from './figures';
import { validateHeadcount } from './headcount';
import { lastEndedQuarter, parseAsOf, parseQuarter, quarterEndingOn } from './quarters';
import { checkThresholdEnv, type SumConstraint, shown, shownPercent, suppress, thresholdFrom } from './suppression';
import { buildBoardView } from './view';

/** Everything an attacker can learn: for each sum with exactly one unknown, that unknown. Repeats until nothing new. */
function recoverable(values: Map<string, number>, constraints: SumConstraint[], hidden: Set<string>): Set<string> {
  const known = new Set([...values.keys()].filter((k) => !hidden.has(k)));
  const found = new Set<string>();
  let progress = true;
  while (progress) {
    progress = false;
    for (const c of constraints) {
      const unknown = [c.total, ...c.parts].filter((k) => !known.has(k));
      if (unknown.length === 1) {
        known.add(unknown[0]);
        found.add(unknown[0]);
        progress = true;
      }
    }
  }
  return found;
}

/** A table: rows of cells with row totals, column totals and a grand total, as keys and sums. */
function table(cells: number[][]): { values: Map<string, number>; constraints: SumConstraint[] } {
  const values = new Map<string, number>();
  const constraints: SumConstraint[] = [];
  const cols = cells[0].length;
  cells.forEach((row, r) => {
    row.forEach((v, c) => {
      values.set(`r${r}c${c}`, v);
    });
    values.set(`r${r}total`, row.reduce((a, b) => a + b, 0));
    constraints.push({ total: `r${r}total`, parts: row.map((_v, c) => `r${r}c${c}`) });
  });
  for (let c = 0; c < cols; c++) {
    values.set(`total c${c}`, cells.reduce((a, row) => a + row[c], 0));
    constraints.push({ total: `total c${c}`, parts: cells.map((_row, r) => `r${r}c${c}`) });
  }
  values.set('grand', cells.flat().reduce((a, b) => a + b, 0));
  constraints.push({ total: 'grand', parts: cells.map((_row, r) => `r${r}total`) });
  constraints.push({ total: 'grand', parts: Array.from({ length: cols }, (_v, c) => `total c${c}`) });
  return { values, constraints };
}

describe('small-number suppression', () => {
  it('shows counts from 1 to 4 as "fewer than 5", and zeros and counts of 5 or more as they are', () => {
    const values = new Map([
      ['a', 0],
      ['b', 1],
      ['c', 4],
      ['d', 5],
      ['e', 120],
    ]);
    const result = suppress(values, [], 5);
    expect(['a', 'b', 'c', 'd', 'e'].map((k) => shown(values, result, k))).to.deep.equal([0, 'fewer than 5', 'fewer than 5', 5, 120]);
  });

  it('uses the threshold given: with 10, a count of 7 is "fewer than 10"', () => {
    const values = new Map([['a', 7]]);
    expect(shown(values, suppress(values, [], 10), 'a')).to.equal('fewer than 10');
  });

  it('hides a second figure in a row so the hidden one cannot be worked out from the total', () => {
    // Total 30 = 3 + 12 + 15: hiding only the 3 would leave 30 - 12 - 15 = 3.
    const values = new Map([
      ['total', 30],
      ['compliant', 3],
      ['overdue', 12],
      ['notStarted', 15],
    ]);
    const result = suppress(values, [{ total: 'total', parts: ['compliant', 'overdue', 'notStarted'] }]);
    expect(shown(values, result, 'compliant')).to.equal('fewer than 5');
    expect(shown(values, result, 'overdue')).to.equal('hidden');
    expect(shown(values, result, 'notStarted')).to.equal(15);
    expect(shown(values, result, 'total')).to.equal(30);
    expect([...recoverable(values, [{ total: 'total', parts: ['compliant', 'overdue', 'notStarted'] }], new Set(result.hidden.keys()))]).to.deep.equal([]);
  });

  it('hides the total when every other part is zero', () => {
    const values = new Map([
      ['total', 3],
      ['compliant', 3],
      ['overdue', 0],
    ]);
    const result = suppress(values, [{ total: 'total', parts: ['compliant', 'overdue'] }]);
    expect(shown(values, result, 'total')).to.equal('fewer than 5');
    expect(shown(values, result, 'overdue')).to.equal(0);
  });

  it('hides a part when only the total is small, so the total cannot be added up from its parts', () => {
    // Two organisations in a sector: 2 + 0 = 2; and a row 8 = 2 + 6 where the 2 is small.
    const values = new Map([
      ['sector', 9],
      ['orgA', 2],
      ['orgB', 7],
    ]);
    const c = [{ total: 'sector', parts: ['orgA', 'orgB'] }];
    const result = suppress(values, c);
    expect(result.hidden.has('orgA') && result.hidden.has('orgB')).to.equal(true);
    expect(recoverable(values, c, new Set(result.hidden.keys())).size).to.equal(0);
  });

  it('protects rows and columns together: a differencing attack on a two-way table recovers nothing', () => {
    // Rows are organisations, columns statuses; 2 in the middle would be found from its row or column.
    const { values, constraints } = table([
      [20, 2, 9],
      [15, 11, 30],
      [8, 6, 12],
    ]);
    const result = suppress(values, constraints);
    const hidden = new Set(result.hidden.keys());
    expect(hidden.has('r0c1')).to.equal(true);
    expect(recoverable(values, constraints, hidden).size).to.equal(0);
  });

  it('by property: no small count in any table can be recovered by subtracting shown figures', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.nat(25), { minLength: 2, maxLength: 5 }), { minLength: 2, maxLength: 5 }), fc.integer({ min: 2, max: 10 }), (rows, threshold) => {
        const cols = Math.min(...rows.map((r) => r.length));
        const { values, constraints } = table(rows.map((r) => r.slice(0, cols)));
        const result = suppress(values, constraints, threshold);
        const hidden = new Set(result.hidden.keys());
        for (const [k, v] of values) if (v >= 1 && v < threshold) expect(hidden.has(k), k).to.equal(true);
        expect([...recoverable(values, constraints, hidden)]).to.deep.equal([]);
      }),
      { numRuns: 300 },
    );
  });

  it('hides percentages built on a hidden count, and never divides by zero', () => {
    expect(shownPercent(12, 40)).to.equal(30);
    expect(shownPercent('fewer than 5', 40)).to.equal(null);
    expect(shownPercent(12, 'hidden')).to.equal(null);
    expect(shownPercent(0, 0)).to.equal(null);
  });

  it('takes the threshold from the partnership setting, then BOARD_SUPPRESSION_THRESHOLD, then 5', () => {
    expect(thresholdFrom(10, '7')).to.equal(10);
    expect(thresholdFrom(null, '7')).to.equal(7);
    expect(thresholdFrom(null, undefined)).to.equal(5);
    expect(() => checkThresholdEnv('one')).to.throw(/BOARD_SUPPRESSION_THRESHOLD/);
    expect(() => checkThresholdEnv('1')).to.throw(/from 2 to 50/);
    expect(() => checkThresholdEnv('8')).to.not.throw();
  });
});

function counts(c: Partial<GroupCounts>): GroupCounts {
  const out = { ...emptyCounts(), ...c };
  out.onSystem = out.compliant + out.dueSoon + out.overdue + out.inInduction + out.notStarted;
  return out;
}

function org(slug: string, sector: string, groups: Record<string, Partial<GroupCounts>>, declared: Record<string, number> = {}): OrganisationFigures {
  return { slug, name: slug, sector, inArea: true, groups: Object.fromEntries(Object.entries(groups).map(([g, c]) => [g, counts(c)])), declared, unmapped: 0 };
}

function raw(organisations: OrganisationFigures[]): RawFigures {
  return {
    asOf: '2026-09-30',
    periodStart: '2026-07-01',
    periodEnd: '2026-09-30',
    computedAt: '2026-10-01T02:00:00Z',
    groups: [1, 2],
    organisations,
    elearning: { completions: 23, byCourse: [{ title: 'Awareness', completions: 20 }, { title: 'Responder', completions: 3 }] },
    faceToFace: { sessionsRun: 4, placesFilled: 60, agenciesRepresented: 5 },
  };
}

describe('board figures', () => {
  it('suppresses across tables: an organisation alone in its sector is hidden in the sector table too', () => {
    const view = buildBoardView(
      raw([
        org('council', 'local-authority', { 1: { compliant: 40, overdue: 10 }, 2: { compliant: 30, overdue: 2 } }),
        org('police', 'police', { 1: { compliant: 50, overdue: 12 }, 2: { compliant: 20, overdue: 8 } }),
      ]),
      5,
    );
    const councilGroup2 = view.organisations[0].groups[1];
    const sectorGroup2 = view.sectors.find((s) => s.key === 'sector:local-authority')!.groups[1];
    expect(councilGroup2.overdue).to.equal('fewer than 5');
    expect(sectorGroup2.overdue).to.equal('fewer than 5');
    // With the group total shown, the compliant count is hidden too, or 32 - 30 would give the overdue count away.
    expect(councilGroup2.onSystem).to.equal(32);
    expect(councilGroup2.compliant).to.equal('hidden');
    expect(councilGroup2.compliantPercent).to.equal(null);
    // E-learning: 3 completions of one module are hidden, and so is the other so the total does not give it away.
    expect(view.elearning.byCourse.map((c) => c.completions)).to.deep.equal(['hidden', 'fewer than 5']);
  });

  it('shows coverage of those on the system and of the declared headcount side by side', () => {
    // Only the 10 trained staff are registered, but the organisation declared 40.
    const view = buildBoardView(raw([org('charity', 'voluntary', { 1: { compliant: 10 }, 2: { compliant: 20, overdue: 20 } }, { 1: 40, 2: 40 })]), 5);
    const g1 = view.organisations[0].groups[0];
    expect(g1.compliantPercent).to.equal(100);
    expect(g1.compliantOfDeclaredPercent).to.equal(25);
    expect(view.partnership.total.compliantPercent).to.equal(60);
    expect(view.partnership.total.compliantOfDeclaredPercent).to.equal(38);
  });

  it('counts an organisation with no declaration at its on-system headcount in the partnership’s declared figure', () => {
    const view = buildBoardView(raw([org('a', 'police', { 1: { compliant: 10 }, 2: { compliant: 10 } }, { 1: 20, 2: 20 }), org('b', 'health', { 1: { compliant: 10 }, 2: { compliant: 10 } })]), 5);
    expect(view.organisations[1].total.declared).to.equal(null);
    expect(view.partnership.total.declared).to.equal(60);
    expect(view.undeclared).to.deep.equal(['b']);
  });

  it('writes a commentary of the biggest changes from figures the board may see', () => {
    const before = buildBoardView(raw([org('council', 'local-authority', { 1: { compliant: 40, overdue: 60 }, 2: { compliant: 50, overdue: 50 } }), org('police', 'police', { 1: { compliant: 90, overdue: 10 }, 2: { compliant: 52, overdue: 48 } })]), 5);
    const after = buildBoardView(raw([org('council', 'local-authority', { 1: { compliant: 70, overdue: 30 }, 2: { compliant: 50, overdue: 50 } }), org('police', 'police', { 1: { compliant: 88, overdue: 12 }, 2: { compliant: 52, overdue: 48 } })]), 5);
    const text = commentary(before, after);
    expect(text[0]).to.equal('Whole partnership: the share compliant rose from 58% to 65% (up 7 percentage points).');
    // Biggest first: the council (and its sector) moved 15 points, Group 1 14.
    expect(text[1]).to.equal('council: the share compliant rose from 45% to 60% (up 15 percentage points).');
    expect(text.join(' ')).to.include('Group 1: the share compliant rose from 65% to 79% (up 14 percentage points).');
    expect(text.join(' ')).to.include('police: the share compliant fell from 71% to 70% (down 1 percentage point).');
    expect(commentary(null, after)[0]).to.match(/^This is the first quarter on record: 65%/);
  });
});

describe('board dates and forms', () => {
  it('reads quarters and asOf dates, with a clear message for a bad one', () => {
    expect(parseQuarter('2026-Q3')).to.include({ start: '2026-07-01', end: '2026-09-30', label: 'July to September 2026' });
    expect(parseQuarter('2026-Q5')).to.equal(null);
    expect(lastEndedQuarter('2026-10-01').id).to.equal('2026-Q3');
    expect(lastEndedQuarter('2026-01-15').id).to.equal('2025-Q4');
    expect(quarterEndingOn('2026-03-31')?.id).to.equal('2026-Q1');
    expect(quarterEndingOn('2026-03-30')).to.equal(null);
    expect(parseAsOf('2026-02-30', '2026-11-23')).to.deep.equal({ error: 'asOf 2026-02-30 is not a real date.' });
    expect(parseAsOf('31/03/2026', '2026-11-23')).to.have.property('error').that.match(/YYYY-MM-DD/);
    expect(parseAsOf('2027-01-01', '2026-11-23')).to.have.property('error').that.match(/in the future/);
    expect(parseAsOf('2026-03-31', '2026-11-23')).to.deep.equal({ date: '2026-03-31' });
  });

  it('checks a declared headcount: every box a whole number', () => {
    const { rows, errors } = validateHeadcount({ staff1: '1,200', volunteers1: '0', staff2: 'lots', volunteers2: '' }, [1, 2]);
    expect(rows).to.deep.equal([{ groupNumber: 1, staff: 1200, volunteers: 0 }]);
    expect(errors).to.deep.equal([
      { text: 'Staff in Group 2 must be a whole number, like 12', href: '#staff2' },
      { text: 'Enter how many volunteers are in Group 2 (0 if none)', href: '#volunteers2' },
    ]);
  });
});
