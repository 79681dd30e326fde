import { readFlags } from '../../server/cli-args';
import { defineModule } from '../../server/module';
import { BackupError, restoreBackup, writeBackup } from './backup';

export const BACKUP_USAGE = 'npm run cli -- backup --out PATH';
export const RESTORE_USAGE = 'npm run cli -- restore --in PATH';

function fileFlag(args: string[], name: 'out' | 'in', usage: string): string {
  const value = readFlags(args, { [name]: { type: 'string' } }, usage).values[name];
  if (typeof value !== 'string' || !value) throw new BackupError(`--${name} PATH is required.\nUsage: ${usage}`);
  return value;
}

/**
 * Backup and restore of the whole database: pg_dump / pg_restore on
 * PostgreSQL, a consistent table-by-table copy through the SQL connection on
 * the embedded database (so it works whether or not the server is running).
 */
export default defineModule({
  name: 'backup',
  cli: {
    backup: {
      summary: 'Write a backup of the whole database to a file',
      usage: BACKUP_USAGE,
      async run(ctx, args) {
        const out = fileFlag(args, 'out', BACKUP_USAGE);
        const summary = await writeBackup(ctx.database, out);
        console.log(
          summary.format === 'pg_dump'
            ? `Backup written to ${out} (pg_dump custom format, ${summary.tables} tables). Restore with: npm run cli -- restore --in ${out}`
            : `Backup written to ${out} (${summary.tables} tables, ${summary.rows} rows). Restore with: npm run cli -- restore --in ${out}`,
        );
        // The content of imported e-learning is files, not rows (README, "Backup and restore"). Said even
        // before any is imported: the operator sets up the copying once, with the backup.
        console.log(`Imported e-learning content is not in the backup file: copy ${ctx.config.scormDir} with it.`);
      },
    },
    restore: {
      summary: 'Replace everything in the database with a backup file (all or nothing)',
      usage: RESTORE_USAGE,
      async run(ctx, args) {
        const file = fileFlag(args, 'in', RESTORE_USAGE);
        const summary = await restoreBackup(ctx.database, file);
        console.log(`Restored ${file}: ${summary.tables} tables${summary.rows === undefined ? '' : `, ${summary.rows} rows`}.`);
      },
    },
  },
});
