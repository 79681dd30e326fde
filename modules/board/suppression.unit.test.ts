import { expect } from 'chai';
import fc from 'fast-check';
import { commentary } from './commentary';
import { emptyCounts, type GroupCounts, type OrganisationFigures, type RawFigures } from './figures';
import { validateHeadcount } from './headcount';
import { lastEndedQuarter, parseAsOf, parseQuarter, quarterEndingOn } from './quarters';
import { protect, protectedTotal, roundedCount, shownPercent, thresholdFrom, WITHHELD } from './suppression';
import { buildBoardView } from './view';

describe('disclosure control: small counts withheld, every other count rounded to 5', () => {
  it('withholds counts from 1 to 4 as [c], shows zeros, and rounds every other count to the nearest 5', () => {
    expect([0, 1, 4, 5, 7, 8, 12, 13, 120].map((n) => protect(n, 5).shown)).to.deep.equal([0, WITHHELD, WITHHELD, 5, 5, 10, 10, 15, 120]);
    expect(protect(7, 10).shown).to.equal(WITHHELD);
  });

  it('adds totals up from the rounded counts, a withheld count included, and withholds a total made only of small counts', () => {
    const cells = [protect(2, 5), protect(3, 5), protect(12, 5)];
    expect(protectedTotal(cells, 5)).to.deep.equal({ shown: 15, rounded: 15 });
    expect(protectedTotal([protect(1, 5), protect(2, 5)], 5).shown).to.equal(WITHHELD);
    expect(protectedTotal([protect(0, 5)], 5).shown).to.equal(0);
  });

  it('never leaves a withheld count alone in its rounding band, whatever the threshold', () => {
    for (let t = 3; t <= 50; t++) {
      const bands = new Map<number, number[]>();
      for (let n = 1; n < t; n++) bands.set(roundedCount(n, t), [...(bands.get(roundedCount(n, t)) ?? []), n]);
      for (const [rounded, values] of bands) expect(values.length, `threshold ${t}, band ${rounded}: ${values}`).to.be.greaterThan(1);
    }
  });

  it('by property: changing any withheld count within its band changes no figure the board sees, so nothing can work it out', () => {
    const cell = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 40 }));
    const orgArb = fc.record({
      sector: fc.constantFrom('police', 'health', 'voluntary'),
      g1: fc.array(cell, { minLength: 5, maxLength: 5 }),
      g2: fc.array(cell, { minLength: 5, maxLength: 5 }),
      declared: fc.option(fc.tuple(cell, cell)),
    });
    fc.assert(
      fc.property(fc.array(orgArb, { minLength: 1, maxLength: 6 }), fc.nat(), fc.constantFrom(3, 4, 5, 9, 10), (orgs, pickRaw, t) => {
        const status = ['compliant', 'dueSoon', 'overdue', 'inInduction', 'notStarted'] as const;
        const build = (o: (typeof orgs)[number]) => Object.fromEntries(status.map((s, i) => [s, o.g1[i]])) as Partial<GroupCounts>;
        const make = (list: typeof orgs) =>
          raw(
            list.map((o, i) =>
              org(
                `o${i}`,
                o.sector,
                { 1: build(o), 2: Object.fromEntries(status.map((s, j) => [s, o.g2[j]])) },
                o.declared ? { 1: o.declared[0], 2: o.declared[1] } : {},
              ),
            ),
          );
        const view = buildBoardView(make(orgs), t);
        // Every withheld finest count, moved to each other value of its band.
        const small: [number, 'g1' | 'g2', number][] = [];
        orgs.forEach((o, i) => {
          for (const g of ['g1', 'g2'] as const) {
            o[g].forEach((n, j) => {
              if (n > 0 && n < t) small.push([i, g, j]);
            });
          }
        });
        if (!small.length) return;
        const [i, g, j] = small[pickRaw % small.length];
        const n = orgs[i][g][j];
        for (let other = 1; other < t; other++) {
          if (other === n || roundedCount(other, t) !== roundedCount(n, t)) continue;
          const changed = orgs.map((o, k) => (k === i ? { ...o, [g]: o[g].map((v, m) => (m === j ? other : v)) } : o));
          expect(buildBoardView(make(changed), t)).to.deep.equal(view);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('withholds percentages built on a withheld count, and never divides by zero', () => {
    expect(shownPercent(12, 40)).to.equal(30);
    expect(shownPercent(WITHHELD, 40)).to.equal(WITHHELD);
    expect(shownPercent(10, WITHHELD)).to.equal(WITHHELD);
    expect(shownPercent(0, 0)).to.equal(null);
  });

  it('takes the threshold from the partnership setting, then BOARD_SUPPRESSION_THRESHOLD, then 5, and never below 3', () => {
    expect(thresholdFrom(10, 7)).to.equal(10);
    expect(thresholdFrom(null, 7)).to.equal(7);
    expect(thresholdFrom(null, undefined)).to.equal(5);
    expect(thresholdFrom(2, undefined)).to.equal(5);
    // A bad BOARD_SUPPRESSION_THRESHOLD stops the server at start: server/config.unit.test.ts.
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
    elearning: {
      completions: 23,
      byCourse: [
        { title: 'Awareness', completions: 20 },
        { title: 'Responder', completions: 3 },
      ],
    },
    faceToFace: { sessionsRun: 4, placesFilled: 60, agenciesRepresented: 5 },
  };
}

describe('board figures', () => {
  it('withholds across tables: an organisation alone in its sector is withheld in the sector table too, and totals add up from rounded counts', () => {
    const view = buildBoardView(
      raw([
        org('council', 'local-authority', { 1: { compliant: 40, overdue: 10 }, 2: { compliant: 30, overdue: 2 } }),
        org('police', 'police', { 1: { compliant: 50, overdue: 12 }, 2: { compliant: 20, overdue: 8 } }),
      ]),
      5,
    );
    const councilGroup2 = view.organisations[0].groups[1];
    const sectorGroup2 = view.sectors.find((s) => s.key === 'sector:local-authority')!.groups[1];
    expect(councilGroup2.overdue).to.equal(WITHHELD);
    expect(sectorGroup2.overdue).to.equal(WITHHELD);
    // 2 rounds to 0 in the total: 32 - 30 gives nothing away, because the total is 30 + 0.
    expect(councilGroup2.onSystem).to.equal(30);
    expect(councilGroup2.compliant).to.equal(30);
    expect(view.partnership.groups[1].overdue).to.equal(10);
    // E-learning: 3 completions of one module are withheld; the total is 20 + 5.
    expect(view.elearning.byCourse.map((c) => c.completions)).to.deep.equal([20, WITHHELD]);
    expect(view.elearning.completions).to.equal(25);
  });

  it('withholds a declared headcount of 1 to 4, and never lets a sector’s declared total give away a count on the system', () => {
    // The council declared 0 for Group 2 but has 3 there: the sector adds the published (rounded) 5, not 3.
    const view = buildBoardView(raw([org('council', 'local-authority', { 1: { compliant: 40 }, 2: { compliant: 3 } }, { 1: 2, 2: 0 })]), 5);
    expect(view.organisations[0].groups[0].declared).to.equal(WITHHELD);
    expect(view.sectors[0].groups[1].declared).to.equal(5);
    expect(view.sectors[0].groups[1].onSystem).to.equal(5);
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
    const view = buildBoardView(
      raw([
        org('a', 'police', { 1: { compliant: 10 }, 2: { compliant: 10 } }, { 1: 20, 2: 20 }),
        org('b', 'health', { 1: { compliant: 10 }, 2: { compliant: 10 } }),
      ]),
      5,
    );
    expect(view.organisations[1].total.declared).to.equal(null);
    expect(view.partnership.total.declared).to.equal(60);
    expect(view.undeclared).to.deep.equal(['b']);
  });

  it('writes a commentary of the biggest changes from figures the board may see', () => {
    const before = buildBoardView(
      raw([
        org('council', 'local-authority', { 1: { compliant: 40, overdue: 60 }, 2: { compliant: 50, overdue: 50 } }),
        org('police', 'police', { 1: { compliant: 90, overdue: 10 }, 2: { compliant: 52, overdue: 48 } }),
      ]),
      5,
    );
    const after = buildBoardView(
      raw([
        org('council', 'local-authority', { 1: { compliant: 70, overdue: 30 }, 2: { compliant: 50, overdue: 50 } }),
        org('police', 'police', { 1: { compliant: 85, overdue: 15 }, 2: { compliant: 52, overdue: 48 } }),
      ]),
      5,
    );
    const text = commentary(before, after);
    expect(text[0]).to.equal('Whole partnership: the share compliant rose from 57% to 64% (up 7 percentage points).');
    // Biggest first: the council (and its sector) moved 15 points, Group 1 13.
    expect(text[1]).to.equal('council: the share compliant rose from 45% to 60% (up 15 percentage points).');
    expect(text.join(' ')).to.include('Group 1: the share compliant rose from 65% to 78% (up 13 percentage points).');
    // From the rounded counts (52 and 48 are published as 50 and 50), as the board sees them.
    expect(text.join(' ')).to.include('police: the share compliant fell from 70% to 68% (down 2 percentage points).');
    expect(commentary(null, after)[0]).to.match(/^This is the first quarter on record: 64%/);
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
    expect(parseAsOf('31/03/2026', '2026-11-23'))
      .to.have.property('error')
      .that.match(/YYYY-MM-DD/);
    expect(parseAsOf('2027-01-01', '2026-11-23'))
      .to.have.property('error')
      .that.match(/in the future/);
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
