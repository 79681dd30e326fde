import { expect } from 'chai';
import fc from 'fast-check';
import { addDays, addMonths, type ComplianceInput, computeCompliance, resultHoldsUntil, type FrameworkData, requirementsFor } from './engine';
import { refresherMonthsFor } from '../organisations/api';

const framework: FrameworkData = {
  groups: [
    { number: 1, includesGroups: [] },
    { number: 2, includesGroups: [1] },
    { number: 3, includesGroups: [2] },
    { number: 4, includesGroups: [1, 2, 3] },
  ],
  competencies: [1, 2, 3, 4].flatMap((g) =>
    [1, 2, 3].map((n) => ({ id: `c${g}.${n}`, lineage: `ldf-${g}.${n}`, groupNumber: g, number: n, text: `Competency ${g}.${n}` })),
  ),
};

const day = fc
  .date({ min: new Date('2015-01-01T00:00:00Z'), max: new Date('2035-12-31T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 10));
const group = fc.integer({ min: 1, max: 4 });

function base(overrides: Partial<ComplianceInput>): ComplianceInput {
  return {
    groupNumber: 2,
    requirements: requirementsFor(framework, overrides.groupNumber === undefined ? 2 : overrides.groupNumber),
    evidence: [],
    refresherMonths: 36,
    dueSoonDays: 60,
    inductionDays: 90,
    startDate: '2020-01-01',
    leavingDate: null,
    today: '2026-06-15',
    ...overrides,
  };
}

/** Evidence for every requirement of a group, all achieved on one day. */
function everything(groupNumber: number, achievedOn: string) {
  return requirementsFor(framework, groupNumber).map((r, i) => ({ id: `e${i}`, lineage: r.lineage, achievedOn }));
}

describe('compliance engine', () => {
  it('adds calendar months and clamps to the month end', () => {
    expect(addMonths('2024-01-31', 1)).to.equal('2024-02-29');
    expect(addMonths('2023-01-31', 1)).to.equal('2023-02-28');
    expect(addMonths('2023-02-28', 36)).to.equal('2026-02-28');
    expect(addMonths('2024-02-29', 12)).to.equal('2025-02-28');
    expect(addMonths('2025-11-30', 3)).to.equal('2026-02-28');
    expect(addDays('2024-02-28', 2)).to.equal('2024-03-01');
  });

  it('requirements are cumulative through included groups, transitively', () => {
    expect(requirementsFor(framework, 1).map((r) => r.lineage)).to.deep.equal(['ldf-1.1', 'ldf-1.2', 'ldf-1.3']);
    // Group 3 includes only Group 2 directly, which includes Group 1.
    expect(new Set(requirementsFor(framework, 3).map((r) => r.groupNumber))).to.deep.equal(new Set([1, 2, 3]));
    expect(requirementsFor(framework, null)).to.deep.equal([]);
    fc.assert(
      fc.property(group, group, (a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        const low = requirementsFor(framework, lo).map((r) => r.lineage);
        const high = new Set(requirementsFor(framework, hi).map((r) => r.lineage));
        return low.every((l) => high.has(l));
      }),
    );
  });

  it('falls back to a 36-month refresher when the organisation has none for the group', () => {
    expect(refresherMonthsFor({ '2': 24 }, 2)).to.equal(24);
    expect(refresherMonthsFor({ '2': 24 }, 3)).to.equal(36);
    expect(refresherMonthsFor({}, null)).to.equal(36);
  });

  it('evidence is met until the day it expires, and not on that day (expiry boundary)', () => {
    fc.assert(
      fc.property(day, fc.integer({ min: 1, max: 60 }), fc.integer({ min: -400, max: 400 }), group, (achievedOn, months, offset, g) => {
        const expires = addMonths(achievedOn, months);
        const today = addDays(expires, offset);
        if (today < achievedOn) return true;
        const result = computeCompliance(
          base({
            groupNumber: g,
            requirements: requirementsFor(framework, g),
            evidence: everything(g, achievedOn),
            refresherMonths: months,
            dueSoonDays: 0,
            today,
            startDate: '2000-01-01',
          }),
        );
        for (const c of result.competencies) {
          expect(c.expires).to.equal(expires);
          expect(c.met).to.equal(offset < 0);
        }
        expect(result.status).to.equal(offset < 0 ? 'compliant' : 'overdue');
        return true;
      }),
    );
  });

  it('due soon exactly when something expires within the reminder window', () => {
    fc.assert(
      fc.property(day, fc.integer({ min: 0, max: 120 }), fc.integer({ min: 1, max: 200 }), (today, window, daysLeft) => {
        const achievedOn = addMonths(addDays(today, daysLeft), -36);
        const evidence = everything(2, achievedOn);
        const result = computeCompliance(base({ evidence, dueSoonDays: window, today }));
        const expires = result.competencies[0].expires!;
        if (expires <= today) return true; // clamping pushed it into the past
        expect(result.status).to.equal(expires <= addDays(today, window) ? 'due-soon' : 'compliant');
        expect(result.nextExpiry).to.equal(expires);
        return true;
      }),
    );
  });

  it('only the most recent evidence of the same lineage decides expiry', () => {
    const evidence = [
      ...everything(1, '2020-01-01'),
      { id: 'newer', lineage: 'ldf-1.1', achievedOn: '2025-01-01' },
      { id: 'future', lineage: 'ldf-1.2', achievedOn: '2027-01-01' },
    ];
    const result = computeCompliance(base({ groupNumber: 1, requirements: requirementsFor(framework, 1), evidence }));
    const first = result.competencies[0];
    expect(first.evidenceIds).to.deep.equal(['newer', 'e0']);
    expect(first.expires).to.equal('2028-01-01');
    expect(first.status).to.equal('met');
    expect(result.competencies[1].evidenceIds).to.deep.equal(['e1']);
    expect(result.competencies[1].status).to.equal('expired');
    expect(result.status).to.equal('overdue');
  });

  it('a change of group takes effect at once: the newly required competencies show as missing', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), (from, step) => {
        const to = Math.min(4, from + step);
        if (to === from) return true;
        const evidence = everything(from, '2025-06-01');
        const before = computeCompliance(base({ groupNumber: from, requirements: requirementsFor(framework, from), evidence }));
        const after = computeCompliance(base({ groupNumber: to, requirements: requirementsFor(framework, to), evidence }));
        expect(before.status).to.equal('compliant');
        expect(after.status).to.equal('overdue');
        const missing = after.competencies.filter((c) => !c.met).map((c) => c.groupNumber);
        expect(missing.length).to.be.greaterThan(0);
        expect(missing.every((g) => g > from)).to.equal(true);
        return true;
      }),
    );
  });

  it('leavers drop out from their leaving date', () => {
    fc.assert(
      fc.property(day, fc.integer({ min: -500, max: 500 }), fc.boolean(), (today, offset, complete) => {
        const leavingDate = addDays(today, offset);
        const result = computeCompliance(base({ today, leavingDate, evidence: complete ? everything(2, addDays(today, -10)) : [] }));
        if (offset <= 0) expect(result).to.deep.equal({ status: 'left', competencies: [], nextExpiry: null });
        else expect(result.status).to.not.equal('left');
        return true;
      }),
    );
  });

  it('new starters are in induction for the induction period, then overdue without the training', () => {
    fc.assert(
      fc.property(day, fc.integer({ min: 0, max: 365 }), fc.integer({ min: -30, max: 800 }), group, (startDate, inductionDays, daysIn, g) => {
        const today = addDays(startDate, daysIn);
        const reqs = requirementsFor(framework, g);
        const partial = reqs.slice(0, 1).map((r) => ({ id: 'p', lineage: r.lineage, achievedOn: startDate }));
        const result = computeCompliance(base({ groupNumber: g, requirements: reqs, startDate, inductionDays, today, evidence: daysIn >= 0 ? partial : [] }));
        expect(result.status).to.equal(daysIn <= inductionDays ? 'in-induction' : 'overdue');
        const done = computeCompliance(base({ groupNumber: g, requirements: reqs, startDate, inductionDays, today, evidence: everything(g, startDate) }));
        if (daysIn >= 0) expect(done.status).to.be.oneOf(['compliant', 'due-soon']);
        return true;
      }),
    );
  });

  it('someone with no start date and no evidence has not started; unmapped and outside-framework people are marked so', () => {
    expect(computeCompliance(base({ startDate: null })).status).to.equal('not-started');
    expect(computeCompliance(base({ startDate: null, evidence: everything(1, '2010-01-01') })).status).to.equal('overdue');
    expect(computeCompliance(base({ groupNumber: null, requirements: [] })).status).to.equal('unmapped');
    expect(computeCompliance(base({ outsideFramework: true })).status).to.equal('not-applicable');
  });

  it('status is always consistent with the per-competency results', () => {
    const input = fc.record({
      g: group,
      evidence: fc.array(fc.record({ lineage: fc.constantFrom(...framework.competencies.map((c) => c.lineage)), achievedOn: day }), { maxLength: 15 }),
      today: day,
      start: fc.option(day),
      months: fc.integer({ min: 1, max: 60 }),
      window: fc.integer({ min: 0, max: 365 }),
    });
    fc.assert(
      fc.property(input, ({ g, evidence, today, start, months, window }) => {
        const result = computeCompliance(
          base({
            groupNumber: g,
            requirements: requirementsFor(framework, g),
            evidence: evidence.map((e, i) => ({ id: `x${i}`, ...e })),
            today,
            startDate: start,
            refresherMonths: months,
            dueSoonDays: window,
          }),
        );
        const allMet = result.competencies.every((c) => c.met);
        if (allMet) expect(result.status).to.be.oneOf(['compliant', 'due-soon']);
        else expect(result.status).to.be.oneOf(['overdue', 'in-induction', 'not-started']);
        for (const c of result.competencies) {
          if (c.met) expect(c.expires! > today).to.equal(true);
          if (c.expires && c.met) expect(result.nextExpiry! <= c.expires).to.equal(true);
        }
        return true;
      }),
    );
  });
});

describe('how long a computed status holds (resultHoldsUntil)', () => {
  const evidenceFor = (groupNumber: number) =>
    fc
      .array(
        fc.record({
          index: fc.nat({ max: 20 }),
          achievedOn: fc
            .date({ min: new Date('2018-01-01T00:00:00Z'), max: new Date('2028-12-31T00:00:00Z'), noInvalidDate: true })
            .map((d) => d.toISOString().slice(0, 10)),
        }),
        { maxLength: 12 },
      )
      .map((items) => {
        const requirements = requirementsFor(framework, groupNumber);
        return items.map((x, i) => ({ id: `e${i}`, lineage: requirements[x.index % requirements.length].lineage, achievedOn: x.achievedOn }));
      });
  const input = group.chain((g) =>
    fc.record({
      groupNumber: fc.constant(g),
      evidence: evidenceFor(g),
      refresherMonths: fc.integer({ min: 1, max: 48 }),
      dueSoonDays: fc.integer({ min: 0, max: 120 }),
      inductionDays: fc.integer({ min: 0, max: 200 }),
      startDate: fc.option(day, { nil: null }),
      leavingDate: fc.option(day, { nil: null }),
      today: day,
    }),
  );
  /** What a lead or reminder would see change: the status, each competency's status and expiry, and the next expiry. */
  const seen = (i: ComplianceInput) => {
    const r = computeCompliance(i);
    return { status: r.status, nextExpiry: r.nextExpiry, competencies: r.competencies.map((c) => [c.status, c.met, c.expires]) };
  };

  it('nothing a user sees changes before the day it gives, for any inputs', () => {
    fc.assert(
      fc.property(input, fc.nat({ max: 2000 }), (raw, offset) => {
        const i = base({ ...raw, requirements: requirementsFor(framework, raw.groupNumber) });
        const until = resultHoldsUntil(i, computeCompliance(i));
        const now = seen(i);
        // The last day it is said to hold (where a too-late answer shows), and a day anywhere before it.
        if (until != null) expect(seen({ ...i, today: addDays(until, -1) })).to.deep.equal(now);
        const later = addDays(i.today, offset);
        if (until == null || later < until) expect(seen({ ...i, today: later })).to.deep.equal(now);
      }),
      { numRuns: 2000 },
    );
  });

  it('names the day a status actually changes, not a later one', () => {
    // Met, expiring 2027-03-01 with a 60-day window: due soon from 2026-12-31.
    const i = base({ groupNumber: 1, requirements: requirementsFor(framework, 1), evidence: everything(1, '2024-03-01'), today: '2026-11-23' });
    expect(computeCompliance(i).status).to.equal('compliant');
    const until = resultHoldsUntil(i, computeCompliance(i));
    expect(until).to.equal('2026-12-31');
    expect(computeCompliance({ ...i, today: until! }).status).to.equal('due-soon');
  });
});
