import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { PoolClient } from 'pg';
import type { Database } from '../../server/db';
import { UsageError } from '../../server/errors';
import { PRIVATE_FILE_MODE } from '../../server/private-files';
import { ident, listTables } from '../../server/db/tables';

const run = promisify(execFile);

/** First line of an embedded-database backup; anything else is refused before the database is touched. */
export const BACKUP_FORMAT = 'da-partnership-lms-backup';
const BACKUP_VERSION = 1;
/** pg_dump's custom format starts with these bytes. */
const PG_DUMP_MAGIC = 'PGDMP';
const GZIP_MAGIC = [0x1f, 0x8b];

/** A backup that cannot be read or restored; the message is for the operator and names the fix. */
export class BackupError extends UsageError {}

export interface BackupSummary {
  format: 'pg_dump' | 'tables';
  tables: number;
  rows?: number;
}

/** pg_dump and pg_restore from PATH, or from the newest PostgreSQL installed in Debian's layout. */
export function findPgTool(tool: 'pg_dump' | 'pg_restore'): string {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && fs.existsSync(path.join(dir, tool))) return path.join(dir, tool);
  }
  const debian = '/usr/lib/postgresql';
  if (fs.existsSync(debian)) {
    const versions = fs
      .readdirSync(debian)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    for (const v of versions) if (fs.existsSync(path.join(debian, v, 'bin', tool))) return path.join(debian, v, 'bin', tool);
  }
  throw new BackupError(
    `${tool} was not found. Install the PostgreSQL client tools (Debian: apt-get install postgresql-client) matching your server's version.`,
  );
}

function toolFailure(tool: string, err: unknown): BackupError {
  const stderr = String((err as { stderr?: string }).stderr ?? (err as Error).message).trim();
  return new BackupError(`${tool} failed: ${stderr.split('\n').slice(0, 5).join('\n')}`);
}

/** The tables this product keeps (server/db/tables.ts, the listing the partnership export uses), with the columns a restore can write. */
async function productTables(client: PoolClient): Promise<{ name: string; columns: string[] }[]> {
  return (await listTables(client)).map((t) => ({ name: t.name, columns: t.columns.map((c) => c.name) }));
}

async function productSequences(client: PoolClient): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>(
    `select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind = 'S' order by 1`,
  );
  return rows.map((r) => r.name);
}

/**
 * The embedded database's backup: every table's rows and every sequence's
 * position, read inside one repeatable-read transaction, so the copy is one
 * consistent moment even while the server keeps working. It goes through the
 * SQL connection because PGlite's files belong to the process that opened
 * them (the server, when it runs). Gzipped JSON lines: a header, then each
 * table's rows, then an end line so a cut-short file is refused.
 */
async function dumpTables(database: Database, out: string): Promise<BackupSummary> {
  const client = await database.pool.connect();
  const tmp = `${out}.partial`;
  const gzip = zlib.createGzip();
  const file = fs.createWriteStream(tmp, { mode: PRIVATE_FILE_MODE });
  const finished = new Promise<void>((resolve, reject) => {
    file.on('finish', resolve);
    file.on('error', reject);
    gzip.on('error', reject);
  });
  gzip.pipe(file);
  const write = (line: unknown) =>
    new Promise<void>((resolve) => {
      if (gzip.write(`${JSON.stringify(line)}\n`)) resolve();
      else gzip.once('drain', resolve);
    });
  let totalRows = 0;
  let tables: { name: string; columns: string[] }[] = [];
  try {
    await client.query('begin isolation level repeatable read read only');
    const migrations = (await client.query<{ key: string }>("select module || '/' || name as key from schema_migrations order by 1")).rows.map((r) => r.key);
    await write({ format: BACKUP_FORMAT, version: BACKUP_VERSION, createdAt: new Date().toISOString(), source: database.kind, migrations });
    tables = await productTables(client);
    for (const table of tables) {
      const { rows } = await client.query<{ row: string }>(`select row_to_json(t)::text as row from ${ident(table.name)} t`);
      await write({ table: table.name, rows: rows.length });
      for (const r of rows) {
        if (!gzip.write(`${r.row}\n`)) await new Promise((resolve) => gzip.once('drain', resolve));
      }
      totalRows += rows.length;
    }
    for (const seq of await productSequences(client)) {
      const { rows } = await client.query<{ last_value: string; is_called: boolean }>(`select last_value::text, is_called from ${ident(seq)}`);
      await write({ sequence: seq, lastValue: rows[0].last_value, isCalled: rows[0].is_called });
    }
    await write({ end: true, tables: tables.length, rows: totalRows });
    await client.query('commit');
  } catch (err) {
    await client.query('rollback').catch(() => {});
    gzip.end();
    await finished.catch(() => {});
    fs.rmSync(tmp, { force: true });
    throw err;
  } finally {
    client.release();
  }
  gzip.end();
  await finished;
  // Only a complete backup takes the name asked for: a crash mid-way leaves no file that looks whole.
  fs.chmodSync(tmp, PRIVATE_FILE_MODE);
  fs.renameSync(tmp, out);
  return { format: 'tables', tables: tables.length, rows: totalRows };
}

/**
 * Whether this is a real PostgreSQL server (pg_dump and pg_restore work), as
 * opposed to the embedded PGlite, which a CLI or test may also reach by a URL.
 * pg_dump cannot talk to PGlite, and PGlite serves every connection from one
 * session, so pg_dump's session settings would leak into the server's own.
 */
async function isRealPostgres(database: Database): Promise<boolean> {
  if (database.kind !== 'postgres') return false;
  const { rows } = await database.pool.query<{ version: string }>('select version()');
  return !/PGlite|emscripten/i.test(rows[0].version);
}

export async function writeBackup(database: Database, out: string): Promise<BackupSummary> {
  const dir = path.dirname(path.resolve(out));
  if (!fs.existsSync(dir)) throw new BackupError(`The folder ${dir} does not exist.`);
  if (fs.existsSync(out) && fs.statSync(out).isDirectory()) throw new BackupError(`${out} is a folder; give a file name for the backup.`);
  if (await isRealPostgres(database)) {
    const tmp = `${out}.partial`;
    try {
      await run(findPgTool('pg_dump'), ['--format=custom', '--no-owner', '--no-privileges', `--file=${tmp}`, `--dbname=${database.url}`], {
        maxBuffer: 16 * 1024 * 1024,
      });
    } catch (err) {
      fs.rmSync(tmp, { force: true });
      throw err instanceof BackupError ? err : toolFailure('pg_dump', err);
    }
    // pg_dump creates the file with the process mask: the backup holds password hashes and sessions.
    fs.chmodSync(tmp, PRIVATE_FILE_MODE);
    fs.renameSync(tmp, out);
    const list = await run(findPgTool('pg_restore'), ['--list', out]);
    return { format: 'pg_dump', tables: (list.stdout.match(/ TABLE DATA /g) ?? []).length };
  }
  return dumpTables(database, out);
}

function readStart(file: string): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(8);
    const n = fs.readSync(fd, buf, 0, 8, 0);
    return buf.subarray(0, n);
  } finally {
    fs.closeSync(fd);
  }
}

const NOT_A_BACKUP = (file: string) =>
  new BackupError(`${file} is not a backup made by "npm run cli -- backup". Nothing was changed. Give the file that the backup command wrote.`);

interface TableBackup {
  header: { format: string; version: number; source: string; migrations: string[]; createdAt: string };
  tables: Map<string, unknown[]>;
  sequences: { sequence: string; lastValue: string; isCalled: boolean }[];
}

/** Reads and checks the whole file before the database is touched: a damaged or cut-short file changes nothing. */
async function readTableBackup(file: string): Promise<TableBackup> {
  const lines = readline.createInterface({ input: fs.createReadStream(file).pipe(zlib.createGunzip()), crlfDelay: Number.POSITIVE_INFINITY });
  let header: TableBackup['header'] | undefined;
  const tables = new Map<string, unknown[]>();
  const sequences: TableBackup['sequences'] = [];
  let current: { name: string; left: number; rows: unknown[] } | undefined;
  let ended = false;
  try {
    for await (const line of lines) {
      const value = JSON.parse(line);
      if (!header) {
        if (value?.format !== BACKUP_FORMAT) throw NOT_A_BACKUP(file);
        if (value.version !== BACKUP_VERSION)
          throw new BackupError(`${file} is a backup in format version ${value.version}, which this version of the product cannot read. Nothing was changed.`);
        header = value;
        continue;
      }
      if (current && current.left > 0) {
        current.rows.push(value);
        current.left--;
        continue;
      }
      if (typeof value.table === 'string' && Number.isInteger(value.rows)) {
        current = { name: value.table, left: value.rows, rows: [] };
        tables.set(value.table, current.rows);
      } else if (typeof value.sequence === 'string') sequences.push(value);
      else if (value.end === true) ended = true;
    }
  } catch (err) {
    if (err instanceof BackupError) throw err;
    if (!header) throw NOT_A_BACKUP(file);
    throw new BackupError(`${file} is damaged (${(err as Error).message}). Nothing was changed.`);
  }
  if (!header) throw NOT_A_BACKUP(file);
  if (!ended || (current && current.left > 0)) throw new BackupError(`${file} is incomplete: the backup was cut short. Nothing was changed.`);
  return { header, tables, sequences };
}

/**
 * A backup restores onto the version of the product that made it: the same
 * migrations. An older backup on a newer version would leave tables the
 * backup does not know, and the next start would try to create them again.
 */
async function refuseOtherVersion(client: Pick<PoolClient, 'query'>, backupMigrations: string[]): Promise<void> {
  const migrations = (await client.query<{ key: string }>("select module || '/' || name as key from schema_migrations order by 1")).rows.map((r) => r.key);
  const missing = backupMigrations.filter((m) => !migrations.includes(m));
  const extra = migrations.filter((m) => !backupMigrations.includes(m));
  if (missing.length || extra.length) {
    throw new BackupError(
      `This backup was made by a different version of the product (${missing.length ? `it has database changes this version lacks: ${missing.slice(0, 3).join(', ')}` : `this version has database changes it lacks: ${extra.slice(0, 3).join(', ')}`}). Restore it with the version that made it, then upgrade. Nothing was changed.`,
    );
  }
}

async function restoreTables(database: Database, file: string): Promise<BackupSummary> {
  const backup = await readTableBackup(file);
  let rows = 0;
  await database.transaction(async (client) => {
    await refuseOtherVersion(client, backup.header.migrations);
    const tables = await productTables(client);
    const unknown = [...backup.tables.keys()].filter((t) => !tables.some((x) => x.name === t));
    if (unknown.length) throw new BackupError(`The backup holds tables this database does not have (${unknown.join(', ')}). Nothing was changed.`);
    // Rows go back exactly as they were: no foreign-key checks mid-way and no
    // triggers (an audit trigger would otherwise record every row a second time).
    await client.query('set local session_replication_role = replica');
    if (tables.length) await client.query(`truncate ${tables.map((t) => ident(t.name)).join(', ')}`);
    for (const table of tables) {
      const data = backup.tables.get(table.name) ?? [];
      const cols = table.columns.map(ident).join(', ');
      for (let i = 0; i < data.length; i += 1000) {
        await client.query(
          `insert into ${ident(table.name)} (${cols}) overriding system value select ${cols} from json_populate_recordset(null::${ident(table.name)}, $1::json)`,
          [JSON.stringify(data.slice(i, i + 1000))],
        );
      }
      rows += data.length;
    }
    for (const s of backup.sequences) {
      await client.query('select setval($1::regclass, $2::bigint, $3)', [ident(s.sequence), s.lastValue, s.isCalled]);
    }
  });
  return { format: 'tables', tables: backup.tables.size, rows };
}

async function restorePgDump(database: Database, file: string): Promise<BackupSummary> {
  if (!(await isRealPostgres(database))) {
    throw new BackupError(
      `${file} is a pg_dump backup of a PostgreSQL database. Restore it with DATABASE_URL set to a PostgreSQL database (or use pg_restore). Nothing was changed.`,
    );
  }
  let list: string;
  try {
    list = (await run(findPgTool('pg_restore'), ['--list', file], { maxBuffer: 16 * 1024 * 1024 })).stdout;
    // The list is only the archive's table of contents, at its start: a file cut short after it
    // lists well and fails halfway through a restore. Reading it all to nowhere finds that first.
    await run(findPgTool('pg_restore'), ['--file=/dev/null', file], { maxBuffer: 16 * 1024 * 1024 });
  } catch {
    throw new BackupError(`${file} starts like a pg_dump file but pg_restore cannot read it (damaged or cut short). Nothing was changed.`);
  }
  if (!/ TABLE public schema_migrations /.test(list)) throw NOT_A_BACKUP(file);
  // The archive's own list of applied migrations, read as the SQL pg_restore would run.
  const { stdout: migrationRows } = await run(findPgTool('pg_restore'), ['--data-only', '--table=schema_migrations', '--file=-', file], {
    maxBuffer: 16 * 1024 * 1024,
  });
  const copy = migrationRows.split(/^COPY public\.schema_migrations .* FROM stdin;$/m)[1]?.split(/^\\\.$/m)[0] ?? '';
  const backupMigrations = copy
    .split('\n')
    .filter((line) => line.includes('\t'))
    .map((line) => line.split('\t').slice(0, 2).join('/'));
  const client = await database.pool.connect();
  try {
    await refuseOtherVersion(client, backupMigrations);
  } finally {
    client.release();
  }
  try {
    // One transaction: if anything fails, the database is as it was.
    await run(
      findPgTool('pg_restore'),
      ['--clean', '--if-exists', '--single-transaction', '--exit-on-error', '--no-owner', '--no-privileges', `--dbname=${database.url}`, file],
      { maxBuffer: 16 * 1024 * 1024 },
    );
  } catch (err) {
    throw toolFailure('pg_restore', err);
  }
  return { format: 'pg_dump', tables: (list.match(/ TABLE DATA /g) ?? []).length };
}

/**
 * Puts the database back as the backup has it. A file that is not a backup,
 * or is damaged, is refused before anything is written; the restore itself
 * runs in one transaction, so it is all in or all out.
 */
export async function restoreBackup(database: Database, file: string): Promise<BackupSummary> {
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw new BackupError(`No backup file at ${file}.`);
  const start = readStart(file);
  if (start.subarray(0, PG_DUMP_MAGIC.length).toString('latin1') === PG_DUMP_MAGIC) return restorePgDump(database, file);
  if (start[0] === GZIP_MAGIC[0] && start[1] === GZIP_MAGIC[1]) return restoreTables(database, file);
  throw NOT_A_BACKUP(file);
}
