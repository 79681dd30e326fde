import type { Pool, PoolClient } from 'pg';

/**
 * The product's tables as the database itself has them: what a backup copies
 * and what a partnership export writes out, read from one listing so the two
 * cannot disagree about which tables and columns there are. Read from the
 * catalogue, not from a list kept by hand, so a table a new module adds is
 * covered without changes to either.
 */
export interface TableColumn {
  name: string;
  /** As format_type gives it, e.g. `timestamp with time zone`. */
  type: string;
  nullable: boolean;
  /** Filled from a sequence by default (serial or identity by nextval). */
  serial: boolean;
}

export interface ForeignKey {
  columns: string[];
  target: string;
  targetColumns: string[];
}

export interface ProductTable {
  name: string;
  /** In column order, generated columns left out (a restore or an import cannot write them). */
  columns: TableColumn[];
  primaryKey: string[];
  foreignKeys: ForeignKey[];
}

type Queryable = Pool | PoolClient;

/** Every table of the public schema (partitions are read through their parent), by name. */
export async function listTables(db: Queryable): Promise<ProductTable[]> {
  // One after another: a transaction's client takes one query at a time.
  const tables = await db.query<{ name: string }>(
    `select c.relname as name from pg_class c
      where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p') and not c.relispartition
      order by 1`,
  );
  const columns = await db.query<{ table: string; name: string; type: string; nullable: boolean; serial: boolean }>(
    `select c.relname as table, a.attname as name, format_type(a.atttypid, a.atttypmod) as type, not a.attnotnull as nullable,
            coalesce(pg_get_expr(d.adbin, d.adrelid), '') like 'nextval(%' as serial
       from pg_attribute a join pg_class c on c.oid = a.attrelid left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
      where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p') and a.attnum > 0 and not a.attisdropped and a.attgenerated = ''
      order by a.attrelid, a.attnum`,
  );
  const keys = await db.query<{ table: string; columns: string[] }>(
    `select c.relname as table, array_agg(a.attname::text order by k.ord) as columns
       from pg_index i join pg_class c on c.oid = i.indrelid
       cross join lateral unnest(i.indkey) with ordinality as k(attnum, ord)
       join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
      where i.indisprimary and c.relnamespace = 'public'::regnamespace group by c.relname`,
  );
  const fks = await db.query<{ table: string; target: string; columns: string[]; targetColumns: string[] }>(
    `select c.relname as table, t.relname as target,
            array(select a.attname::text from unnest(f.conkey) k join pg_attribute a on a.attrelid = f.conrelid and a.attnum = k) as columns,
            array(select a.attname::text from unnest(f.confkey) k join pg_attribute a on a.attrelid = f.confrelid and a.attnum = k) as "targetColumns"
       from pg_constraint f join pg_class c on c.oid = f.conrelid join pg_class t on t.oid = f.confrelid
      where f.contype = 'f' and f.connamespace = 'public'::regnamespace`,
  );
  return tables.rows.map(({ name }) => ({
    name,
    columns: columns.rows.filter((c) => c.table === name).map(({ name: column, type, nullable, serial }) => ({ name: column, type, nullable, serial })),
    primaryKey: keys.rows.find((k) => k.table === name)?.columns ?? [],
    foreignKeys: fks.rows.filter((f) => f.table === name).map(({ columns: cols, target, targetColumns }) => ({ columns: cols, target, targetColumns })),
  }));
}

/** A quoted SQL identifier. */
export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
