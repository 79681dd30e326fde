import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { PoolClient } from 'pg';
import { toCsv } from '../../server/csv';
import type { Database } from '../../server/db';
import { UsageError } from '../../server/errors';
import { PRIVATE_DIR_MODE, writePrivateFile } from '../../server/private-files';
import { ENTITY_NOTES, ident, PEOPLE_TABLES, partnershipTables, type TableInfo } from './tables';

/** Raised for anything the person running the command can put right: printed plainly, exit code 2. */
export class ExportError extends UsageError {}

export const FORMAT = 'da-partnership-lms export';
export const FORMAT_VERSION = 1;
const BATCH_ROWS = 500;

export interface ManifestTable {
  name: string;
  description: string;
  rows: number;
  primaryKey: string[];
  columns: { name: string; type: string; nullable: boolean }[];
  files: { json: string; csv: string };
  sha256: { json: string; csv: string };
}

export interface Manifest {
  format: string;
  formatVersion: number;
  exportedAt: string;
  database: string;
  /** Every table, in the order an import loads them (each after the tables it refers to). */
  tables: ManifestTable[];
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

function csvValue(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/**
 * Writes every table of the partnership to DIR as <table>.json and <table>.csv,
 * with manifest.json and README.md describing them. One snapshot: read in a
 * single repeatable-read transaction, so a running server's changes never
 * leave half a record in the export.
 */
export async function exportPartnership(database: Database, dir: string, now = new Date()): Promise<Manifest> {
  if (fs.existsSync(dir) && fs.readdirSync(dir).length) throw new ExportError(`${dir} is not empty. Choose a new or empty folder for the export.`);
  // Password hashes and personal data: the export is its owner's alone, wherever it is written.
  fs.mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  fs.chmodSync(dir, PRIVATE_DIR_MODE);
  const client = await database.pool.connect();
  try {
    await client.query('begin isolation level repeatable read read only');
    // Times written the same way wherever the export runs.
    await client.query(`set local timezone = 'UTC'`);
    const tables = await partnershipTables(client);
    const manifest: Manifest = { format: FORMAT, formatVersion: FORMAT_VERSION, exportedAt: now.toISOString(), database: database.kind, tables: [] };
    for (const table of tables) {
      const order = table.primaryKey.length ? table.primaryKey.map(ident).join(', ') : 'row_to_json(t)::text';
      // row_to_json is PostgreSQL's own, lossless text for every type (bytea as \x hex, arrays as JSON arrays).
      const { rows } = await client.query<{ j: string }>(`select row_to_json(t)::text as j from ${ident(table.name)} t order by ${order}`);
      const json = rows.length ? `[\n${rows.map((r) => r.j).join(',\n')}\n]\n` : '[]\n';
      const names = table.columns.map((c) => c.name);
      const csv = toCsv(
        names,
        rows.map((r) => {
          const row = JSON.parse(r.j) as Record<string, unknown>;
          return names.map((n) => csvValue(row[n]));
        }),
      );
      const files = { json: `${table.name}.json`, csv: `${table.name}.csv` };
      writePrivateFile(path.join(dir, files.json), json);
      writePrivateFile(path.join(dir, files.csv), csv);
      manifest.tables.push({
        name: table.name,
        description: ENTITY_NOTES[table.name] ?? '',
        rows: rows.length,
        primaryKey: table.primaryKey,
        columns: table.columns,
        files,
        sha256: { json: sha256(json), csv: sha256(csv) },
      });
    }
    await client.query('commit');
    writePrivateFile(path.join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    writePrivateFile(path.join(dir, 'README.md'), readme(manifest));
    return manifest;
  } catch (err) {
    await client.query('rollback').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

function readme(manifest: Manifest): string {
  const lines = [
    '# Partnership export',
    '',
    `Everything the partnership keeps in the training service, exported ${manifest.exportedAt} (format version ${manifest.formatVersion}).`,
    '',
    'Each table is here twice: `<table>.json` (a JSON array, one object per row, keyed by column name) and `<table>.csv`',
    '(UTF-8, comma separated, a header row of column names; empty means no value). Values are written as PostgreSQL writes them:',
    'dates `YYYY-MM-DD`, times ISO 8601 in UTC, binary data (`bytea`) as `\\x` followed by hex, lists and JSON columns as JSON.',
    'Ids are kept, so rows refer to each other by the ids shown.',
    'In the CSV files a value that starts with = + - @, a tab or a carriage return has an apostrophe put before it, so a',
    'spreadsheet shows it as text rather than running it as a formula; the JSON files hold every value exactly.',
    '',
    '`manifest.json` lists every table in the order to load it (each after the tables it refers to), its columns and types,',
    'its row count and a SHA-256 of each file. `npm run cli -- import --in DIR` loads the JSON files into an empty installation',
    'of the product and checks those hashes first.',
    '',
    'This export holds personal data about staff and their training, and users’ password hashes. Keep it as safely as the service itself.',
    '',
    'Not exported: sign-in sessions, password reset links, SAML requests in flight, the job queue, and SCORM content files',
    '(keep `SCORM_DIR` with the export).',
    '',
  ];
  for (const t of manifest.tables) {
    lines.push(`## ${t.name} (${t.rows} ${t.rows === 1 ? 'row' : 'rows'})`, '');
    if (t.description) lines.push(t.description, '');
    lines.push('| Column | Type | Can be empty |', '| --- | --- | --- |');
    for (const c of t.columns) lines.push(`| ${c.name}${t.primaryKey.includes(c.name) ? ' (key)' : ''} | ${c.type} | ${c.nullable ? 'yes' : 'no'} |`);
    lines.push('');
  }
  return lines.join('\n');
}

/** Reads and checks the manifest and every file it names, before anything is written. */
function readExport(dir: string): { manifest: Manifest; rows: Map<string, string[]> } {
  const manifestFile = path.join(dir, 'manifest.json');
  if (!fs.existsSync(manifestFile)) throw new ExportError(`${dir} has no manifest.json: it is not an export made by "npm run cli -- export".`);
  let manifest: Manifest;
  try {
    manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as Manifest;
  } catch {
    throw new ExportError(`${manifestFile} is not valid JSON: the export has been changed or damaged.`);
  }
  if (manifest.format !== FORMAT || !Array.isArray(manifest.tables))
    throw new ExportError(`${manifestFile} is not the manifest of an export made by this product.`);
  if (manifest.formatVersion !== FORMAT_VERSION) {
    throw new ExportError(`This export is format version ${manifest.formatVersion}; this version of the product reads format version ${FORMAT_VERSION} only.`);
  }
  const rows = new Map<string, string[]>();
  for (const t of manifest.tables) {
    const file = path.join(dir, path.basename(t.files?.json ?? ''));
    if (!fs.existsSync(file)) throw new ExportError(`${t.files?.json} is missing from the export.`);
    const text = fs.readFileSync(file, 'utf8');
    if (sha256(text) !== t.sha256?.json)
      throw new ExportError(`${t.files.json} has been changed or damaged since the export (its checksum does not match manifest.json). Nothing was imported.`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new ExportError(`${t.files.json} is not valid JSON. Nothing was imported.`);
    }
    if (!Array.isArray(parsed) || parsed.length !== t.rows) throw new ExportError(`${t.files.json} should hold ${t.rows} rows. Nothing was imported.`);
    // Rows go to the database as written (one per line), so no number or text changes on the way.
    rows.set(t.name, t.rows ? text.slice(2, text.length - 3).split(',\n') : []);
  }
  return { manifest, rows };
}

function sameColumns(a: { name: string; type: string }[], b: { name: string; type: string }[]): boolean {
  const key = (cols: { name: string; type: string }[]) =>
    cols
      .map((c) => `${c.name}:${c.type}`)
      .sort()
      .join(',');
  return key(a) === key(b);
}

/**
 * Loads an export into an installation that holds no partnership yet, in one
 * transaction: every record comes back with its id, or nothing is written.
 */
export async function importPartnership(database: Database, dir: string): Promise<{ tables: number; rows: number }> {
  const { manifest, rows } = readExport(dir);
  return database.transaction(async (client) => {
    for (const t of PEOPLE_TABLES) {
      const { rows: found } = await client.query(`select 1 from ${ident(t)} limit 1`);
      if (found.length)
        throw new ExportError(
          `This database already holds a partnership (the ${t} table has rows). Import only into a new, empty installation. Nothing was imported.`,
        );
    }
    const tables = await partnershipTables(client);
    const here = new Map(tables.map((t) => [t.name, t]));
    for (const t of manifest.tables) {
      const mine = here.get(t.name);
      if (!mine) throw new ExportError(`The export has a table "${t.name}" that this version of the product does not have. Nothing was imported.`);
      if (!sameColumns(mine.columns, t.columns)) {
        throw new ExportError(
          `The export's ${t.name} table has different columns from this version of the product's; import it into the version that exported it. Nothing was imported.`,
        );
      }
    }
    // The framework and defaults loaded on first start make way for the partnership's own.
    for (const t of [...tables].reverse()) await client.query(`delete from ${ident(t.name)}`);
    // Triggers (an audit entry for each group change) would add rows the export already holds.
    for (const t of tables) await client.query(`alter table ${ident(t.name)} disable trigger user`);
    let total = 0;
    for (const t of tables) {
      const data = rows.get(t.name) ?? [];
      total += data.length;
      await loadTable(client, t, data);
    }
    for (const t of tables) await client.query(`alter table ${ident(t.name)} enable trigger user`);
    return { tables: tables.length, rows: total };
  });
}

async function loadTable(client: PoolClient, table: TableInfo, data: string[]): Promise<void> {
  if (!data.length) return;
  const name = ident(table.name);
  const cols = table.columns.map((c) => c.name);
  const batches: string[] = [];
  for (let i = 0; i < data.length; i += BATCH_ROWS) batches.push(`[${data.slice(i, i + BATCH_ROWS).join(',')}]`);
  // Columns loaded empty and filled in once every row is in.
  const late = new Set(table.lateColumns);
  const insert = () =>
    `insert into ${name} (${cols.map(ident).join(', ')}) select ${cols.map((c) => (late.has(c) ? 'null' : `r.${ident(c)}`)).join(', ')}
       from json_populate_recordset(null::${name}, $1::json) r`;
  if (!table.selfReferences.length) {
    for (const batch of batches) await client.query(insert(), [batch]);
  } else {
    // A row naming another row of the same table (a correction and the entry it
    // replaces) goes in after it, round by round, so every check and unique
    // index holds as each row lands. A pair pointing both ways (a certificate and
    // its reissue) cannot be ordered by both: one of the two columns is filled in last.
    const ordering = [...table.selfReferences];
    const key = table.primaryKey.map((k) => `t.${ident(k)} = r.${ident(k)}`).join(' and ');
    let loaded = 0;
    while (loaded < data.length) {
      const ready = ordering.map((f) => `(r.${ident(f.column)} is null or exists (select 1 from ${name} t where t.${ident(f.target)} = r.${ident(f.column)}))`);
      const round = `${insert()} where not exists (select 1 from ${name} t where ${key})${ready.map((r) => ` and ${r}`).join('')}`;
      let added = 0;
      for (const batch of batches) added += (await client.query(round, [batch])).rowCount ?? 0;
      loaded += added;
      if (added) continue;
      const dropped = ordering.pop();
      if (!dropped) throw new ExportError(`${table.name}.json has rows that refer to rows missing from it. Nothing was imported.`);
      late.add(dropped.column);
    }
  }
  const fill = [...late];
  if (fill.length) {
    if (!table.primaryKey.length) throw new ExportError(`The ${table.name} table refers to rows that load after it, but has no key; it cannot be imported.`);
    const set = fill.map((c) => `${ident(c)} = r.${ident(c)}`).join(', ');
    const match = table.primaryKey.map((k) => `t.${ident(k)} = r.${ident(k)}`).join(' and ');
    for (const batch of batches)
      await client.query(`update ${name} t set ${set} from json_populate_recordset(null::${name}, $1::json) r where ${match}`, [batch]);
  }
  for (const c of table.serialColumns) {
    await client.query(`select setval(pg_get_serial_sequence($1, $2), greatest((select max(${ident(c)}) from ${name}), 1))`, [table.name, c]);
  }
}
