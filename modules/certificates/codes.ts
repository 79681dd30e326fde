import { randomInt } from 'node:crypto';

/**
 * Verification codes: 10 random Crockford base32 characters (50 bits, from the
 * operating system's secure random source, never from personal data) and one
 * Luhn mod 32 check character, printed as XXXX-XXXX-XXX. Crockford's alphabet
 * has no I, L, O or U, so a code read out over the phone is hard to mishear;
 * the check character catches any single wrong character and most swaps of
 * neighbouring characters, so we can say "this code has a typo" rather than
 * "no such certificate".
 */
export const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const BASE = ALPHABET.length;
export const RANDOM_LENGTH = 10;
export const CODE_LENGTH = RANDOM_LENGTH + 1;

/** Luhn mod N over the alphabet: the character that makes the whole code check out. */
export function checkCharacter(payload: string): string {
  let factor = 2;
  let sum = 0;
  for (let i = payload.length - 1; i >= 0; i--) {
    const value = ALPHABET.indexOf(payload[i]);
    if (value < 0) throw new Error(`"${payload[i]}" is not a code character`);
    const product = factor * value;
    sum += Math.floor(product / BASE) + (product % BASE);
    factor = factor === 2 ? 1 : 2;
  }
  return ALPHABET[(BASE - (sum % BASE)) % BASE];
}

export function hasValidCheck(code: string): boolean {
  if (code.length < 2) return false;
  return checkCharacter(code.slice(0, -1)) === code[code.length - 1];
}

/** A new code in its stored form (11 characters, no dashes). */
export function generateCode(random: (max: number) => number = randomInt): string {
  let payload = '';
  for (let i = 0; i < RANDOM_LENGTH; i++) payload += ALPHABET[random(BASE)];
  return payload + checkCharacter(payload);
}

/** The printed form: XXXX-XXXX-XXX. */
export function formatCode(code: string): string {
  return `${code.slice(0, 4)}-${code.slice(4, 8)}-${code.slice(8)}`;
}

export type ParsedCode =
  | { kind: 'code'; code: string }
  /** Looks like a code but a character is wrong: a mistyped code, not an unknown one. */
  | { kind: 'typo' }
  /** Too short, too long or empty: not a verification code at all. */
  | { kind: 'malformed' };

/**
 * Reads what a person typed: any case, spaces and dashes, and the letters
 * people confuse with digits (O for 0, I and L for 1).
 */
export function normaliseCode(input: string): string {
  return input
    .toUpperCase()
    .replace(/[\s\-–—_.]+/g, '')
    .replace(/O/g, '0')
    .replace(/[IL]/g, '1');
}

export function parseCode(input: unknown): ParsedCode {
  if (typeof input !== 'string') return { kind: 'malformed' };
  const code = normaliseCode(input);
  if (code.length !== CODE_LENGTH) return { kind: 'malformed' };
  for (const ch of code) if (!ALPHABET.includes(ch)) return { kind: 'typo' };
  return hasValidCheck(code) ? { kind: 'code', code } : { kind: 'typo' };
}
