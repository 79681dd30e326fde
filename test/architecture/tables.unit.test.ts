import { expect } from 'chai';
import { crossOwnerReferences, sqlOwners, stringsOf } from './table-ownership';

/**
 * Each table is its module's: others read the views it publishes or ask it
 * (a function in its api.ts) instead of reading or writing the table
 * themselves, so a module can change its tables without breaking another.
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

  it('finds no place that reaches into another module’s table', () => {
    expect(
      found.map(
        (r) => `${r.file} ${r.how} ${r.name}, which is the ${r.owner} module's: read a view it publishes, or ask it through modules/${r.owner}/api.ts instead`,
      ),
      'SQL that reaches into another module’s table',
    ).to.deep.equal([]);
  });
});
