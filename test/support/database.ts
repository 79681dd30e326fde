import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Config } from '../../server/config';
import { type Database, openDatabase } from '../../server/db';
import { createLogger } from '../../server/logger';

/** Which database the suite runs on: TEST_DB=pglite (default) or TEST_DB=postgres. */
export const TEST_DB = (process.env.TEST_DB ?? 'pglite') as 'pglite' | 'postgres';
/** The PostgreSQL server that holds test databases (one new database per call). */
export const TEST_POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  /** DATABASE_URL for a config, or undefined for in-memory PGlite. */
  databaseUrl?: string;
  /** The opened database, for tests that call stores directly. */
  database: Database;
  drop(): Promise<void>;
}

/** Where a test database starts from when not empty: a seeded one kept as a template. */
export interface DatabaseTemplate {
  /** PostgreSQL: the template database's name. */
  postgresName?: string;
  /** PGlite: a dump of the seeded in-memory database. */
  pgliteDump?: Blob;
}

/**
 * A fresh database for one test file: a new in-memory PGlite, or a new
 * database on the test PostgreSQL server that is dropped afterwards; empty,
 * or a copy of a template.
 */
export async function createTestDatabase(from: DatabaseTemplate = {}): Promise<TestDatabase> {
  const logger = createLogger({ env: 'test', logLevel: 'warn' });
  if (TEST_DB === 'postgres') {
    const name = `lms_test_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
    await admin.connect();
    try {
      // A template may still show its last closed connection for a moment.
      for (let attempt = 0; ; attempt++) {
        try {
          await admin.query(from.postgresName ? `create database ${name} template ${from.postgresName}` : `create database ${name}`);
          break;
        } catch (err) {
          if (!from.postgresName || attempt >= 50 || !/being accessed by other users/.test(String(err))) throw err;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    } finally {
      await admin.end();
    }
    const url = new URL(TEST_POSTGRES_URL);
    url.pathname = `/${name}`;
    const databaseUrl = url.toString();
    const database = await openDatabase({ databaseUrl, dataDir: '/nonexistent' }, logger, { role: 'test' });
    return {
      databaseUrl,
      database,
      async drop() {
        await database.close();
        const c = new pg.Client({ connectionString: TEST_POSTGRES_URL });
        await c.connect();
        await c.query(`drop database if exists ${name} with (force)`);
        await c.end();
      },
    };
  }
  const database = await openDatabase({ dataDir: '/nonexistent' }, logger, { role: 'test', inMemory: true, loadDataDir: from.pgliteDump });
  return { database, drop: () => database.close() };
}

/** A config for tests: random port, no demo data, no background jobs unless asked. */
export function testConfig(overrides: Partial<Config> = {}): Config {
  return {
    env: 'test',
    port: 0,
    host: '127.0.0.1',
    dataDir: '/nonexistent',
    databaseUrl: undefined,
    publicUrl: 'http://127.0.0.1',
    secureCookies: false,
    sessionSecret: 'test-secret-test-secret-test-secret-0123456789',
    smtpUrl: undefined,
    mailFrom: 'Training <training@test.example>',
    logLevel: 'warn',
    demoData: false,
    sessionIdleMinutes: 60,
    jobsEnabled: false,
    jobsPollSeconds: 1,
    scormMaxUploadBytes: 500 * 1024 * 1024,
    scormMaxFiles: 20_000,
    scormDir: '/tmp/lms-test-scorm',
    trustProxy: false,
    statementTimeoutSeconds: 60,
    databasePoolWaitSeconds: 5,
    ...overrides,
  };
}
