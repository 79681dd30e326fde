import { expect } from 'chai';
import { type ExistingStaff, ImportFileError, parseImportDate, parseStaffCsv, planImport } from './import';
import { jobTitleKey } from './mapping';

const council = { slug: 'vale-county-council', name: 'Vale County Council' };
const known = [council, { slug: 'vale-police', name: 'Vale Constabulary' }];
const csv = (text: string) => new TextEncoder().encode(text);
const mappings = {
  partnership: [
    { key: jobTitleKey('Housing officer'), group: 2 },
    { key: jobTitleKey('Director'), group: 4 },
  ],
  organisation: [],
};

function existing(overrides: Partial<ExistingStaff>): ExistingStaff {
  return {
    id: 'a',
    name: 'Ann Lee',
    email: 'ann@vc.example',
    jobTitle: 'Housing officer',
    team: '',
    staffNumber: 'S1',
    startDate: null,
    leavingDate: null,
    isVolunteer: false,
    groupNumber: 2,
    groupSource: 'partnership-mapping',
    ...overrides,
  };
}

describe('staff CSV import: reading the file', () => {
  it('reports each bad row with its row number and reason, and keeps the good rows', () => {
    const parsed = parseStaffCsv(
      csv(
        'Name,Email,Job Title,Start Date,Volunteer,Organisation\n' +
          'Ann Lee,ann@vc.example,Housing officer,01/02/2024,no,vale-county-council\n' +
          ',nobody@vc.example,Director,,,\n' +
          'Bob Stone,not-an-email,Director,,,\n' +
          'Cat Wu,ANN@vc.example,Director,,,\n' +
          'Dev Rao,dev@vc.example,Director,31/02/2024,,\n' +
          'Eve Marsh,eve@vc.example,Director,,maybe,\n' +
          'Fin Cole,fin@vc.example,Director,,,Vale Constabulary\n' +
          'Gus Hale,gus@vc.example,Director,,,Somewhere Else\n',
      ),
      council,
      known,
    );
    expect(parsed.rows.map((r) => r.name)).to.deep.equal(['Ann Lee']);
    expect(parsed.rows[0].startDate).to.equal('2024-02-01');
    expect(parsed.errors.map((e) => e.row)).to.deep.equal([3, 4, 5, 6, 7, 8, 9]);
    const reason = (row: number) => parsed.errors.find((e) => e.row === row)!.reason;
    expect(reason(3)).to.match(/name is missing/);
    expect(reason(4)).to.match(/not an email address/);
    expect(reason(5)).to.match(/also on row 2/);
    expect(reason(6)).to.match(/not a date/);
    expect(reason(7)).to.match(/yes or no/);
    expect(reason(8)).to.match(/Vale Constabulary, not Vale County Council/);
    expect(reason(9)).to.match(/"Somewhere Else" is not one we know/);
  });

  it('rejects a file saved in Windows-1252 rather than UTF-8, saying how to fix it', () => {
    const bytes = Buffer.concat([
      Buffer.from('name,email\nJos'),
      Buffer.from([0xe9]),
      Buffer.from(' Garc'),
      Buffer.from([0xed]),
      Buffer.from('a,jose@vc.example\n'),
    ]);
    expect(() => parseStaffCsv(bytes, council, known)).to.throw(ImportFileError, /CSV UTF-8/);
  });

  it('accepts UTF-8 with a byte order mark, as Excel saves it', () => {
    const parsed = parseStaffCsv(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('name,email\nJosé García,jose@vc.example\n')]), council, known);
    expect(parsed.rows[0].name).to.equal('José García');
  });

  it('needs a name column', () => {
    expect(() => parseStaffCsv(csv('email\nann@vc.example\n'), council, known)).to.throw(ImportFileError, /"name"/);
  });

  it('reads both date styles and refuses impossible dates', () => {
    expect(parseImportDate('2024-02-29')).to.equal('2024-02-29');
    expect(parseImportDate('29/02/2024')).to.equal('2024-02-29');
    expect(parseImportDate('29/02/2023')).to.equal(undefined);
    expect(parseImportDate('02/29/2024')).to.equal(undefined);
  });
});

describe('staff CSV import: the plan', () => {
  const today = '2026-11-23';

  it('adds new people with a group from their job title, and lists titles it cannot map', () => {
    const parsed = parseStaffCsv(csv('name,email,job_title\nAnn Lee,ann@vc.example,Housing Officers\nBo Yu,bo@vc.example,Tenancy lead\n'), council, known);
    const plan = planImport(parsed, [], mappings, { fullList: false, today });
    expect(plan.create.map((c) => c.group?.group ?? null)).to.deep.equal([2, null]);
    expect(plan.unmappedTitles).to.deep.equal(['Tenancy lead']);
  });

  it('matches by staff number, else by email, and plans nothing for an unchanged row', () => {
    const parsed = parseStaffCsv(csv('name,email,job_title,staff_number\nAnn Lee,ANN@vc.example,Housing officer,S1\n'), council, known);
    const plan = planImport(parsed, [existing({})], mappings, { fullList: true, today });
    expect(plan).to.include({ unchanged: 1 });
    expect(plan.create).to.have.length(0);
    expect(plan.update).to.have.length(0);
    expect(plan.leavers).to.have.length(0);
  });

  it('moves someone to a new group when their title changes, but not when a lead set their group', () => {
    const parsed = parseStaffCsv(csv('name,staff_number,job_title\nAnn Lee,S1,Director\n'), council, known);
    expect(planImport(parsed, [existing({})], mappings, { fullList: false, today }).update[0].group).to.deep.equal({ group: 4, source: 'partnership-mapping' });
    const overridden = planImport(parsed, [existing({ groupSource: 'lead-override', groupNumber: 3 })], mappings, { fullList: false, today });
    expect(overridden.update[0].group).to.equal(null);
    expect(overridden.update[0].changes.map((c) => c.field)).to.deep.equal(['jobTitle']);
  });

  it('marks current staff missing from a full list as leavers, and nobody otherwise', () => {
    const parsed = parseStaffCsv(csv('name,staff_number\nAnn Lee,S1\n'), council, known);
    const staff = [
      existing({}),
      existing({ id: 'b', name: 'Bo Yu', email: null, staffNumber: 'S2' }),
      existing({ id: 'c', name: 'Old Hand', email: null, staffNumber: 'S3', leavingDate: '2020-01-01' }),
    ];
    expect(planImport(parsed, staff, mappings, { fullList: true, today }).leavers).to.deep.equal([{ staffId: 'b', name: 'Bo Yu', leavingDate: today }]);
    expect(planImport(parsed, staff, mappings, { fullList: false, today }).leavers).to.deep.equal([]);
  });

  it('refuses an email that already belongs to someone else in the organisation', () => {
    const parsed = parseStaffCsv(csv('name,email,staff_number\nNew Person,ann@vc.example,S9\n'), council, known);
    const plan = planImport(parsed, [existing({ staffNumber: null })], mappings, { fullList: false, today });
    expect(plan.errors).to.have.length(0);
    expect(plan.update[0].changes).to.deep.include({ field: 'staffNumber', from: null, to: 'S9' });
    const clash = planImport(parsed, [existing({}), existing({ id: 'z', name: 'Zed', email: 'z@vc.example', staffNumber: 'S9' })], mappings, {
      fullList: false,
      today,
    });
    expect(clash.errors[0].reason).to.match(/belongs to Ann Lee/);
  });
});
