import path from 'node:path';
import fs from 'node:fs';
import os from 'node:os';
import type { Role } from '../../server/access';
import type { Config } from '../../server/config';
import { createUser } from '../../server/auth/users';
import { DEMO_PASSWORD, seedDemoPartnership } from '../../server/demo';
import { createLogger, type Logger } from '../../server/logger';
import { type RunningProduct, startProduct } from '../../server/runtime';
import argon2 from 'argon2';
import pg from 'pg';
import { createTestDatabase, type DatabaseTemplate, TEST_DB, TEST_POSTGRES_URL, type TestDatabase, testConfig } from './database';

export interface TestServer {
  url: string;
  product: RunningProduct;
  testDb: TestDatabase;
  close(): Promise<void>;
}

interface DemoTemplate extends DatabaseTemplate {
  /** The demo's imported SCORM content, copied into each server's own folder. */
  scormDir: string;
  /**
   * PGlite: a dump of the same database before the demo was seeded (migrated, with
   * the modules' start-up data, as any first start leaves it). Suites that start
   * without the demo start from it: a new PGlite database's initdb and migrations
   * took about ten seconds of a core each, against one for loading a dump.
   */
  emptyPgliteDump?: Blob;
}
let demoTemplate: Promise<DemoTemplate> | undefined;

/**
 * The demo partnership is seeded once per test process and each suite that
 * asks for it starts from a copy (a template database on PostgreSQL, a dump
 * on PGlite): seeding it anew for each of some thirty suites was a large part
 * of CI's time. Every suite still gets its own database to change.
 */
export function seededDemo(): Promise<DemoTemplate> {
  demoTemplate ??= (async () => {
    await dropAbandonedTemplates();
    const testDb = await createTestDatabase();
    const scormDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lms-demo-scorm-'));
    const config = testConfig({ databaseUrl: testDb.databaseUrl, scormDir });
    const product = await startProduct(config, { logger: createLogger(config), database: testDb.database, role: 'test' });
    const emptyPgliteDump = await testDb.database.dump?.();
    await seedDemoPartnership(product);
    // The demo accounts share one hash of the demo password: the template keeps a cheap one.
    await product.database.pool.query(
      `update users set password_hash = $1 where password_hash = (select password_hash from users where email = 'admin@vale-partnership.example')`,
      [await cheapPasswordHash(DEMO_PASSWORD)],
    );
    const pgliteDump = await testDb.database.dump?.();
    await product.stop();
    let postgresName: string | undefined;
    if (testDb.databaseUrl) {
      postgresName = `lms_demo_tpl_${process.pid}`;
      await adminQuery(`alter database ${new URL(testDb.databaseUrl).pathname.slice(1)} rename to ${postgresName}`);
    }
    process.once('exit', () => fs.rmSync(scormDir, { recursive: true, force: true }));
    return { postgresName, pgliteDump, scormDir, emptyPgliteDump };
  })();
  return demoTemplate;
}

async function adminQuery(sql: string): Promise<{ datname: string }[]> {
  const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await admin.connect();
  try {
    // A database just closed may still show its last connection for a moment.
    for (let attempt = 0; ; attempt++) {
      try {
        return (await admin.query<{ datname: string }>(sql)).rows;
      } catch (err) {
        if (attempt >= 50 || !/being accessed by other users/.test(String(err))) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } finally {
    await admin.end();
  }
}

/** Demo templates left by test processes that have ended. */
async function dropAbandonedTemplates(): Promise<void> {
  if (TEST_DB !== 'postgres') return;
  const rows = await adminQuery(`select datname from pg_database where datname like 'lms_demo_tpl_%'`);
  for (const { datname } of rows) {
    const pid = Number(datname.split('_').pop());
    let alive = true;
    try {
      process.kill(pid, 0);
    } catch {
      alive = false;
    }
    if (!alive) await adminQuery(`drop database if exists ${datname} with (force)`).catch(() => {});
  }
}

/** The whole product on a fresh database and a random port, as a user would reach it. */
export async function startTestServer(options: { config?: Partial<Config>; demo?: boolean; logger?: Logger } = {}): Promise<TestServer> {
  const demo = await seededDemo();
  const testDb = await createTestDatabase(options.demo ? demo : { pgliteDump: demo.emptyPgliteDump });
  const scormDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lms-scorm-'));
  if (options.demo) fs.cpSync(demo.scormDir, scormDir, { recursive: true });
  const config = testConfig({ databaseUrl: testDb.databaseUrl, scormDir, ...options.config });
  const product = await startProduct(config, { logger: options.logger ?? createLogger(config), database: testDb.database, role: 'test' });
  return {
    url: product.url,
    product,
    testDb,
    async close() {
      // stop() closes the database too; drop() then removes the test database.
      await product.stop();
      await testDb.drop().catch(() => {});
      fs.rmSync(scormDir, { recursive: true, force: true });
    },
  };
}

export const TEST_PASSWORD = 'correct horse battery staple';

const cheapHashes = new Map<string, Promise<string>>();
/**
 * An argon2id hash of `password` at the lowest cost argon2 allows, made once per
 * process, for the accounts tests make (addUser and the demo's). argon2 verifies a
 * password at the cost written in its hash, and at the product's cost each of the
 * suites' hundreds of sign-ins took about half a second of a core. Passwords people
 * set through the product are still hashed at its cost (server/auth/users.ts,
 * whose unit test holds that cost).
 */
export function cheapPasswordHash(password: string): Promise<string> {
  let hash = cheapHashes.get(password);
  if (!hash) {
    hash = argon2.hash(password, { type: argon2.argon2id, memoryCost: 1024, timeCost: 1, parallelism: 1 });
    cheapHashes.set(password, hash);
  }
  return hash;
}

export async function addUser(
  server: TestServer,
  role: Role,
  options: { email?: string; organisationSlug?: string; name?: string; emailProven?: boolean } = {},
): Promise<{ id: string; email: string }> {
  const pool = server.product.database.pool;
  let organisationId: string | null = null;
  if (options.organisationSlug) {
    const { rows } = await pool.query<{ id: string }>('select id from organisations where slug = $1', [options.organisationSlug]);
    organisationId = rows[0]?.id ?? null;
  }
  const email = options.email ?? `${role}.${Math.random().toString(36).slice(2, 8)}@test.example`;
  const id = await createUser(pool, {
    email,
    name: options.name ?? `Test ${role}`,
    passwordHash: await cheapPasswordHash(TEST_PASSWORD),
    roles: [{ role, organisationId }],
    emailProven: options.emailProven ?? true,
  });
  return { id, email };
}

/**
 * A browser-like HTTP client: keeps cookies, and finds the CSRF token on the
 * page it last loaded so form posts work as they do for a person.
 */
export class TestAgent {
  private cookies = new Map<string, string>();
  csrfToken?: string;

  constructor(readonly baseUrl: string) {}

  private cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private keepCookies(res: Response): void {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const [k, v] = pair.split('=');
      this.cookies.set(k.trim(), v);
    }
  }

  async request(method: string, pathname: string, init: { body?: BodyInit; headers?: Record<string, string> } = {}): Promise<Response> {
    const res = await fetch(new URL(pathname, this.baseUrl), {
      method,
      body: init.body,
      headers: { cookie: this.cookieHeader(), ...init.headers },
      redirect: 'manual',
    });
    this.keepCookies(res);
    return res;
  }

  /** GET a page and remember its CSRF token. Returns status and HTML. */
  async get(pathname: string): Promise<{ status: number; text: string; res: Response }> {
    const res = await this.request('GET', pathname, { headers: { accept: 'text/html' } });
    const text = await res.text();
    const m = text.match(/name="_csrf" value="([^"]+)"/);
    if (m) this.csrfToken = m[1];
    return { status: res.status, text, res };
  }

  async getJson(pathname: string): Promise<{ status: number; body: any }> {
    const res = await this.request('GET', pathname, { headers: { accept: 'application/json' } });
    return { status: res.status, body: await res.json() };
  }

  /** POST a form as the browser would, with the CSRF token of the last page. */
  async postForm(pathname: string, fields: Record<string, string | string[]>): Promise<Response> {
    if (!this.csrfToken) await this.get('/sign-in');
    const body = new URLSearchParams();
    body.append('_csrf', this.csrfToken ?? '');
    for (const [k, v] of Object.entries(fields)) for (const item of Array.isArray(v) ? v : [v]) body.append(k, item);
    return this.request('POST', pathname, { body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  }

  async postJson(pathname: string, payload: unknown): Promise<Response> {
    if (!this.csrfToken) await this.get('/sign-in');
    return this.request('POST', pathname, {
      body: JSON.stringify(payload),
      headers: { 'content-type': 'application/json', 'x-csrf-token': this.csrfToken ?? '', accept: 'application/json' },
    });
  }

  async signIn(email: string, password = TEST_PASSWORD): Promise<void> {
    await this.get('/sign-in');
    const res = await this.postForm('/sign-in', { email, password });
    if (res.status !== 302) throw new Error(`sign-in as ${email} failed with ${res.status}: ${(await res.text()).slice(0, 300)}`);
    await this.get('/');
  }
}
