/**
 * Password rules after NCSC guidance: a minimum length, a deny-list of
 * common passwords, and no composition rules (no "one capital, one symbol").
 */
export const MIN_PASSWORD_LENGTH = 10;
export const MAX_PASSWORD_LENGTH = 256;

// The most common passwords and obvious choices for this service.
const DENY_LIST = new Set([
  'password',
  'password1',
  'password12',
  'password123',
  'password1234',
  'passw0rd',
  '1234567890',
  '12345678910',
  'qwertyuiop',
  'qwerty1234',
  'iloveyou12',
  'letmein123',
  'welcome123',
  'welcome1234',
  'abc1234567',
  'trustno1234',
  'football12',
  'baseball12',
  'sunshine12',
  'princess12',
  'monkey1234',
  'dragon1234',
  'changeme12',
  'changeme123',
  'administrator',
  'safeguarding',
  'safeguarding1',
  'domesticabuse',
  'training123',
  'training2026',
  'somerset123',
  'partnership',
  '0987654321',
  '1111111111',
  'aaaaaaaaaa',
  '1q2w3e4r5t',
  'zaq12wsxcde',
  'passwordpassword',
  // bare words that people decorate with digits and symbols to reach the minimum length
  'password',
  'passw0rd',
  'qwerty',
  'qwertyuiop',
  'letmein',
  'welcome',
  'iloveyou',
  'monkey',
  'dragon',
  'football',
  'sunshine',
  'princess',
  'changeme',
  'trustno',
  'abc',
  'admin',
  'training',
  'summer',
  'winter',
  'spring',
  'autumn',
  'january',
  'december',
]);

/**
 * What is left of a password once the usual decorations are taken off: a
 * capital at the start, digits and symbols at the end ("Password2026!" is
 * "password"). Attackers try those variations first, so the deny-list must too.
 */
export function commonCore(lowerCasePassword: string): string {
  return lowerCasePassword.replace(/[\d\W_]+$/u, '').replace(/^[\d\W_]+/u, '');
}

export function passwordProblem(password: string, email?: string): string | undefined {
  if (password.length < MIN_PASSWORD_LENGTH) return `Password must be ${MIN_PASSWORD_LENGTH} characters or more`;
  if (password.length > MAX_PASSWORD_LENGTH) return `Password must be ${MAX_PASSWORD_LENGTH} characters or fewer`;
  const lower = password.toLowerCase();
  if (DENY_LIST.has(lower) || DENY_LIST.has(commonCore(lower))) return 'Password is too common: choose a less obvious one, for example three random words';
  if (/^(.)\1+$/.test(password)) return 'Password must not be one character repeated';
  if (email && lower.includes(email.toLowerCase().split('@')[0]) && email.split('@')[0].length >= 4) {
    return 'Password must not contain your email address';
  }
  return undefined;
}
