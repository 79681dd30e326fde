import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ensurePrivateDir, SharedFolderError } from './private-files';

/**
 * Everything the product reads from its environment, validated once at start.
 * A bad value stops the server with a message that names the variable, so an
 * operator never has to read a stack trace to find a typo.
 */
const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://')
    .optional(),
  DATABASE_REPLICA_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://')
    .optional(),
  PUBLIC_URL: z.string().url('must be a full URL such as https://training.example.org.uk').optional(),
  CONTENT_URL: z.string().url('must be a full URL such as https://elearning-content.example.net').optional(),
  SESSION_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\//, 'must start with smtp:// or smtps://')
    .optional(),
  MAIL_FROM: z.string().min(3).default('Domestic Abuse Training <training@localhost>'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DEMO_DATA: z.enum(['true', 'false']).optional(),
  SESSION_IDLE_MINUTES: z.coerce
    .number()
    .int()
    .min(5)
    .max(24 * 60)
    .default(60),
  JOBS: z.enum(['true', 'false']).default('true'),
  JOBS_POLL_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
  SCORM_MAX_UPLOAD_MB: z.coerce.number().int().min(1).max(10_000).default(500),
  SCORM_MAX_FILES: z.coerce.number().int().min(1).max(1_000_000).default(20_000),
  TRUST_PROXY: z.enum(['true', 'false']).default('false'),
  // Above the slowest statement the background jobs run on a large partnership,
  // and no longer than a load balancer usually waits for an answer.
  DATABASE_STATEMENT_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
  DATABASE_POOL_WAIT_SECONDS: z.coerce.number().int().min(1).max(300).default(5),
  METRICS: z.enum(['true', 'false']).default('false'),
  METRICS_TOKEN: z.string().min(32, 'must be at least 32 characters (for example: openssl rand -hex 32)').optional(),
  SCORM_DIR: z.string().min(1).optional(),
  // Spaces alone mean "not set", as for an empty value.
  BOARD_SUPPRESSION_THRESHOLD: z
    .string()
    .trim()
    .refine((v) => v === '' || wholeNumberFrom(Number(v), 3, 50), 'must be a whole number from 3 to 50')
    .transform((v) => (v === '' ? undefined : Number(v)))
    .optional(),
  LEAVER_RETENTION_MONTHS: z
    .string()
    .trim()
    .refine((v) => /^\d{1,4}$/.test(v) && wholeNumberFrom(Number(v), 1, 1200), 'must be a whole number of months from 1 to 1200')
    .transform(Number)
    .optional(),
});

function wholeNumberFrom(n: number, min: number, max: number): boolean {
  return Number.isInteger(n) && n >= min && n <= max;
}

export interface Config {
  env: 'development' | 'production' | 'test';
  port: number;
  host: string;
  dataDir: string;
  /** Set when the operator runs on their own PostgreSQL; absent means embedded PGlite. */
  databaseUrl?: string;
  /**
   * A streaming replica of DATABASE_URL (DATABASE_REPLICA_URL): reads that
   * tolerate a few seconds' lag (board coverage and reports, licensing) go
   * there. Absent: every read goes to DATABASE_URL.
   */
  databaseReplicaUrl?: string;
  publicUrl: string;
  /**
   * Where imported e-learning content is served from (CONTENT_URL): an origin
   * that never holds a session. Absent: content.localhost on the same server
   * and port, which browsers resolve to this machine with no configuration.
   */
  contentUrl?: string;
  /** True when PUBLIC_URL is https, so cookies are marked secure. */
  secureCookies: boolean;
  sessionSecret: string;
  smtpUrl?: string;
  mailFrom: string;
  logLevel: string;
  /** Load the demo partnership on first start of an empty database. */
  demoData: boolean;
  sessionIdleMinutes: number;
  jobsEnabled: boolean;
  jobsPollSeconds: number;
  scormMaxUploadBytes: number;
  scormMaxFiles: number;
  scormDir: string;
  trustProxy: boolean;
  /** Longest one database statement of a request or job may run before it is cancelled. */
  statementTimeoutSeconds: number;
  /** Longest a request waits for a database connection before it answers 503. */
  databasePoolWaitSeconds: number;
  /** Set only when METRICS=true: the bearer token Prometheus sends for /metrics. */
  metricsToken?: string;
  /** BOARD_SUPPRESSION_THRESHOLD: board figures' small-number threshold when the partnership has set none (absent: 5). */
  boardSuppressionThreshold?: number;
  /** LEAVER_RETENTION_MONTHS: how long a leaver's details are kept when the partnership has set no period (absent: 72 months). */
  leaverRetentionMonths?: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`The server cannot start because of its configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Embedded mode keeps a generated session secret beside the data, so sessions
 * survive a restart without the operator having to invent one.
 */
function sessionSecretFor(dataDir: string, given: string | undefined, embedded: boolean): string {
  if (given) return given;
  if (!embedded) {
    throw new ConfigError(['SESSION_SECRET: required when DATABASE_URL is set (at least 32 random characters)']);
  }
  try {
    ensurePrivateDir(dataDir);
  } catch (err) {
    if (err instanceof SharedFolderError) throw new ConfigError([`DATA_DIR: ${err.message}`]);
    throw err;
  }
  const file = path.join(dataDir, 'session-secret');
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  const secret = randomBytes(48).toString('base64url');
  fs.writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Package content runs other people's scripts, so it is served from an origin
 * of its own. Cookies are kept per host name whatever the port, so that
 * origin must have a host name different from the product's; on a public
 * address it should not share the product's site either (see the README).
 */
function contentUrlFor(publicUrl: string, given: string | undefined, env: string): string | undefined {
  const product = new URL(publicUrl);
  if (!given) {
    if (env === 'production' && !LOOPBACK.has(product.hostname)) {
      throw new ConfigError([
        'CONTENT_URL: required when PUBLIC_URL is not a loopback address, so e-learning content is served from a host name that holds no session (e.g. https://elearning-content.example.net)',
      ]);
    }
    return undefined;
  }
  const content = new URL(given);
  const problems: string[] = [];
  if (content.protocol !== 'http:' && content.protocol !== 'https:') problems.push('CONTENT_URL: must start with http:// or https://');
  if (content.pathname !== '/' || content.search || content.hash || content.username || content.password)
    problems.push('CONTENT_URL: must be only a scheme, host name and optional port, such as https://elearning-content.example.net');
  if (content.hostname === product.hostname)
    problems.push(`CONTENT_URL: must have a host name other than PUBLIC_URL's (${product.hostname}): browsers share cookies between ports of one host`);
  if (product.protocol === 'https:' && content.protocol !== 'https:') problems.push('CONTENT_URL: must be https when PUBLIC_URL is');
  if (problems.length) throw new ConfigError(problems);
  return content.origin;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings mean "not set": shells and .env files often leave them.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = EnvSchema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message} (got "${String(cleaned[i.path[0] as string] ?? '')}")`));
  }
  const e = parsed.data;
  const dataDir = path.resolve(e.DATA_DIR);
  const embedded = !e.DATABASE_URL;
  const publicUrl = (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, '');
  const contentUrl = contentUrlFor(publicUrl, e.CONTENT_URL, e.NODE_ENV);
  if (e.METRICS === 'true' && !e.METRICS_TOKEN) {
    throw new ConfigError([
      'METRICS_TOKEN: required when METRICS=true, so only your Prometheus can read /metrics (at least 32 random characters, for example: openssl rand -hex 32)',
    ]);
  }
  if (e.DATABASE_REPLICA_URL && !e.DATABASE_URL) {
    throw new ConfigError(['DATABASE_REPLICA_URL: needs DATABASE_URL (the primary it replicates); the embedded database has no replicas']);
  }
  return {
    env: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    dataDir,
    databaseUrl: e.DATABASE_URL,
    databaseReplicaUrl: e.DATABASE_REPLICA_URL,
    publicUrl,
    contentUrl,
    secureCookies: publicUrl.startsWith('https://'),
    sessionSecret: sessionSecretFor(dataDir, e.SESSION_SECRET, embedded),
    smtpUrl: e.SMTP_URL,
    mailFrom: e.MAIL_FROM,
    logLevel: e.LOG_LEVEL,
    demoData: e.DEMO_DATA ? e.DEMO_DATA === 'true' : embedded,
    sessionIdleMinutes: e.SESSION_IDLE_MINUTES,
    jobsEnabled: e.JOBS === 'true',
    jobsPollSeconds: e.JOBS_POLL_SECONDS,
    scormMaxUploadBytes: e.SCORM_MAX_UPLOAD_MB * 1024 * 1024,
    scormMaxFiles: e.SCORM_MAX_FILES,
    scormDir: path.resolve(e.SCORM_DIR || path.join(dataDir, 'scorm')),
    trustProxy: e.TRUST_PROXY === 'true',
    statementTimeoutSeconds: e.DATABASE_STATEMENT_TIMEOUT_SECONDS,
    databasePoolWaitSeconds: e.DATABASE_POOL_WAIT_SECONDS,
    metricsToken: e.METRICS === 'true' ? e.METRICS_TOKEN : undefined,
    boardSuppressionThreshold: e.BOARD_SUPPRESSION_THRESHOLD,
    leaverRetentionMonths: e.LEAVER_RETENTION_MONTHS,
  };
}
