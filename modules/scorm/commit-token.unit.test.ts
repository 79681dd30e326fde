import { expect } from 'chai';
import { commitTokenLifetimeMs, commitTokens } from './commit-token';

const SECRET = 'a-session-secret-of-at-least-32-characters';
const ATTEMPT = '6f1c2b9e-3d4a-4c5b-8e7f-0a1b2c3d4e5f';
const OTHER_ATTEMPT = '0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d';
const USER = '11111111-2222-4333-8444-555555555555';

describe('SCORM commit tokens', () => {
  const tokens = commitTokens(SECRET, 5 * 60_000);
  const now = Date.parse('2026-11-23T12:00:00Z');

  it('names the person a genuine token was issued to, for its own attempt, until it expires', () => {
    const token = tokens.issue(ATTEMPT, USER, now);
    expect(tokens.verify(token, ATTEMPT, now)).to.deep.equal({ userId: USER });
    expect(tokens.verify(token, ATTEMPT, now + 5 * 60_000 - 1000)).to.deep.equal({ userId: USER });
    expect(tokens.verify(token, ATTEMPT, now + 5 * 60_000), 'expired').to.equal(undefined);
    expect(tokens.verify(token, OTHER_ATTEMPT, now), 'another attempt').to.equal(undefined);
  });

  it('refuses a token altered in any part, or signed with another secret', () => {
    const token = tokens.issue(ATTEMPT, USER, now);
    const [attempt, user, expires, mac] = token.split('.');
    const altered = [
      [attempt, '99999999-2222-4333-8444-555555555555', expires, mac],
      [attempt, user, String(Number(expires) + 3600), mac],
      [attempt, user, expires, `${mac.slice(0, -1)}${mac.endsWith('A') ? 'B' : 'A'}`],
      [attempt, user, expires, ''],
      [attempt, user, expires],
    ].map((parts) => parts.join('.'));
    for (const t of [...altered, '', 'not a token', `${token}.extra`, 'x'.repeat(500)]) expect(tokens.verify(t, ATTEMPT, now), t).to.equal(undefined);
    expect(commitTokens(`${SECRET}-other`, 5 * 60_000).verify(token, ATTEMPT, now)).to.equal(undefined);
  });

  it('lasts five minutes, or half the session idle timeout when that is shorter', () => {
    expect(commitTokenLifetimeMs(60)).to.equal(5 * 60_000);
    expect(commitTokenLifetimeMs(5)).to.equal(2.5 * 60_000);
  });
});
