import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';

type Queryable = Pool | PoolClient;

/**
 * Sign-in limits count failures only:
 * - per address typed and network address: a guesser from one place is
 *   stopped after a few tries at one account, and stops only themselves;
 * - per address typed, from anywhere: guessing spread over many places slows
 *   to a few tries per window. While an address is over this limit, passwords
 *   are accepted for it only from a browser that has signed in to that account
 *   before (a signed "known browser" cookie), so an attacker cannot keep the
 *   real person out of their usual browser; anyone else resets their password
 *   by the emailed link, which clears the count.
 * Unknown addresses are counted and refused exactly like known ones, so
 * nothing here says whether an account exists.
 */
export const FAILURES_PER_ADDRESS_AND_IP = 5;
export const FAILURES_PER_ADDRESS = 10;
export const FAILURE_WINDOW_MINUTES = 15;
/** Failures from one network address, across all accounts, before it waits (an office shares one). */
export const FAILURES_PER_IP = 100;
export const KNOWN_BROWSER_COOKIE = 'dal.known';
export const KNOWN_BROWSER_DAYS = 365;

export interface FailureCounts {
  fromThisIp: number;
  fromAnywhere: number;
}

export function isThrottled(counts: FailureCounts, knownBrowser: boolean): boolean {
  if (knownBrowser) return false;
  return counts.fromThisIp >= FAILURES_PER_ADDRESS_AND_IP || counts.fromAnywhere >= FAILURES_PER_ADDRESS;
}

export async function failureCounts(db: Queryable, address: string, ip: string): Promise<FailureCounts> {
  const { rows } = await db.query<{ here: number; anywhere: number }>(
    `select count(*) filter (where ip = $2)::int as here, count(*)::int as anywhere
       from sign_in_failures where address = $1 and at > now() - make_interval(mins => $3)`,
    [address, ip, FAILURE_WINDOW_MINUTES],
  );
  return { fromThisIp: rows[0]?.here ?? 0, fromAnywhere: rows[0]?.anywhere ?? 0 };
}

/** Records a failure; returns the counts afterwards. Old rows are cleared now and then. */
export async function recordFailure(db: Queryable, address: string, ip: string): Promise<FailureCounts> {
  await db.query('insert into sign_in_failures (address, ip) values ($1, $2)', [address, ip]);
  if (Math.random() < 0.02) await db.query(`delete from sign_in_failures where at < now() - interval '1 day'`);
  return failureCounts(db, address, ip);
}

/** True for the failure that starts a limit: the moment worth an audit entry. */
export function startsThrottle(counts: FailureCounts): boolean {
  return counts.fromThisIp === FAILURES_PER_ADDRESS_AND_IP || counts.fromAnywhere === FAILURES_PER_ADDRESS;
}

/** A password reset or an administrator's unlock starts the count again. */
export async function clearFailures(db: Queryable, address: string): Promise<void> {
  await db.query('delete from sign_in_failures where address = $1', [address.trim().toLowerCase()]);
}

function mac(secret: string, userId: string): string {
  return createHmac('sha256', secret).update(`known-browser:${userId}`).digest('base64url');
}

export function knownBrowserValue(secret: string, userId: string): string {
  return `${userId}.${mac(secret, userId)}`;
}

/** The account this browser has signed in to before, if the cookie is one this service made. */
export function knownBrowserUser(secret: string, value: string | undefined): string | undefined {
  const [userId, given] = (value ?? '').split('.');
  if (!userId || !given) return undefined;
  const expected = mac(secret, userId);
  return given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected)) ? userId : undefined;
}
