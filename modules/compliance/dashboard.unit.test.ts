import { expect } from 'chai';
import fc from 'fast-check';
import { csvCell, toCsv } from '../../server/csv';
import {
  applyFilter,
  chaseList,
  chaseNeeds,
  countsBy,
  type LeadPerson,
  listQueryString,
  NO_TEAM,
  paginate,
  paginationItems,
  parseListQuery,
  sortPeople,
  staffCsvRows,
  summariseCompetencies,
  toLeadPeople,
  totalRow,
} from './dashboard';
import type { CompetencyResult, ComplianceStatus } from './engine';
import { attendanceByPeriod, lastQuarters, percentCompliant, percentFromSnapshot, trendTable } from './self-assessment';

const TODAY = '2026-11-23';

function competency(groupNumber: number, number: number, expires: string | null): CompetencyResult {
  const met = expires != null && expires > TODAY;
  return {
    lineage: `ldf-${groupNumber}.${number}`,
    competencyId: `c${groupNumber}.${number}`,
    groupNumber,
    number,
    text: `Competency ${groupNumber}.${number}`,
    met,
    evidenceIds: expires ? ['e'] : [],
    expires,
    status: met ? 'met' : expires ? 'expired' : 'missing',
  };
}

let next = 0;
function person(overrides: Partial<LeadPerson>): LeadPerson {
  next++;
  return {
    staffId: `s${String(next).padStart(4, '0')}`,
    name: `Person ${next}`,
    jobTitle: 'Worker',
    team: 'Housing',
    groupNumber: 1,
    status: 'compliant',
    nextExpiry: '2028-01-01',
    inductionEnds: null,
    competencies: [competency(1, 1, '2028-01-01')],
    ...overrides,
  };
}

describe('the lead’s dashboard', () => {
  const ana = person({
    name: 'Ana',
    team: 'Housing',
    groupNumber: 2,
    status: 'overdue',
    nextExpiry: null,
    competencies: [competency(1, 1, '2026-10-01'), competency(2, 1, null)],
  });
  const ben = person({
    name: 'Ben',
    team: 'Housing',
    groupNumber: 1,
    status: 'compliant',
    nextExpiry: '2026-11-27',
    competencies: [competency(1, 1, '2026-11-27')],
  });
  const cat = person({
    name: 'Cat',
    team: '',
    groupNumber: 2,
    status: 'in-induction',
    nextExpiry: null,
    inductionEnds: '2026-11-28',
    competencies: [competency(1, 1, null)],
  });
  const dev = person({ name: 'Dev', team: 'Advice', groupNumber: null, status: 'unmapped', nextExpiry: null, competencies: [] });
  const eve = person({
    name: 'Eve',
    team: 'Advice',
    groupNumber: 1,
    status: 'due-soon',
    nextExpiry: '2027-01-05',
    competencies: [competency(1, 1, '2027-01-05')],
  });
  const fay = person({
    name: 'Fay',
    team: 'Advice',
    groupNumber: 2,
    status: 'in-induction',
    nextExpiry: null,
    inductionEnds: '2027-02-01',
    competencies: [competency(2, 1, null)],
  });
  const everyone = [fay, eve, dev, cat, ben, ana];

  it('counts headcount and each status by group and by team, undecided and no team last', () => {
    const groups = countsBy(everyone, 'group');
    expect(groups.map((g) => g.label)).to.deep.equal(['Group 1', 'Group 2', 'Group not yet decided']);
    expect(groups[1]).to.deep.include({ key: '2', headcount: 3, other: 0 });
    expect(groups[1].counts).to.deep.equal({ compliant: 0, 'due-soon': 0, overdue: 1, 'in-induction': 2, 'not-started': 0 });
    expect(groups[2]).to.deep.include({ key: 'unmapped', headcount: 1, other: 1 });
    const teams = countsBy(everyone, 'team');
    expect(teams.map((t) => [t.label, t.headcount])).to.deep.equal([
      ['Advice', 3],
      ['Housing', 2],
      ['No team recorded', 1],
    ]);
    expect(teams[2].key).to.equal(NO_TEAM);
    expect(totalRow(everyone).headcount).to.equal(6);
  });

  it('every person is counted exactly once, whatever the mix', () => {
    const statuses: ComplianceStatus[] = ['compliant', 'due-soon', 'overdue', 'in-induction', 'not-started', 'unmapped', 'not-applicable'];
    fc.assert(
      fc.property(
        fc.array(fc.record({ g: fc.option(fc.integer({ min: 1, max: 4 })), s: fc.constantFrom(...statuses), t: fc.constantFrom('', 'A', 'B') }), {
          maxLength: 60,
        }),
        (rows) => {
          const people = rows.map((r) => person({ groupNumber: r.g, status: r.s, team: r.t }));
          for (const by of ['group', 'team'] as const) {
            const table = countsBy(people, by);
            expect(table.reduce((n, r) => n + r.headcount, 0)).to.equal(people.length);
            for (const r of table) expect(Object.values(r.counts).reduce((a, b) => a + b, 0) + r.other).to.equal(r.headcount);
          }
        },
      ),
    );
  });

  it('filters by group, team, status and competency not met, and each count link gives exactly the people counted', () => {
    expect(
      applyFilter(everyone, { group: '2', status: 'in-induction' })
        .map((p) => p.name)
        .sort(),
    ).to.deep.equal(['Cat', 'Fay']);
    expect(applyFilter(everyone, { team: NO_TEAM }).map((p) => p.name)).to.deep.equal(['Cat']);
    expect(applyFilter(everyone, { group: 'unmapped' }).map((p) => p.name)).to.deep.equal(['Dev']);
    expect(
      applyFilter(everyone, { competency: 'c2.1' })
        .map((p) => p.name)
        .sort(),
    ).to.deep.equal(['Ana', 'Fay']);
    expect(
      applyFilter(everyone, { competency: 'c1.1' })
        .map((p) => p.name)
        .sort(),
    ).to.deep.equal(['Ana', 'Cat']);
    for (const row of countsBy(everyone, 'team')) {
      for (const [status, count] of Object.entries(row.counts))
        expect(applyFilter(everyone, { team: row.key, status: status as ComplianceStatus })).to.have.length(count);
    }
  });

  it('reads the list’s query string, with a message for each value that is not a choice', () => {
    const ok = parseListQuery({ group: '2', team: 'Advice', status: 'overdue', competency: 'c1.1', sort: 'expiry', page: '3' }, { competencyIds: ['c1.1'] });
    expect(ok.errors).to.deep.equal([]);
    expect(ok.query).to.deep.equal({ filter: { group: '2', team: 'Advice', status: 'overdue', competency: 'c1.1' }, sort: 'expiry', page: 3 });
    const bad = parseListQuery({ group: 'x', status: 'late', competency: 'nope', sort: 'age', page: '-1' }, { competencyIds: ['c1.1'] });
    expect(bad.errors.map((e) => e.href)).to.deep.equal(['#group', '#status', '#competency', '#sort', '#results']);
    expect(bad.query).to.deep.equal({ filter: {}, sort: 'name', page: 1 });
    expect(listQueryString({ group: '2', status: 'overdue' }, { sort: 'team', page: 2 })).to.equal('?group=2&status=overdue&sort=team&page=2');
    expect(listQueryString({ team: 'A & B' })).to.equal('?team=A+%26+B');
    expect(listQueryString({})).to.equal('');
  });

  it('sorts by name, by urgency of status, by next expiry (none last) and by team (no team last)', () => {
    expect(sortPeople(everyone, 'name').map((p) => p.name)).to.deep.equal(['Ana', 'Ben', 'Cat', 'Dev', 'Eve', 'Fay']);
    expect(sortPeople(everyone, 'status').map((p) => p.name)).to.deep.equal(['Ana', 'Cat', 'Fay', 'Eve', 'Ben', 'Dev']);
    expect(sortPeople(everyone, 'expiry').map((p) => p.name)).to.deep.equal(['Ben', 'Eve', 'Ana', 'Cat', 'Dev', 'Fay']);
    expect(sortPeople(everyone, 'team').map((p) => p.name)).to.deep.equal(['Dev', 'Eve', 'Fay', 'Ana', 'Ben', 'Cat']);
  });

  it('pages 50 at a time, a page past the end showing the last page, with GOV.UK pagination links', () => {
    const items = Array.from({ length: 120 }, (_, i) => i);
    expect(paginate(items, 1)).to.deep.include({ page: 1, pageCount: 3, total: 120, from: 1, to: 50 });
    expect(paginate(items, 9)).to.deep.include({ page: 3, from: 101, to: 120 });
    expect(paginate([], 1)).to.deep.include({ page: 1, pageCount: 1, from: 0, to: 0 });
    expect(paginationItems(5, 10)).to.deep.equal([
      { number: 1, current: false },
      { ellipsis: true },
      { number: 4, current: false },
      { number: 5, current: true },
      { number: 6, current: false },
      { ellipsis: true },
      { number: 10, current: false },
    ]);
    expect(paginationItems(1, 2)).to.deep.equal([
      { number: 1, current: true },
      { number: 2, current: false },
    ]);
  });

  it('chases the overdue first, then whoever lapses within 7 days, soonest first, saying what each needs', () => {
    const list = chaseList(everyone, TODAY);
    expect(list.map((i) => [i.person.name, i.reason, i.due])).to.deep.equal([
      ['Ana', 'overdue', '2026-10-01'],
      ['Ben', 'expiring', '2026-11-27'],
      ['Cat', 'induction-ending', '2026-11-28'],
    ]);
    expect(chaseNeeds(list[0])).to.equal('Group 1 competency 1; Group 2 competency 1');
    expect(chaseNeeds(list[1])).to.equal('Group 1 competency 1 renewed');
    expect(summariseCompetencies([competency(2, 5, null), competency(1, 3, null), competency(1, 1, null), competency(1, 2, null)])).to.equal(
      'Group 1 competencies 1, 2 and 3; Group 2 competency 5',
    );
  });

  it('joins team and induction end from the staff record', () => {
    const [p] = toLeadPeople([{ ...ana, team: undefined }], new Map([[ana.staffId, { team: 'Refuge', startDate: '2026-09-01' }]]), 90);
    expect(p.team).to.equal('Refuge');
    expect(p.inductionEnds).to.equal('2026-11-30');
  });

  it('writes CSV with a header, quoting, and formula-looking cells made plain text', () => {
    expect(csvCell('=HYPERLINK("http://x")')).to.equal(`"'=HYPERLINK(""http://x"")"`);
    for (const start of ['+', '-', '@', '\t', '\r']) expect(csvCell(`${start}1`).replace(/^"/, '')).to.match(/^'/);
    expect(csvCell('O’Brien, Jo')).to.equal('"O’Brien, Jo"');
    expect(csvCell(null)).to.equal('');
    const csv = toCsv(
      ['Name', 'Group'],
      staffCsvRows([person({ name: '@SUM(A1)', groupNumber: 3 })]).map((r) => [r[0], r[3]]),
    );
    expect(csv).to.equal("Name,Group\r\n'@SUM(A1),3\r\n");
  });
});

describe('the self-assessment figures', () => {
  it('takes the last four quarters that have ended, oldest first', () => {
    expect(lastQuarters('2026-11-23').map((q) => [q.start, q.end])).to.deep.equal([
      ['2025-10-01', '2025-12-31'],
      ['2026-01-01', '2026-03-31'],
      ['2026-04-01', '2026-06-30'],
      ['2026-07-01', '2026-09-30'],
    ]);
    expect(lastQuarters('2026-01-01')[3]).to.deep.equal({ start: '2025-10-01', end: '2025-12-31', label: 'October to December 2025' });
  });

  it('gives the percentage compliant per group, due soon counting as compliant, undecided counting against the total', () => {
    const cells = percentCompliant([
      { groupNumber: 1, status: 'compliant' },
      { groupNumber: 1, status: 'due-soon' },
      { groupNumber: 1, status: 'overdue' },
      { groupNumber: 2, status: 'in-induction' },
      { groupNumber: null, status: 'unmapped' },
      { groupNumber: 3, status: 'not-applicable' },
    ]);
    expect(cells.get('1')).to.deep.equal({ compliant: 2, measured: 3, percent: 67 });
    expect(cells.get('2')).to.deep.equal({ compliant: 0, measured: 1, percent: 0 });
    expect(cells.get('all')).to.deep.equal({ compliant: 2, measured: 5, percent: 40 });
    expect(cells.has('3')).to.equal(false);
    const table = trendTable([
      { date: '2026-09-30', label: 'Q3', cells: new Map([['2', { compliant: 1, measured: 2, percent: 50 }]]) },
      { date: TODAY, label: 'Today', cells },
    ]);
    expect(table.rows.map((r) => r.label)).to.deep.equal(['Group 1', 'Group 2', 'Group not yet decided', 'All staff']);
    expect(table.rows[0].cells[0]).to.equal(null);
    expect(table.rows[1].cells.map((c) => c?.percent)).to.deep.equal([50, 0]);
  });

  it('reads a quarter as reported in the board’s snapshot, counted the same way, and ignores an entry of another shape', () => {
    const counts = (onSystem: number, compliant: number, dueSoon: number) => ({
      onSystem,
      compliant,
      dueSoon,
      overdue: onSystem - compliant - dueSoon,
      inInduction: 0,
      notStarted: 0,
    });
    const cells = percentFromSnapshot({ slug: 'a', groups: { '1': counts(4, 2, 1), '2': counts(0, 0, 0) }, unmapped: 1 })!;
    expect(cells.get('1')).to.deep.equal({ compliant: 3, measured: 4, percent: 75 });
    expect(cells.has('2')).to.equal(false);
    expect(cells.get('unmapped')).to.deep.equal({ compliant: 0, measured: 1, percent: 0 });
    expect(cells.get('all')).to.deep.equal({ compliant: 3, measured: 5, percent: 60 });
    expect(percentFromSnapshot({ groups: { '1': { total: 3 } }, unmapped: 0 })).to.equal(null);
    expect(percentFromSnapshot(undefined)).to.equal(null);
  });

  it('counts face-to-face places by the London day each session started', () => {
    const rows = attendanceByPeriod(
      [
        // 23:30 UTC on 30 September is 00:30 on 1 October in London.
        { sessionId: 'a', startsAt: new Date('2026-09-30T23:30:00Z'), booked: 4, attended: 3, missed: 1 },
        { sessionId: 'b', startsAt: new Date('2026-09-30T09:00:00Z'), booked: 2, attended: 0, missed: 0 },
      ],
      [
        { start: '2026-07-01', end: '2026-09-30', label: 'Q3' },
        { start: '2026-10-01', end: '2026-12-31', label: 'Q4' },
      ],
    );
    expect(rows[0]).to.deep.include({ sessionsAttended: 0, placesBooked: 2, attended: 0, notMarked: 2, attendanceRate: null });
    expect(rows[1]).to.deep.include({ sessionsAttended: 1, placesBooked: 4, attended: 3, didNotAttend: 1, notMarked: 0, attendanceRate: 75 });
  });
});
