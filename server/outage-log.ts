import type { Logger } from './logger';

/** The log message for a rejected promise nobody handled (server/main.ts); the child-process tests look for it. */
export const UNHANDLED_REJECTION = 'unhandled promise rejection';

/**
 * One part of the product losing something it depends on (the database, the
 * mail server) and getting it back. During an outage the same failure comes
 * again on every retry, poll and dropped connection; an operator needs to read
 * when it began, what it was and when it ended, not thousands of repeats. So
 * the first failure is logged with its context, the rest are counted, and the
 * recovery is logged once with how long it took and how many were not shown.
 */
export interface OutageLog {
  /** Something failed: logged if this starts an outage, counted otherwise. */
  failed(err: unknown, context?: Record<string, unknown>): void;
  /** Something worked: ends the outage (and logs that) if there was one. */
  recovered(context?: Record<string, unknown>): void;
  readonly failing: boolean;
}

/** An error as log fields: its message, and its code when it has one (ECONNREFUSED, 57P01...). */
export function errorFields(err: unknown): { err: string; code?: string } {
  const e = err as { message?: unknown; code?: unknown } | undefined;
  const message = typeof e?.message === 'string' ? e.message : String(err);
  return typeof e?.code === 'string' ? { err: message, code: e.code } : { err: message };
}

export function createOutageLog(logger: Logger, messages: { down: string; up: string }): OutageLog {
  let since: number | undefined;
  let repeats = 0;
  return {
    get failing() {
      return since !== undefined;
    },
    failed(err, context = {}) {
      if (since !== undefined) {
        repeats++;
        return;
      }
      since = Date.now();
      repeats = 0;
      logger.warn({ ...context, ...errorFields(err) }, messages.down);
    },
    recovered(context = {}) {
      if (since === undefined) return;
      logger.info({ ...context, outageSeconds: Math.round((Date.now() - since) / 100) / 10, repeatedFailures: repeats }, messages.up);
      since = undefined;
    },
  };
}
