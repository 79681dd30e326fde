import { expect } from 'chai';
import fc from 'fast-check';
import { MIN_PASSWORD_LENGTH, passwordProblem } from './passwords';

describe('password rules (NCSC: length and a deny-list, no composition rules)', () => {
  it('accepts three random words and refuses short, common or decorated-common passwords', () => {
    expect(passwordProblem('kettle orchard lantern')).to.equal(undefined);
    expect(passwordProblem('short')).to.match(/characters or more/);
    expect(passwordProblem('Password123')).to.match(/too common/);
    expect(passwordProblem('Summer2026!!')).to.match(/too common/);
    expect(passwordProblem('!!Welcome2026')).to.match(/too common/);
    expect(passwordProblem('zzzzzzzzzzzz')).to.match(/repeated/);
    expect(passwordProblem('sam.jones-is-here', 'sam.jones@valecounty.example')).to.match(/email address/);
  });

  it('never asks for capitals, digits or symbols: any long lower-case phrase of unusual words is fine', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('heron', 'quilt', 'basalt', 'meadow', 'copper', 'lantern', 'orchid'), { minLength: 3, maxLength: 5 }), (words) => {
        const phrase = words.join(' ');
        return phrase.length < MIN_PASSWORD_LENGTH || new Set(phrase).size === 1 || passwordProblem(phrase) === undefined;
      }),
    );
  });
});
