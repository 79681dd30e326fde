import { expect } from 'chai';
import fc from 'fast-check';
import { SOMERSET_LDF } from '../../test/support/frameworks';
import { defaultMappings, groupForJobTitle, type JobRoleMapping, jobTitleKey } from './mapping';

const partnership: JobRoleMapping[] = defaultMappings(SOMERSET_LDF.groups.map((g) => ({ number: g.number, exampleRoles: g.exampleRoles })));
const groupOf = (title: string, own: JobRoleMapping[] = []) => {
  const d = groupForJobTitle(title, partnership, own);
  return 'unmapped' in d ? undefined : d.group;
};

describe('job title mapping', () => {
  it('ignores case, spacing, punctuation, & for "and" and a plural last word', () => {
    expect(jobTitleKey('  Health & Safety   Lead ')).to.equal('health and safety lead');
    expect(jobTitleKey('Housing Officers')).to.equal(jobTitleKey('housing officer'));
    expect(jobTitleKey('Deputies')).to.equal('deputy');
    expect(jobTitleKey('Police')).to.equal('police');
    expect(jobTitleKey('Senior manager (safeguarding)')).to.equal('senior manager safeguarding');
  });

  it('puts the issue’s example roles in their groups by default', () => {
    const expected: [string, number][] = [
      ['Admin staff', 1],
      ['HR adviser', 1],
      ['Call centre staff', 1],
      ['Health and safety leads', 1],
      ['Social care worker', 2],
      ['Housing officer', 2],
      ['Police constable', 2],
      ['Police sergeant', 2],
      ['Probation officer', 2],
      ['Substance misuse worker', 2],
      ['Frontline manager', 2],
      ['Service manager', 2],
      ['Safeguarding lead', 3],
      ['Board member', 3],
      ['Senior manager accountable for safeguarding', 3],
      ['Chief executive', 4],
      ['Director', 4],
      ['Elected members', 4],
      ['Councillor', 4],
      ['Trustees', 4],
    ];
    for (const [title, group] of expected) expect(groupOf(title), title).to.equal(group);
  });

  it('takes the framework’s own example roles as defaults', () => {
    for (const g of SOMERSET_LDF.groups) for (const role of g.exampleRoles) expect(groupOf(role), role).to.equal(g.number);
  });

  it('never guesses a group for a title nobody mapped, however close it looks', () => {
    expect(groupOf('Housing office')).to.equal(undefined);
    expect(groupOf('Senior housing officer')).to.equal(undefined);
    expect(groupOf('')).to.equal(undefined);
  });

  it('lets an organisation’s own mapping win over the partnership default', () => {
    expect(groupForJobTitle('Director', partnership, [{ key: jobTitleKey('director'), group: 3 }])).to.deep.equal({ group: 3, source: 'organisation-mapping' });
    expect(groupForJobTitle('Director', partnership, [])).to.deep.equal({ group: 4, source: 'partnership-mapping' });
  });

  it('property: the organisation mapping always wins, and an unmapped title never gets a group', () => {
    const title = fc.string({ minLength: 1, maxLength: 30 });
    const group = fc.integer({ min: 1, max: 4 });
    fc.assert(
      fc.property(title, group, group, (t, own, dflt) => {
        const key = jobTitleKey(t);
        fc.pre(key !== '');
        const d = groupForJobTitle(t, [{ key, group: dflt }], [{ key, group: own }]);
        expect(d).to.deep.equal({ group: own, source: 'organisation-mapping' });
      }),
    );
    fc.assert(
      fc.property(title, fc.array(fc.tuple(title, group)), (t, others) => {
        const mappings = others.map(([o, g]) => ({ key: jobTitleKey(o), group: g })).filter((m) => m.key !== jobTitleKey(t));
        expect(groupForJobTitle(t, mappings, mappings)).to.deep.equal({ unmapped: true });
      }),
    );
  });

  it('property: the key is stable (normalising twice changes nothing) for titles without a plural ending', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (t) => {
        const once = jobTitleKey(t);
        fc.pre(!/s$/.test(once));
        expect(jobTitleKey(once)).to.equal(once);
      }),
    );
  });
});
