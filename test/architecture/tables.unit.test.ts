import { expect } from 'chai';
import { crossOwnerReferences, describe as line, sqlOwners, stringsOf } from './table-ownership';
import { STILL_REACHING_ACROSS } from './tables-still-reached-across';

/**
 * Each table is its module's: others ask that module (a function in its
 * api.ts) instead of reading or writing the table themselves, so a module can
 * change its tables without breaking another. What still reaches across is
 * listed, and the list may only shrink.
 */
describe('tables reached only by the module that owns them', () => {
  const owners = sqlOwners();
  const found = crossOwnerReferences(owners);

  it('reads SQL only from strings and templates, never from comments or regular expressions', () => {
    const tick = '`';
    const open = '$' + '{';
    const code = [
      '// select * from staff',
      "const quote = /'/g; /* join evidence */",
      `const sql = ${tick}select s.name from ${open}inner ? ${tick}staff_members s ${open}'where true'}${tick} : 'x'} join member_organisations o${tick};`,
      'const half = total / 2;',
    ].join('\n');
    expect(stringsOf(code)).to.deep.equal(['where true', 'staff_members s  ', 'x', 'select s.name from   join member_organisations o']);
  });

  it('finds the owner of every table in the migrations that create it', () => {
    expect(owners.get('organisations')?.owner).to.equal('organisations');
    expect(owners.get('partnership')?.owner).to.equal('partnership');
    expect(owners.get('staff')?.owner).to.equal('staff');
    expect(owners.get('users')?.owner).to.equal('core');
    expect(owners.get('member_organisations')).to.deep.equal({ name: 'member_organisations', kind: 'view', owner: 'organisations' });
  });

  it('finds no new place that reaches into another module’s table', () => {
    const listed = new Set(STILL_REACHING_ACROSS);
    const added = found.filter((r) => !listed.has(line(r)));
    expect(
      added.map((r) => `${r.file} ${r.how} ${r.name}, which is the ${r.owner} module's: ask that module through modules/${r.owner}/api.ts instead`),
      'new SQL that reaches into another module’s table',
    ).to.deep.equal([]);
  });

  it('lists only what still reaches across, so the list shrinks as each is put right', () => {
    const current = new Set(found.map(line));
    expect(
      STILL_REACHING_ACROSS.filter((l) => !current.has(l)),
      'no longer found: take these lines out of test/architecture/tables-still-reached-across.ts',
    ).to.deep.equal([]);
  });
});
