import path from 'node:path';
import fs from 'node:fs';
import os from 'node:os';
import type { Role } from '../../server/access';
import type { Config } from '../../server/config';
import { createUser } from '../../server/auth/users';
import { seedDemoPartnership } from '../../server/demo';
import { createLogger } from '../../server/logger';
import { type RunningProduct, startProduct } from '../../server/runtime';
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
    await seedDemoPartnership(product);
    const pgliteDump = await testDb.database.dump?.();
    await product.stop();
    let postgresName: string | undefined;
    if (testDb.databaseUrl) {
      postgresName = `lms_demo_tpl_${process.pid}`;
      await adminQuery(`alter database ${new URL(testDb.databaseUrl).pathname.slice(1)} rename to ${postgresName}`);
    }
    process.once('exit', () => fs.rmSync(scormDir, { recursive: true, force: true }));
    return { postgresName, pgliteDump, scormDir };
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
export async function startTestServer(options: { config?: Partial<Config>; demo?: boolean } = {}): Promise<TestServer> {
  const template = options.demo ? await seededDemo() : undefined;
  const testDb = await createTestDatabase(template);
  const scormDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lms-scorm-'));
  if (template) fs.cpSync(template.scormDir, scormDir, { recursive: true });
  const config = testConfig({ databaseUrl: testDb.databaseUrl, scormDir, ...options.config });
  const product = await startProduct(config, { logger: createLogger(config), database: testDb.database, role: 'test' });
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

export async function addUser(server: TestServer, role: Role, options: { email?: string; organisationSlug?: string; name?: string } = {}): Promise<{ id: string; email: string }> {
  const pool = server.product.database.pool;
  let organisationId: string | null = null;
  if (options.organisationSlug) {
    const { rows } = await pool.query<{ id: string }>('select id from organisations where slug = $1', [options.organisationSlug]);
    organisationId = rows[0]?.id ?? null;
  }
  const email = options.email ?? `${role}.${Math.random().toString(36).slice(2, 8)}@test.example`;
  const id = await createUser(pool, { email, name: options.name ?? `Test ${role}`, password: TEST_PASSWORD, roles: [{ role, organisationId }] });
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
