/** An error whose message is safe and useful to show the person who caused it. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export class NotFoundError extends HttpError {
  constructor(what = 'page') {
    super(404, `We could not find that ${what}.`);
  }
}

/**
 * Codes the pg driver and PostgreSQL use when the database cannot be reached or is shutting
 * down, and when it is too busy to answer in time: a statement cancelled by statement_timeout
 * (57014) or a lock wait given up (55P03). Each is "try again later" for the person asking.
 */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08003',
  '08006',
  '08001',
  '08004',
  '57014',
  '55P03',
  '53300',
]);

export function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  if (e?.code && UNAVAILABLE_CODES.has(e.code)) return true;
  const msg = e?.message ?? '';
  return /Connection terminated|timeout exceeded when trying to connect|connect ECONNREFUSED|Client has encountered a connection error|Query read timeout|Connection terminated unexpectedly/i.test(
    msg,
  );
}

/**
 * A mistake the person running a command can put right (a missing flag, a file
 * that is not there, a slug that does not exist): the CLI prints the message
 * alone and exits with 2, and a page shows it as a 400. Modules raise it, or a
 * subclass naming their own kind of mistake, instead of telling errors apart
 * by their name.
 */
export class UsageError extends Error {
  override name = 'UsageError';
}
