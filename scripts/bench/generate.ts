/**
 * Builds the benchmark data set: a whole partnership at the size a county or
 * a national roll-out would have, in a fresh PostgreSQL database, the same for
 * the same seed and as-of day.
 *
 *   npm run bench:generate -- [--seed 1] [--organisations 100] [--staff 200000]
 *                              [--evidence 2000000] [--largest N] [--as-of YYYY-MM-DD] [--database-url URL]
 *   npm run bench:generate -- --national   (500 organisations, 1,000,000 staff,
 *                              10,000,000 evidence records, none over 25,000 staff)
 *
 * --largest caps an organisation's staff: a national roll-out is many employers,
 * the largest (a big NHS trust, a metropolitan police force) at about 25,000,
 * not one employer with a twelfth of the country.
 *
 * The database (default postgres://postgres@127.0.0.1:5432/lms_bench) is
 * dropped and made again, migrated with the product's own migrations (which
 * also load the Somerset framework), the two real SCORM fixture packages are
 * imported through the real importer, and every other table is filled with
 * COPY from generated rows: organisations (some out of area, with licences),
 * users and roles, staff in the four groups with teams, start and leaving
 * dates, group history (and its audit entries), courses, five years of
 * evidence (e-learning attempts with their CMI data, face-to-face sessions
 * with bookings and registers, sign-offs, prior learning, corrections and
 * withdrawals), and course certificates. What it made is recorded in the
 * table bench_data_set, which scripts/bench/run.ts reads.
 */
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Writable } from 'node:stream';
import pg, { type Pool } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { ALPHABET, checkCharacter } from '../../modules/certificates/codes';
import { complianceForOrganisation } from '../../modules/compliance/service';
import { importPackage } from '../../modules/scorm/service';
import { hashPassword } from '../../server/auth/users';
import { readFlags } from '../../server/cli-args';
import type { Config } from '../../server/config';
import { openDatabase } from '../../server/db';
import { UsageError } from '../../server/errors';
import { createLogger } from '../../server/logger';
import { prepare } from '../../server/runtime';

export const DEFAULT_BENCH_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/lms_bench';
export const BENCH_SCORM_DIR = process.env.BENCH_SCORM_DIR ?? path.join(os.tmpdir(), 'lms-bench-scorm');
/** Every generated account has this password (stored as one argon2 hash), so benchmarks can sign people in. */
export const BENCH_PASSWORD = 'bench-learning-2026';
const FIXTURES = process.env.SCORM_FIXTURES ?? path.resolve(__dirname, '../../../shared/scorm-fixtures');

export interface GenerateOptions {
  seed: number;
  organisations: number;
  staff: number;
  evidence: number;
  /** No organisation gets more staff than this (what is left goes to the others). */
  largest?: number;
  asOf: string;
  databaseUrl: string;
  log?: (message: string) => void;
}

/** The national step of issue 26: a region's or England's employers in one partnership. */
export const NATIONAL = { organisations: 500, staff: 1_000_000, evidence: 10_000_000, largest: 25_000 } as const;

export interface DataSetRecord {
  seed: number;
  asOf: string;
  organisations: number;
  staff: number;
  evidence: number;
  users: number;
  scormAttempts: number;
  trainingSessions: number;
  bookings: number;
  certificates: number;
  largestOrganisation: { slug: string; staff: number };
  generatedSeconds: number;
  password: string;
  scormDir: string;
}

/** A config for the product against the bench database (no demo data, no jobs). */
export function benchConfig(databaseUrl: string, overrides: Partial<Config> = {}): Config {
  return {
    env: 'production',
    port: 0,
    host: '127.0.0.1',
    dataDir: path.join(os.tmpdir(), 'lms-bench-data'),
    databaseUrl,
    publicUrl: 'http://127.0.0.1',
    secureCookies: false,
    sessionSecret: 'bench-secret-bench-secret-bench-secret-0123456789',
    smtpUrl: undefined,
    mailFrom: 'Training <training@bench.example>',
    logLevel: 'warn',
    demoData: false,
    sessionIdleMinutes: 60,
    jobsEnabled: false,
    jobsPollSeconds: 30,
    scormMaxUploadBytes: 500 * 1024 * 1024,
    scormMaxFiles: 20_000,
    scormDir: BENCH_SCORM_DIR,
    trustProxy: false,
    statementTimeoutSeconds: 60,
    databasePoolWaitSeconds: 5,
    ...overrides,
  };
}

/** What the generator recorded about the data set in the bench database. */
export async function readDataSet(pool: Pool): Promise<DataSetRecord> {
  const { rows } = await pool.query<{ recorded: DataSetRecord }>('select recorded from bench_data_set where id = 1').catch(() => ({ rows: [] }));
  if (!rows[0]) throw new Error('The bench database holds no generated data set: run `npm run bench:generate` first.');
  return rows[0].recorded;
}

// ---------------------------------------------------------------- randomness

/** sfc32: small, fast and the same on every machine for the same seed. */
function prng(seed: number): () => number {
  let a = 0x9e3779b9;
  let b = 0x243f6a88;
  let c = 0xb7e15162;
  let d = seed >>> 0;
  const next = () => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 20; i++) next();
  return next;
}

class Random {
  readonly next: () => number;
  constructor(seed: number) {
    this.next = prng(seed);
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)];
  }
  uuid(): string {
    const h = (n: number) =>
      Math.floor(this.next() * 2 ** 32)
        .toString(16)
        .padStart(8, '0')
        .slice(0, n);
    const a = h(8);
    const b = h(8);
    const c = h(8);
    const d = h(8);
    return `${a}-${b.slice(0, 4)}-4${b.slice(5, 8)}-${'89ab'[parseInt(c[0], 16) & 3]}${c.slice(1, 4)}-${c.slice(4, 8)}${d}`;
  }
  code(): string {
    let payload = '';
    for (let i = 0; i < 10; i++) payload += ALPHABET[Math.floor(this.next() * ALPHABET.length)];
    return payload + checkCharacter(payload);
  }
}

// ---------------------------------------------------------------- days

const DAY_MS = 86_400_000;
const dayNumber = (iso: string) => Math.floor(Date.parse(`${iso}T00:00:00Z`) / DAY_MS);
const dayCache = new Map<number, string>();
function dayString(n: number): string {
  let s = dayCache.get(n);
  if (!s) {
    s = new Date(n * DAY_MS).toISOString().slice(0, 10);
    dayCache.set(n, s);
  }
  return s;
}
/** The same day or the Friday before, when it falls at a weekend (1970-01-01 was a Thursday). */
function weekday(n: number): number {
  const dow = (n + 4) % 7; // 0 Sunday
  return dow === 0 ? n - 2 : dow === 6 ? n - 1 : n;
}
function addMonthsDay(n: number, months: number): number {
  const d = new Date(n * DAY_MS);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth() + months;
  const last = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  return Math.floor(Date.UTC(y, m, Math.min(d.getUTCDate(), last)) / DAY_MS);
}

// ---------------------------------------------------------------- COPY

type Cell = string | number | boolean | null | undefined;

function cell(v: Cell): string {
  if (v === null || v === undefined) return '\\N';
  if (typeof v === 'boolean') return v ? 't' : 'f';
  if (typeof v === 'number') return String(v);
  return /[\\\t\n\r]/.test(v) ? v.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r') : v;
}

/** One table's COPY on its own connection, fed in 256 KB chunks with back-pressure. */
class CopyWriter {
  rows = 0;
  private chunk: string[] = [];
  private size = 0;
  private failed: Error | undefined;
  private constructor(
    private readonly client: pg.PoolClient,
    private readonly stream: Writable,
    readonly table: string,
  ) {
    stream.on('error', (err: Error) => {
      this.failed = err;
    });
  }

  static async open(pool: Pool, table: string, columns: string[]): Promise<CopyWriter> {
    const client = await pool.connect();
    // Foreign keys and triggers are checked by construction here; skipping them makes the load several times faster.
    await client.query('set session_replication_role = replica');
    const stream = client.query(copyFrom(`copy ${table} (${columns.join(', ')}) from stdin`));
    return new CopyWriter(client, stream, table);
  }

  row(values: Cell[]): void {
    const line = `${values.map(cell).join('\t')}\n`;
    this.chunk.push(line);
    this.size += line.length;
    this.rows++;
  }

  async flush(force = false): Promise<void> {
    this.check();
    if (!force && this.size < 262_144) return;
    if (!this.chunk.length) return;
    const ok = this.stream.write(this.chunk.join(''));
    this.chunk = [];
    this.size = 0;
    // A COPY error is recorded by the listener set in the constructor and thrown at the next flush.
    if (!ok && !this.failed) {
      await new Promise<void>((resolve) => {
        const done = () => {
          this.stream.off('drain', done);
          this.stream.off('error', done);
          resolve();
        };
        this.stream.on('drain', done);
        this.stream.on('error', done);
      });
    }
    this.check();
  }

  private check(): void {
    if (this.failed) throw new Error(`COPY into ${this.table} failed: ${this.failed.message}`);
  }

  async end(): Promise<void> {
    await this.flush(true);
    await new Promise<void>((resolve, reject) => {
      if (this.failed) return reject(this.failed);
      this.stream.once('finish', resolve);
      this.stream.once('error', (err: Error) => reject(new Error(`COPY into ${this.table} failed: ${err.message}`)));
      this.stream.end();
    });
    this.client.release();
  }
}

// ---------------------------------------------------------------- the partnership

const PLACES = [
  'Vale',
  'Northmoor',
  'Eastbrook',
  'Westholme',
  'Southcombe',
  'Kingsbridge',
  'Ashford',
  'Millbrook',
  'Fairhaven',
  'Oakridge',
  'Stonebury',
  'Riverside',
  'Hillcrest',
  'Marshfield',
];
const SECTOR_NAMES: Record<string, string[]> = {
  'local-authority': ['County Council', 'District Council', 'City Council', 'Borough Council'],
  health: ['NHS Foundation Trust', 'Integrated Care Board', 'Community Health Services', 'GP Federation'],
  police: ['Police'],
  probation: ['Probation Delivery Unit'],
  housing: ['Housing Association', 'Homes', 'Housing Trust'],
  education: ['College', 'Schools Trust', 'University'],
  voluntary: ["Women's Aid", 'Domestic Abuse Service', 'Family Support', 'Refuge Network', 'Citizens Advice'],
  other: ['Fire and Rescue Service', 'Job Centre Partnership', 'Ambulance Service'],
};
const SECTOR_CYCLE = [
  'local-authority',
  'health',
  'police',
  'probation',
  'housing',
  'voluntary',
  'health',
  'local-authority',
  'voluntary',
  'education',
  'housing',
  'other',
  'voluntary',
  'health',
];
const FIRST = [
  'Amelia',
  'Olivia',
  'Isla',
  'Ava',
  'Mia',
  'Ivy',
  'Lily',
  'Grace',
  'Sophia',
  'Freya',
  'Noah',
  'Oliver',
  'George',
  'Arthur',
  'Leo',
  'Harry',
  'Oscar',
  'Jack',
  'Charlie',
  'Jacob',
  'Priya',
  'Aisha',
  'Fatima',
  'Mohammed',
  'Yusuf',
  'Zofia',
  'Jakub',
  'Chloe',
  'Sam',
  'Alex',
  'Jordan',
  'Ruth',
  'Sian',
  'Rhys',
  'Niamh',
  'Callum',
  'Ellie',
  'Kiran',
  'Tomasz',
  'Hannah',
];
const LAST = [
  'Smith',
  'Jones',
  'Taylor',
  'Brown',
  'Williams',
  'Wilson',
  'Johnson',
  'Davies',
  'Patel',
  'Robinson',
  'Wright',
  'Thompson',
  'Evans',
  'Walker',
  'White',
  'Roberts',
  'Green',
  'Hall',
  'Wood',
  'Jackson',
  'Clarke',
  'Khan',
  'Ahmed',
  'Hughes',
  'Edwards',
  'Nowak',
  "O'Brien",
  'Singh',
  'Lewis',
  'Morris',
  'Cooper',
  'Baker',
  'Harris',
  'Ward',
  'King',
];
const TITLES: Record<number, string[]> = {
  1: [
    'Receptionist',
    'Administrator',
    'Customer Services Adviser',
    'Healthcare Assistant',
    'Housing Officer',
    'Teaching Assistant',
    'Police Community Support Officer',
    'Volunteer',
  ],
  2: ['Social Worker', 'Staff Nurse', 'Health Visitor', 'Police Constable', 'Probation Officer', 'Family Support Worker', 'Tenancy Sustainment Officer', 'GP'],
  3: [
    'Independent Domestic Violence Adviser',
    'Domestic Abuse Specialist Practitioner',
    'Safeguarding Lead',
    'Public Protection Detective',
    'MARAC Coordinator',
  ],
  4: ['Head of Service', 'Director of Nursing', 'Superintendent', 'Strategic Commissioner', 'Chief Executive'],
};
const TEAMS = [
  'Front door',
  'Adult social care',
  "Children's services",
  'Emergency department',
  'Community nursing',
  'Response',
  'Neighbourhood',
  'Offender management',
  'Tenancy',
  'Outreach',
  'Refuge',
  'Safeguarding',
  'Leadership',
  'Mental health',
  'Maternity',
  'Schools',
];

interface Block {
  /** The staff group whose competencies the learning covers. */
  group: number;
  lineages: { id: string; lineage: string }[];
}

interface Course {
  id: string;
  slug: string;
  title: string;
  group: number;
  delivery: 'elearning' | 'face-to-face';
  packageVersionId?: string;
  scoIdentifier?: string;
  scormVersion?: string;
}

interface Person {
  index: number;
  id: string;
  userId: string | null;
  org: number;
  name: string;
  email: string | null;
  group: number | null;
  start: number | null;
  leaving: number | null;
  events: { group: number; day: number; latest: boolean; skip: number }[];
  futureBooking: boolean;
  inProgress: boolean;
}

const USAGE =
  'npm run bench:generate -- [--national] [--seed N] [--organisations N] [--staff N] [--evidence N] [--largest N] [--as-of YYYY-MM-DD] [--database-url URL]';

function parseArgs(argv: string[]): GenerateOptions {
  const { values } = readFlags(
    argv,
    {
      seed: { type: 'string' },
      organisations: { type: 'string' },
      staff: { type: 'string' },
      evidence: { type: 'string' },
      largest: { type: 'string' },
      national: { type: 'boolean' },
      'as-of': { type: 'string' },
      'database-url': { type: 'string' },
    },
    USAGE,
  );
  const get = (name: Exclude<keyof typeof values, 'national'>) => values[name];
  const num = (name: Exclude<keyof typeof values, 'national'>, fallback: number) => {
    const v = get(name);
    if (v === undefined) return fallback;
    const n = Number(v.replace(/_/g, ''));
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} must be a whole number (got "${v}")`);
    return n;
  };
  const asOf = get('as-of') ?? new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London' }).format(new Date());
  if (!/^\d{4}-\d{2}-\d{2}$/.test(asOf) || Number.isNaN(Date.parse(asOf))) throw new UsageError(`--as-of must be a date YYYY-MM-DD (got "${asOf}")`);
  const base = values.national ? NATIONAL : { organisations: 100, staff: 200_000, evidence: 2_000_000, largest: undefined };
  const largest = get('largest') === undefined ? base.largest : num('largest', 0);
  const options = {
    seed: num('seed', 1),
    organisations: num('organisations', base.organisations),
    staff: num('staff', base.staff),
    evidence: num('evidence', base.evidence),
    largest,
    asOf,
    databaseUrl: get('database-url') ?? DEFAULT_BENCH_URL,
  };
  if (options.organisations < 2) throw new UsageError('--organisations must be at least 2');
  if (options.staff < options.organisations * 10) throw new UsageError('--staff must be at least ten per organisation');
  if (largest !== undefined && largest * options.organisations < options.staff) {
    throw new UsageError(`--largest ${largest} is too small: ${options.organisations} organisations of at most ${largest} staff cannot hold ${options.staff}`);
  }
  return options;
}

/**
 * Staff per organisation from each one's share, summing to `staff`, none under ten.
 * Without a cap the first organisation (the county council) holds at least
 * 10,000 or half the staff, as the partnership-scale data set always has.
 * With a cap, what an organisation would hold above it is shared among the
 * others in proportion to their shares, so the fall-off stays the same shape.
 */
export function organisationSizes(shares: number[], staff: number, largest?: number): number[] {
  const count = shares.length;
  if (largest === undefined) {
    const sizes = shares.map((share) => Math.max(10, Math.floor(share * staff)));
    sizes[0] = Math.max(sizes[0], Math.min(10_000, Math.floor(staff / 2)));
    let excess = sizes.reduce((a, b) => a + b, 0) - staff;
    for (let i = count - 1; excess !== 0; i = i === 0 ? count - 1 : i - 1) {
      if (i === 0 && excess > 0) continue;
      const step = excess > 0 ? Math.min(excess, sizes[i] - 10) : excess;
      sizes[i] -= step;
      excess -= step;
    }
    return sizes;
  }
  const exact = new Array<number>(count).fill(0);
  const capped = new Array<boolean>(count).fill(false);
  for (let changed = true; changed; ) {
    changed = false;
    const left = staff - capped.reduce((sum, c) => sum + (c ? largest : 0), 0);
    const openShare = shares.reduce((sum, share, i) => sum + (capped[i] ? 0 : share), 0);
    for (let i = 0; i < count; i++) {
      if (capped[i]) continue;
      exact[i] = (shares[i] / openShare) * left;
      if (exact[i] > largest) {
        capped[i] = true;
        exact[i] = largest;
        changed = true;
      }
    }
  }
  const sizes = exact.map((x) => Math.min(largest, Math.max(10, Math.floor(x))));
  // Whole people: hand out (or take back) the rounding one at a time, largest remainders first.
  let excess = sizes.reduce((a, b) => a + b, 0) - staff;
  const order = exact.map((x, i) => ({ i, rest: x - Math.floor(x) })).sort((a, b) => b.rest - a.rest);
  for (let k = 0; excess !== 0; k = (k + 1) % count) {
    const i = excess < 0 ? order[k].i : order[count - 1 - k].i;
    if (excess < 0 && sizes[i] < largest) {
      sizes[i]++;
      excess++;
    } else if (excess > 0 && sizes[i] > 10) {
      sizes[i]--;
      excess--;
    }
  }
  return sizes;
}

/** Drops and re-creates the bench database, migrates it and fills it. */
export async function generate(options: GenerateOptions): Promise<DataSetRecord> {
  const log = options.log ?? ((m: string) => console.log(m));
  const started = performance.now();
  const rnd = new Random(options.seed);
  const asOf = dayNumber(options.asOf);
  const url = new URL(options.databaseUrl);
  const dbName = url.pathname.slice(1);
  if (!/^[a-z_][a-z0-9_]*$/.test(dbName)) throw new UsageError(`The bench database name "${dbName}" must be a plain lower-case name`);
  const adminUrl = new URL(options.databaseUrl);
  adminUrl.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: adminUrl.toString() });
  await admin.connect();
  await admin.query(`drop database if exists ${dbName} with (force)`);
  await admin.query(`create database ${dbName}`);
  await admin.end();

  const logger = createLogger({ env: 'production', logLevel: 'warn' });
  const config = benchConfig(options.databaseUrl);
  const database = await openDatabase(config, logger, { role: 'cli' });
  try {
    await prepare(config, { logger, database, role: 'cli' });
    const pool = database.pool;
    log(`migrated ${dbName} (${((performance.now() - started) / 1000).toFixed(1)} s)`);

    // ---- the framework the product loaded, by group
    const { rows: comps } = await pool.query<{ id: string; lineage: string; group_number: number; text: string }>(
      `select c.id, c.lineage, c.group_number, c.text from competencies c join frameworks f on f.id = c.framework_id and f.status = 'published' order by c.group_number, c.number`,
    );
    const blocks = new Map<number, Block>();
    for (const c of comps) {
      const b = blocks.get(c.group_number) ?? { group: c.group_number, lineages: [] };
      b.lineages.push({ id: c.id, lineage: c.lineage });
      blocks.set(c.group_number, b);
    }
    const { rows: groupRows } = await pool.query<{ number: number; includes_groups: number[] }>(
      `select number, includes_groups from staff_groups g join frameworks f on f.id = g.framework_id and f.status = 'published'`,
    );
    const includes = new Map(groupRows.map((g) => [g.number, g.includes_groups]));
    const blocksFor = (g: number): number[] => {
      const seen = new Set<number>();
      const stack = [g];
      while (stack.length) {
        const x = stack.pop()!;
        if (seen.has(x)) continue;
        seen.add(x);
        stack.push(...(includes.get(x) ?? []));
      }
      return [...seen].sort();
    };

    // ---- the partnership, its administrators, trainers and board
    await pool.query(`insert into partnership (id, name, area_name) values (1, 'Vale Domestic Abuse Partnership', 'Vale County') on conflict (id) do nothing`);
    const passwordHash = await hashPassword(BENCH_PASSWORD);

    // ---- real SCORM packages through the real importer, as two e-learning courses
    const imported = [
      await importPackage({ config, database }, path.join(FIXTURES, 'singlescobasic.zip')),
      await importPackage({ config, database }, path.join(FIXTURES, 'RuntimeBasicCalls_SCORM20043rdEdition.zip')),
    ];
    const courses: Course[] = [];
    const courseDefs: { slug: string; title: string; group: number; delivery: Course['delivery']; pkg?: number }[] = [
      { slug: 'domestic-abuse-awareness', title: 'Domestic abuse awareness (e-learning)', group: 1, delivery: 'elearning', pkg: 0 },
      { slug: 'domestic-abuse-awareness-classroom', title: 'Domestic abuse awareness (classroom)', group: 1, delivery: 'face-to-face' },
      { slug: 'responding-to-domestic-abuse', title: 'Responding to domestic abuse: multi-agency', group: 2, delivery: 'face-to-face' },
      { slug: 'specialist-risk-and-safety-planning', title: 'Specialist risk assessment and safety planning', group: 3, delivery: 'face-to-face' },
      { slug: 'leading-a-domestic-abuse-response', title: 'Leading a domestic abuse response (e-learning)', group: 4, delivery: 'elearning', pkg: 1 },
      { slug: 'strategic-leaders-briefing', title: 'Strategic leaders briefing', group: 4, delivery: 'face-to-face' },
    ];
    for (const def of courseDefs) {
      let id: string;
      let version: { id: string; sco: string; scormVersion: string } | undefined;
      if (def.pkg !== undefined) {
        const imp = imported[def.pkg];
        id = imp.courseId;
        await pool.query(`update courses set slug = $2, title = $3, status = 'published', group_numbers = $4, validity_months = 36 where id = $1`, [
          id,
          def.slug,
          def.title,
          [def.group],
        ]);
        version = {
          id: imp.packageVersionId,
          sco: imp.manifest.scos.find((s) => s.kind === 'sco')?.identifier ?? imp.manifest.scos[0].identifier,
          scormVersion: imp.manifest.scormVersion,
        };
      } else {
        const { rows } = await pool.query<{ id: string }>(
          `insert into courses (slug, title, delivery, group_numbers, validity_months, status) values ($1, $2, $3, $4, 36, 'published') returning id`,
          [def.slug, def.title, def.delivery, [def.group]],
        );
        id = rows[0].id;
      }
      for (const l of blocks.get(def.group)?.lineages ?? [])
        await pool.query('insert into course_competencies (course_id, competency_lineage) values ($1, $2)', [id, l.lineage]);
      courses.push({
        id,
        slug: def.slug,
        title: def.title,
        group: def.group,
        delivery: def.delivery,
        packageVersionId: version?.id,
        scoIdentifier: version?.sco,
        scormVersion: version?.scormVersion,
      });
    }
    const prerequisite = courses.find((c) => c.group === 1 && c.delivery === 'elearning')!;
    await pool.query('insert into course_prerequisites (course_id, prerequisite_course_id) values ($1, $2)', [
      courses.find((c) => c.group === 2)!.id,
      prerequisite.id,
    ]);
    const elearningOf = (g: number) => courses.find((c) => c.group === g && c.delivery === 'elearning');
    const classroomOf = (g: number) => courses.find((c) => c.group === g && c.delivery === 'face-to-face')!;

    // ---- organisations: sizes falling off like real partnerships (one county council, many small charities)
    const orgCount = options.organisations;
    const weights = Array.from({ length: orgCount }, (_, i) => 1 / (i + 1) ** 0.8);
    const total = weights.reduce((a, b) => a + b, 0);
    const sizes = organisationSizes(
      weights.map((w) => w / total),
      options.staff,
      options.largest,
    );
    const orgs = sizes.map((size, i) => {
      const sector = SECTOR_CYCLE[i % SECTOR_CYCLE.length];
      const place = PLACES[i % PLACES.length];
      const suffix = i < PLACES.length ? '' : ` ${Math.floor(i / PLACES.length) + 1}`;
      const name = `${place} ${rnd.pick(SECTOR_NAMES[sector])}${suffix}`;
      const slug = `${name
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '-')
        .replace(/^-|-$/g, '')}-${i + 1}`;
      const outOfArea = i >= orgCount - Math.max(1, Math.round(orgCount * 0.08));
      return {
        id: rnd.uuid(),
        slug,
        name,
        sector,
        inArea: !outOfArea,
        domain: `${slug}.example`,
        size,
        // a tenth of organisations refresh Group 1 awareness every two years
        refresher: i % 10 === 5 ? { 1: 24, 2: 36, 3: 36, 4: 36 } : { 1: 36, 2: 36, 3: 36, 4: 36 },
        rcn: sector === 'health' && i % 28 === 13,
      };
    });

    // Secondary indexes of the big tables are dropped for the load and built again
    // afterwards, which is several times faster than maintaining them row by row.
    const bigTables = [
      'users',
      'user_roles',
      'staff',
      'staff_group_history',
      'evidence',
      'scorm_attempts',
      'scorm_sco_states',
      'session_bookings',
      'certificates',
      'training_sessions',
    ];
    const { rows: indexes } = await pool.query<{ name: string; def: string }>(
      `select i.indexname as name, i.indexdef as def from pg_indexes i
        where i.schemaname = 'public' and i.tablename = any($1)
          and not exists (select 1 from pg_constraint c where c.conname = i.indexname)`,
      [bigTables],
    );
    for (const ix of indexes) await pool.query(`drop index ${ix.name}`);
    const writers: Record<string, CopyWriter> = {};
    const open = async (table: string, columns: string[]) => {
      writers[table] = await CopyWriter.open(pool, table, columns);
      return writers[table];
    };
    const wOrg = await open('organisations', ['id', 'slug', 'name', 'sector', 'in_area', 'email_domains', 'refresher_months', 'uses_rcn_intercollegiate']);
    const wLicence = await open('organisation_licences', ['id', 'organisation_id', 'starts_on', 'ends_on', 'seats']);
    for (const o of orgs) {
      wOrg.row([o.id, o.slug, o.name, o.sector, o.inArea, `{${o.domain}}`, JSON.stringify(o.refresher), o.rcn]);
      if (!o.inArea) wLicence.row([rnd.uuid(), o.id, dayString(asOf - 200), dayString(asOf + 165), o.size]);
    }
    await wOrg.end();
    await wLicence.end();

    const wUser = await open('users', ['id', 'email', 'display_name', 'password_hash', 'created_at']);
    const wRole = await open('user_roles', ['user_id', 'role', 'organisation_id']);
    const staffUsers = (role: string, email: string, name: string, org: string | null) => {
      const id = rnd.uuid();
      wUser.row([id, email, name, passwordHash, `${dayString(asOf - 400)} 09:00:00+00`]);
      wRole.row([id, role, org]);
      return id;
    };
    const admins = [0, 1].map((i) => staffUsers('partnership-admin', `admin${i + 1}@vale-partnership.example`, `Partnership Administrator ${i + 1}`, null));
    const trainers = Array.from({ length: 40 }, (_, i) =>
      staffUsers('trainer', `trainer${i + 1}@vale-partnership.example`, `${rnd.pick(FIRST)} ${rnd.pick(LAST)}`, null),
    );
    for (let i = 0; i < 5; i++) staffUsers('board-member', `board${i + 1}@vale-partnership.example`, `Board Member ${i + 1}`, null);
    const leadsOf = orgs.map((o) => [1, 2].map((k) => staffUsers('org-lead', `lead${k}@${o.domain}`, `${rnd.pick(FIRST)} ${rnd.pick(LAST)}`, o.id)));

    // ---- pass 1: people and what learning each has done
    const people: Person[] = [];
    const eventCount = new Map<number, number>();
    let latestRows = 0;
    let previousCandidates = 0;
    let index = 0;
    for (const [oi, o] of orgs.entries()) {
      for (let k = 0; k < o.size; k++, index++) {
        const r = rnd.next();
        const group = r < 0.01 ? null : r < 0.55 ? 1 : r < 0.8 ? 2 : r < 0.95 ? 3 : 4;
        const first = rnd.pick(FIRST);
        const last = rnd.pick(LAST);
        const hasEmail = !rnd.chance(0.02);
        const startKnown = !rnd.chance(0.04);
        const start = !startKnown ? null : rnd.chance(0.05) ? asOf - rnd.int(0, 89) : asOf - rnd.int(90, 15 * 365);
        const lr = rnd.next();
        const leaving = lr < 0.03 ? asOf - rnd.int(1, 700) : lr < 0.04 ? asOf + rnd.int(1, 120) : null;
        const person: Person = {
          index,
          id: rnd.uuid(),
          userId: hasEmail ? rnd.uuid() : null,
          org: oi,
          name: `${first} ${last}`,
          email: hasEmail ? `${first}.${last}.${index}@${o.domain}`.toLowerCase().replace(/'/g, '') : null,
          group,
          start: start ?? null,
          leaving,
          events: [],
          futureBooking: false,
          inProgress: false,
        };
        people.push(person);
        if (group === null) continue;
        const needed = blocksFor(group);
        const refresher = (g: number) => (o.refresher as Record<number, number>)[g] ?? 36;
        const earliest = Math.max(asOf - 5 * 365, person.start ?? -Infinity);
        const newStarter = person.start !== null && person.start > asOf - 90;
        const profile = rnd.next();
        if (newStarter) {
          // half have done their Group 1 awareness already
          if (rnd.chance(0.5) && needed.includes(1))
            person.events.push({ group: 1, day: weekday(asOf - rnd.int(0, asOf - person.start!)), latest: true, skip: -1 });
        } else if (profile >= 0.04) {
          const lateBlock = rnd.pick(needed);
          for (const g of needed) {
            const months = refresher(g);
            const expiryAge = addMonthsDay(asOf, -months); // achieved on this day, it expires today
            let day: number;
            let skip = -1;
            if (profile < 0.17 && g === lateBlock) {
              // overdue: lapsed up to 18 months ago, or one competency never evidenced
              if (rnd.chance(0.3)) {
                day = asOf - rnd.int(30, asOf - expiryAge - 61);
                skip = rnd.int(0, (blocks.get(g)?.lineages.length ?? 1) - 1);
              } else day = expiryAge - rnd.int(0, 540);
            } else if (profile < 0.3 && g === lateBlock) {
              day = expiryAge + rnd.int(1, 55); // due soon: expires within the next 55 days
            } else {
              day = asOf - rnd.int(0, asOf - expiryAge - 61);
            }
            day = weekday(Math.max(day, Math.min(earliest, asOf - 61)));
            person.events.push({ group: g, day, latest: true, skip });
            latestRows += blocks.get(g)!.lineages.length - (skip >= 0 ? 1 : 0);
            const previous = addMonthsDay(day, -months) - rnd.int(0, 45);
            if (previous >= earliest) {
              person.events.push({ group: g, day: weekday(previous), latest: false, skip: -1 });
              previousCandidates += blocks.get(g)!.lineages.length;
            }
          }
          if (profile >= 0.17 && profile < 0.3 && rnd.chance(0.5)) person.futureBooking = true;
        }
        if (rnd.chance(0.03)) person.inProgress = true;
      }
    }
    // Keep as many earlier (refresher) rounds as the requested evidence total allows.
    const correctionsShare = 0.013;
    const keepPrevious = Math.max(0, Math.min(1, (options.evidence / (1 + correctionsShare) - latestRows) / Math.max(1, previousCandidates)));
    for (const p of people) {
      p.events = p.events.filter((e) => e.latest || rnd.chance(keepPrevious));
      for (const e of p.events) eventCount.set(e.group, (eventCount.get(e.group) ?? 0) + 1);
    }
    log(
      `planned ${people.length} staff (${latestRows} latest evidence rows, keeping ${(keepPrevious * 100).toFixed(0)}% of ${previousCandidates} earlier ones)`,
    );

    // ---- pass 2: stream every table
    const wStaff = await open('staff', [
      'id',
      'organisation_id',
      'user_id',
      'name',
      'email',
      'job_title',
      'team',
      'staff_number',
      'start_date',
      'leaving_date',
      'is_volunteer',
      'group_number',
      'group_source',
      'created_at',
    ]);
    const wHistory = await open('staff_group_history', ['staff_id', 'group_number', 'previous_group_number', 'source', 'reason', 'changed_by', 'changed_at']);
    const wEvidence = await open('evidence', [
      'id',
      'staff_id',
      'competency_id',
      'achieved_on',
      'source',
      'source_ref',
      'course_id',
      'recorded_by',
      'verified_by',
      'verified_at',
      'replaces_id',
      'withdrawn',
      'change_reason',
      'recorded_at',
      'sign_off_kind',
    ]);
    const wAttempt = await open('scorm_attempts', [
      'id',
      'user_id',
      'staff_id',
      'course_id',
      'package_version_id',
      'status',
      'score',
      'time_seconds',
      'started_at',
      'updated_at',
      'completed_at',
      'evidence_recorded_at',
    ]);
    const wSco = await open('scorm_sco_states', ['attempt_id', 'sco_identifier', 'cmi', 'last_sequence', 'session_seconds', 'updated_at']);
    const wBooking = await open('session_bookings', ['id', 'session_id', 'staff_id', 'status', 'booked_by', 'booked_at', 'attended', 'attendance_marked_at']);
    const wCert = await open('certificates', [
      'id',
      'code',
      'kind',
      'staff_id',
      'organisation_id',
      'course_id',
      'group_number',
      'achievement_key',
      'achievement',
      'person_name',
      'organisation_name',
      'partnership_name',
      'issued_on',
      'expires_on',
      'issued_by',
    ]);
    const everyWriter = () => Object.values(writers).filter((w) => !['organisations', 'organisation_licences'].includes(w.table));

    // Face-to-face sessions: about 24 people each, several a day at busy times, made as first needed.
    const sessions = new Map<string, { id: string; course: Course; day: number; slot: number; future: boolean; attendees: number }>();
    const slotsPerDay = new Map<number, number>();
    const classroomShare: Record<number, number> = { 1: 0.2, 2: 0.85, 3: 1, 4: 0.4 };
    for (const g of [1, 2, 3, 4]) slotsPerDay.set(g, Math.max(1, Math.round(((eventCount.get(g) ?? 0) * classroomShare[g]) / (5 * 260 * 24))));
    const sessionFor = (course: Course, day: number, future: boolean) => {
      const slot = rnd.int(0, (slotsPerDay.get(course.group) ?? 1) - 1);
      const key = `${course.id}:${day}:${slot}`;
      let s = sessions.get(key);
      if (!s) {
        s = { id: rnd.uuid(), course, day, slot, future, attendees: 0 };
        sessions.set(key, s);
      }
      s.attendees++;
      return s;
    };

    const partnershipName = 'Vale Domestic Abuse Partnership';
    const cmiFor = (course: Course, passed: boolean, score: number, seconds: number) => {
      const t = `PT${Math.floor(seconds / 60)}M${seconds % 60}S`;
      const h = String(Math.floor(seconds / 3600)).padStart(4, '0');
      const m = String(Math.floor((seconds % 3600) / 60)).padStart(2, '0');
      const s = String(seconds % 60).padStart(2, '0');
      return course.scormVersion === '1.2'
        ? {
            'cmi.core.lesson_status': passed ? 'passed' : 'incomplete',
            'cmi.core.score.raw': String(score),
            'cmi.core.score.max': '100',
            'cmi.core.score.min': '0',
            'cmi.core.lesson_location': passed ? 'assessment' : 'page-3',
            'cmi.core.session_time': `${h}:${m}:${s}`,
            'cmi.suspend_data': passed ? '' : 'p=3;q=0,1,1',
          }
        : {
            'cmi.completion_status': passed ? 'completed' : 'incomplete',
            'cmi.success_status': passed ? 'passed' : 'unknown',
            'cmi.score.scaled': String(score / 100),
            'cmi.score.raw': String(score),
            'cmi.location': passed ? 'assessment' : 'page-3',
            'cmi.session_time': t,
            'cmi.suspend_data': passed ? '' : 'p=3;q=0,1,1',
          };
    };

    let flushEvery = 0;
    for (const p of people) {
      const o = orgs[p.org];
      const leads = leadsOf[p.org];
      const group = p.group;
      const titlePool = TITLES[group ?? 1];
      const title = group === null ? 'Project Worker (new role)' : rnd.pick(titlePool);
      const created = `${dayString(Math.min(asOf, Math.max(p.start ?? asOf - 400, asOf - 6 * 365)))} 08:00:00+00`;
      if (p.userId) {
        wUser.row([p.userId, p.email, p.name, passwordHash, created]);
        wRole.row([p.userId, 'learner', null]);
      }
      wStaff.row([
        p.id,
        o.id,
        p.userId,
        p.name,
        p.email,
        title,
        rnd.pick(TEAMS),
        `S${String(p.index).padStart(7, '0')}`,
        p.start === null ? null : dayString(p.start),
        p.leaving === null ? null : dayString(p.leaving),
        title === 'Volunteer',
        group,
        group === null ? null : 'import',
        created,
      ]);
      if (group !== null) {
        const joined = `${dayString(Math.max(p.start ?? asOf - 400, asOf - 6 * 365))} 08:00:00+00`;
        if (group > 1 && rnd.chance(0.05)) {
          // promoted or moved into a role needing more: first mapped a group lower, then changed by a lead
          wHistory.row([p.id, group - 1, null, 'import', 'Imported from the staff list', null, joined]);
          wHistory.row([
            p.id,
            group,
            group - 1,
            'lead-override',
            'Moved into a role with more contact with victims',
            leads[0],
            `${dayString(asOf - rnd.int(30, 700))} 10:00:00+00`,
          ]);
        } else wHistory.row([p.id, group, null, 'import', 'Imported from the staff list', null, joined]);
      }

      for (const e of p.events) {
        const block = blocks.get(e.group)!;
        const day = dayString(e.day);
        const online = elearningOf(e.group);
        const viaElearning = !!online && p.userId !== null && rnd.chance(e.group === 1 ? 0.8 : 0.6);
        const signOff = !viaElearning && e.group === 2 && rnd.chance(0.15);
        const prior = !viaElearning && !signOff && rnd.chance(0.03);
        let source: string;
        let sourceRef: string | null = null;
        let course: Course | null = null;
        if (viaElearning && online) {
          course = online;
          source = 'elearning';
          const attemptId = rnd.uuid();
          sourceRef = attemptId;
          const score = rnd.int(72, 100);
          const seconds = rnd.int(900, 4500);
          const begun = `${dayString(e.day - rnd.int(0, 6))} 10:${String(rnd.int(10, 59))}:00+00`;
          const finished = `${day} 14:${String(rnd.int(10, 59))}:00+00`;
          wAttempt.row([
            attemptId,
            p.userId,
            p.id,
            online.id,
            online.packageVersionId,
            online.scormVersion === '1.2' ? 'passed' : 'passed',
            score,
            seconds,
            begun,
            finished,
            finished,
            finished,
          ]);
          wSco.row([
            attemptId,
            online.scoIdentifier,
            JSON.stringify(cmiFor(online, true, score, seconds)),
            rnd.int(20, 120),
            JSON.stringify({ [`s${rnd.int(1, 99999)}`]: seconds }),
            finished,
          ]);
        } else if (signOff) {
          source = 'sign-off';
        } else if (prior) {
          source = 'prior-learning';
        } else {
          course = classroomOf(e.group);
          source = 'face-to-face';
          const session = sessionFor(course, e.day, false);
          sourceRef = session.id;
          wBooking.row([rnd.uuid(), session.id, p.id, 'booked', leads[0], `${dayString(e.day - rnd.int(7, 60))} 11:00:00+00`, true, `${day} 17:00:00+00`]);
        }
        const recorder = source === 'sign-off' ? leads[1] : source === 'face-to-face' ? trainers[e.day % trainers.length] : null;
        const recordedAt = `${day} 17:30:00+00`;
        for (const [li, l] of block.lineages.entries()) {
          if (li === e.skip) continue;
          const id = rnd.uuid();
          wEvidence.row([
            id,
            p.id,
            l.id,
            day,
            source,
            sourceRef,
            course?.id ?? null,
            recorder,
            source === 'sign-off' ? leads[1] : null,
            source === 'sign-off' ? recordedAt : null,
            null,
            false,
            null,
            recordedAt,
            source === 'sign-off' ? 'supervision' : null,
          ]);
          const c = rnd.next();
          if (c < 0.01) {
            // a correction: the date was entered wrongly and a lead fixed it a few days later
            const fixed = e.day - rnd.int(1, 5);
            wEvidence.row([
              rnd.uuid(),
              p.id,
              l.id,
              dayString(fixed),
              source,
              sourceRef,
              course?.id ?? null,
              leads[0],
              null,
              null,
              id,
              false,
              'Date corrected from the register',
              `${dayString(e.day + rnd.int(1, 10))} 12:00:00+00`,
              source === 'sign-off' ? 'supervision' : null,
            ]);
          } else if (c < 0.013) {
            wEvidence.row([
              rnd.uuid(),
              p.id,
              l.id,
              day,
              source,
              sourceRef,
              course?.id ?? null,
              leads[0],
              null,
              null,
              id,
              true,
              'Recorded against the wrong person',
              `${dayString(e.day + rnd.int(1, 20))} 12:00:00+00`,
              source === 'sign-off' ? 'supervision' : null,
            ]);
          }
        }
        if (course && (source === 'elearning' || source === 'face-to-face')) {
          wCert.row([
            rnd.uuid(),
            rnd.code(),
            'course',
            p.id,
            o.id,
            course.id,
            p.group,
            `course:${course.id}:${day}`,
            course.title,
            p.name,
            o.name,
            partnershipName,
            day,
            dayString(addMonthsDay(e.day, 36)),
            null,
          ]);
        }
      }
      if (p.futureBooking && group !== null) {
        const course = classroomOf(Math.max(...blocksFor(group)));
        const session = sessionFor(course, weekday(asOf + rnd.int(3, 60)), true);
        wBooking.row([rnd.uuid(), session.id, p.id, 'booked', leadsOf[p.org][0], `${dayString(asOf - rnd.int(1, 20))} 11:00:00+00`, null, null]);
      }
      if (p.inProgress && p.userId && group !== null) {
        const online = elearningOf(group === 4 ? 4 : 1)!;
        const attemptId = rnd.uuid();
        const seconds = rnd.int(60, 1200);
        const at = `${dayString(asOf - rnd.int(0, 30))} 13:00:00+00`;
        wAttempt.row([attemptId, p.userId, p.id, online.id, online.packageVersionId, 'incomplete', null, seconds, at, at, null, null]);
        wSco.row([attemptId, online.scoIdentifier, JSON.stringify(cmiFor(online, false, 0, seconds)), rnd.int(1, 10), JSON.stringify({ s1: seconds }), at]);
      }
      if (++flushEvery % 200 === 0) for (const w of everyWriter()) await w.flush();
    }
    for (const w of [wStaff, wHistory, wEvidence, wAttempt, wSco, wBooking, wCert, wUser, wRole]) await w.end();

    const wSession = await open('training_sessions', [
      'id',
      'course_id',
      'starts_at',
      'ends_at',
      'venue',
      'capacity',
      'trainer_user_id',
      'multi_agency',
      'register_marked_at',
      'register_marked_by',
      'created_by',
      'created_at',
    ]);
    let si = 0;
    for (const s of sessions.values()) {
      const day = dayString(s.day);
      const trainer = trainers[si++ % trainers.length];
      wSession.row([
        s.id,
        s.course.id,
        `${day} 09:30:00+00`,
        `${day} 16:00:00+00`,
        `${PLACES[s.slot % PLACES.length]} Community Hall`,
        Math.max(30, s.attendees + 6),
        trainer,
        true,
        s.future ? null : `${day} 17:00:00+00`,
        s.future ? null : trainer,
        admins[0],
        `${dayString(s.day - 60)} 09:00:00+00`,
      ]);
      await wSession.flush();
    }
    await wSession.end();

    log(`loaded in ${((performance.now() - started) / 1000).toFixed(1)} s; building ${indexes.length} indexes`);
    // Two at a time, one per core: all at once would wait on the pool (and on each other) past its timeout at national scale.
    const waiting = [...indexes];
    const builder = async () => {
      for (let ix = waiting.shift(); ix; ix = waiting.shift()) await pool.query(ix.def);
    };
    await Promise.all([builder(), builder()]);
    // Derived tables that triggers keep up to date (off during COPY) are rebuilt the way their migrations provide.
    const { rows: rebuilds } = await pool.query<{ name: string }>(
      `select proname as name from pg_proc where proname like 'rebuild\\_%' and pronargs = 0 and pronamespace = 'public'::regnamespace`,
    );
    for (const r of rebuilds) await pool.query(`select ${r.name}()`);
    // Group changes go to the audit log (the trigger that normally does it was off during COPY).
    await pool.query(`insert into audit_log (at, actor_user_id, action, organisation_id, subject_type, subject_id, detail)
      select h.changed_at, h.changed_by, 'staff.group-changed', s.organisation_id, 'staff', h.staff_id::text,
             jsonb_build_object('from', h.previous_group_number, 'to', h.group_number, 'source', h.source, 'reason', h.reason)
        from staff_group_history h join staff s on s.id = h.staff_id`);
    log(`indexed in ${((performance.now() - started) / 1000).toFixed(1)} s; analysing`);
    await pool.query('vacuum analyze');

    const count = async (table: string) => (await pool.query<{ n: number }>(`select count(*)::int as n from ${table}`)).rows[0].n;
    const largest = orgs.reduce((a, b) => (b.size > a.size ? b : a));
    const record: DataSetRecord = {
      seed: options.seed,
      asOf: options.asOf,
      organisations: await count('organisations'),
      staff: await count('staff'),
      evidence: await count('evidence'),
      users: await count('users'),
      scormAttempts: await count('scorm_attempts'),
      trainingSessions: await count('training_sessions'),
      bookings: await count('session_bookings'),
      certificates: await count('certificates'),
      largestOrganisation: { slug: largest.slug, staff: largest.size },
      generatedSeconds: Math.round((performance.now() - started) / 100) / 10,
      password: BENCH_PASSWORD,
      scormDir: config.scormDir,
    };
    await pool.query('create table bench_data_set (id int primary key, recorded jsonb not null)');
    await pool.query('insert into bench_data_set (id, recorded) values (1, $1)', [JSON.stringify(record)]);
    log(`generated in ${record.generatedSeconds} s: ${JSON.stringify(record)}`);

    // Plausibility: what the compliance engine makes of the largest and a few other organisations.
    for (const o of [orgs[0], orgs[Math.floor(orgCount / 3)], orgs[orgCount - 1]]) {
      const result = await complianceForOrganisation(pool, { kind: 'all' }, o.id, options.asOf);
      const counts = Object.entries(result?.counts.byStatus ?? {})
        .filter(([, n]) => n > 0)
        .map(([s, n]) => `${s} ${((n / (result?.counts.total ?? 1)) * 100).toFixed(0)}%`);
      log(`${o.slug} (${o.size} staff): ${counts.join(', ')}`);
    }
    return record;
  } finally {
    await database.close();
  }
}

if (require.main === module) {
  let options: GenerateOptions;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error((err as Error).message);
    process.exit(2);
  }
  generate(options).then(
    () => process.exit(0),
    (err: Error) => {
      console.error(`generate failed: ${err.message}`);
      process.exit(err instanceof UsageError ? 2 : 1);
    },
  );
}
