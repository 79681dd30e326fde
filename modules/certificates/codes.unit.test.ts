import { expect } from 'chai';
import fc from 'fast-check';
import { ALPHABET, CODE_LENGTH, formatCode, generateCode, parseCode } from './codes';

const codeArb = fc.array(fc.integer({ min: 0, max: ALPHABET.length - 1 }), { minLength: 10, maxLength: 10 }).map((digits) => {
  let i = 0;
  return generateCode(() => digits[i++]);
});

describe('certificate verification codes', () => {
  it('are 11 characters from the Crockford alphabet, printed in three groups', () => {
    const code = generateCode();
    expect(code).to.have.length(CODE_LENGTH);
    expect(code).to.match(/^[0-9A-HJKMNP-TV-Z]{11}$/);
    expect(formatCode(code)).to.match(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{3}$/);
  });

  it('differ from one another (random, not derived from anything)', () => {
    const codes = new Set(Array.from({ length: 2000 }, () => generateCode()));
    expect(codes.size).to.equal(2000);
  });

  it('read back whatever way a person types them: lower case, spaces, dashes, O for 0, I or L for 1', () => {
    fc.assert(
      fc.property(codeArb, fc.constantFrom(' ', '-', '', ' - '), fc.boolean(), (code, sep, lower) => {
        let typed = `${code.slice(0, 4)}${sep}${code.slice(4, 8)}${sep}${code.slice(8)}`;
        typed = typed.replace(/0/g, 'O').replace(/1/g, lower ? 'l' : 'I');
        if (lower) typed = typed.toLowerCase();
        expect(parseCode(typed)).to.deep.equal({ kind: 'code', code });
      }),
    );
  });

  it('tell a single wrong character apart from an unknown code', () => {
    fc.assert(
      fc.property(codeArb, fc.integer({ min: 0, max: CODE_LENGTH - 1 }), fc.integer({ min: 1, max: ALPHABET.length - 1 }), (code, position, shift) => {
        const wrong = ALPHABET[(ALPHABET.indexOf(code[position]) + shift) % ALPHABET.length];
        const typed = code.slice(0, position) + wrong + code.slice(position + 1);
        expect(parseCode(typed)).to.deep.equal({ kind: 'typo' });
      }),
    );
  });

  it('catch two neighbouring characters typed the wrong way round', () => {
    fc.assert(
      fc.property(codeArb, fc.integer({ min: 0, max: CODE_LENGTH - 2 }), (code, i) => {
        fc.pre(code[i] !== code[i + 1]);
        // Luhn misses only the swap of the two characters whose values sum to BASE - 1 with carry (0 and Z here).
        fc.pre(!['0Z', 'Z0'].includes(code[i] + code[i + 1]));
        const typed = code.slice(0, i) + code[i + 1] + code[i] + code.slice(i + 2);
        expect(parseCode(typed).kind).to.equal('typo');
      }),
    );
  });

  it('answer "not a code" for empty, short or long input, and "typo" for a character outside the alphabet', () => {
    expect(parseCode('')).to.deep.equal({ kind: 'malformed' });
    expect(parseCode('ABCD-1234')).to.deep.equal({ kind: 'malformed' });
    expect(parseCode(undefined)).to.deep.equal({ kind: 'malformed' });
    expect(parseCode('ABCD-EFGH-JKU')).to.deep.equal({ kind: 'typo' });
  });
});
