import type { Pool } from 'pg';

/** Every table's rows (sorted, as JSON text) and every sequence's position: what "the same database" means. */
export async function snapshotDatabase(pool: Pool, options: { except?: string[] } = {}): Promise<Record<string, string[]>> {
  const snapshot: Record<string, string[]> = {};
  const { rows: tables } = await pool.query<{ name: string }>(
    "select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public' and c.relkind in ('r', 'p') order by 1",
  );
  for (const { name } of tables) {
    if (options.except?.includes(name)) continue;
    const { rows } = await pool.query<{ row: string }>(`select row_to_json(t)::text as row from "${name}" t`);
    snapshot[name] = rows.map((r) => r.row).sort();
  }
  const { rows: sequences } = await pool.query<{ name: string }>(
    "select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public' and c.relkind = 'S' order by 1",
  );
  for (const { name } of sequences) {
    // A sequence of a table left out (audit_log_id_seq) is left out with it.
    if (options.except?.some((table) => name.startsWith(`${table}_`))) continue;
    const { rows } = await pool.query<{ row: string }>(`select last_value::text || ':' || is_called::text as row from "${name}"`);
    snapshot[`sequence ${name}`] = [rows[0].row];
  }
  return snapshot;
}

/** The tables (and sequences) whose contents differ between two snapshots: [] when nothing changed. */
export function changedTables(before: Record<string, string[]>, after: Record<string, string[]>): string[] {
  const names = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...names].filter((n) => JSON.stringify(before[n]) !== JSON.stringify(after[n])).sort();
}
