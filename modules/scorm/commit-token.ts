import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * A commit token: proof, signed by this service, that one person may store
 * run-time data for one attempt until a time a few minutes away.
 *
 * The player commits every few seconds. Reading the session and the caller
 * on each commit cost more than storing the data (issue 10), so the player
 * sends this token in an `x-commit-token` header and the commit is accepted
 * without the session store. It is also proof against cross-site requests: a
 * page on another site cannot set the header, and does not know the token.
 *
 * It expires soon, so the player's next commit after that goes the session
 * way (cookie and CSRF token), which keeps the session alive while someone is
 * learning, ends it as usual when they stop, and hands back a fresh token.
 * A token that is wrong, expired or for another attempt is simply ignored and
 * the session decides, so the token never lets through what the session would
 * refuse, beyond storing data for this attempt for at most its lifetime after
 * signing out. A disabled account is refused at once: the commit checks it.
 */
export interface CommitTokens {
  issue(attemptId: string, userId: string, now?: number): string;
  /** The person the token is for, when it is genuine, unexpired and for this attempt. */
  verify(token: string, attemptId: string, now?: number): { userId: string } | undefined;
  lifetimeMs: number;
}

/** At most five minutes, and well inside the session's idle timeout. */
export function commitTokenLifetimeMs(sessionIdleMinutes: number): number {
  return Math.min(5, sessionIdleMinutes / 2) * 60_000;
}

/** Enough for every learner one server process serves at once. */
const CHECKED_LIMIT = 50_000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function commitTokens(secret: string, lifetimeMs: number): CommitTokens {
  // A key of its own, so a commit token can never pass for a session cookie or an unsubscribe link.
  const key = createHmac('sha256', secret).update('scorm commit token v1').digest();
  const mac = (claims: string) => createHmac('sha256', key).update(claims).digest('base64url');
  // Tokens already found genuine, so the player's commits every few seconds do not each pay for
  // an HMAC. Keyed by the whole token: only a token byte-for-byte the same as a checked one hits.
  const checked = new Map<string, { attemptId: string; userId: string; expiresMs: number }>();
  return {
    lifetimeMs,
    issue(attemptId, userId, now = Date.now()) {
      const claims = `${attemptId}.${userId}.${Math.floor((now + lifetimeMs) / 1000)}`;
      return `${claims}.${mac(claims)}`;
    },
    verify(token, attemptId, now = Date.now()) {
      const known = checked.get(token);
      if (known) return known.attemptId === attemptId && known.expiresMs > now ? { userId: known.userId } : undefined;
      if (token.length > 200) return undefined;
      const parts = token.split('.');
      if (parts.length !== 4) return undefined;
      const [forAttempt, userId, expires, given] = parts;
      if (forAttempt !== attemptId || !UUID.test(userId) || !/^\d{1,12}$/.test(expires)) return undefined;
      const expected = Buffer.from(mac(`${forAttempt}.${userId}.${expires}`));
      const sent = Buffer.from(given);
      if (sent.length !== expected.length || !timingSafeEqual(sent, expected)) return undefined;
      const expiresMs = Number(expires) * 1000;
      if (expiresMs <= now) return undefined;
      // Starting again costs one HMAC per learner, once.
      if (checked.size >= CHECKED_LIMIT) checked.clear();
      checked.set(token, { attemptId, userId, expiresMs });
      return { userId };
    },
  };
}
