import { readFlags } from '../../server/cli-args';
import { defineModule } from '../../server/module';
import { ExportError, exportPartnership, importPartnership } from './transfer';

function dirFlag(args: string[], name: 'out' | 'in', usage: string): string {
  const value = readFlags(args, { [name]: { type: 'string' } }, usage).values[name];
  if (typeof value !== 'string' || !value) throw new ExportError(`--${name} DIR is required.\nUsage: ${usage}`);
  return value;
}

const EXPORT_USAGE = 'npm run cli -- export --out DIR';
const IMPORT_USAGE = 'npm run cli -- import --in DIR';

/**
 * Leave at any time with everything: the whole partnership as documented CSV
 * and JSON, and an import that rebuilds it, ids and all, in a new installation.
 */
export default defineModule({
  name: 'partnership-export',
  cli: {
    export: {
      summary: "Export all the partnership's data as CSV and JSON files (with a README) into a new folder",
      usage: EXPORT_USAGE,
      async run(ctx, args) {
        const dir = dirFlag(args, 'out', EXPORT_USAGE);
        const manifest = await exportPartnership(ctx.database, dir);
        const rows = manifest.tables.reduce((n, t) => n + t.rows, 0);
        console.log(`Exported ${manifest.tables.length} tables (${rows} rows) to ${dir}. README.md there describes every file.`);
      },
    },
    import: {
      summary: 'Load an export (from "export --out DIR") into a new, empty installation',
      usage: IMPORT_USAGE,
      async run(ctx, args) {
        const dir = dirFlag(args, 'in', IMPORT_USAGE);
        const result = await importPartnership(ctx.database, dir);
        console.log(`Imported ${result.rows} rows into ${result.tables} tables from ${dir}.`);
      },
    },
  },
});
