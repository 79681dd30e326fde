import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { readFlags } from '../../server/cli-args';
import { UsageError } from '../../server/errors';
import type { CliCommand, ModuleContext } from '../../server/module';
import { createOrganisationStore } from '../organisations/api';
import { fieldLabel, ImportFileError, type ImportPlan, parseStaffCsv } from './import';
import { createStaffStore } from './store';
import { londonToday } from './today';

export const STAFF_IMPORT_USAGE = 'npm run cli -- staff:import --org SLUG FILE [--full-list] [--yes]';

function usageError(message: string): UsageError {
  return new UsageError(`${message}\nUsage: ${STAFF_IMPORT_USAGE}`);
}

/** The preview as plain text, for the terminal. */
export function describePlan(plan: ImportPlan): string[] {
  const lines: string[] = [];
  lines.push(`To add: ${plan.create.length}`);
  for (const c of plan.create)
    lines.push(
      `  row ${c.row}: ${c.fields.name}${c.fields.jobTitle ? `, ${c.fields.jobTitle}` : ''} (${c.group ? `Group ${c.group.group}` : 'no group: job title not mapped'})`,
    );
  lines.push(`To update: ${plan.update.length}`);
  for (const u of plan.update) {
    const parts = u.changes.map((ch) => `${fieldLabel(ch.field)} ${JSON.stringify(ch.from ?? '')} -> ${JSON.stringify(ch.to ?? '')}`);
    if (u.group) parts.push(`group -> ${u.group.group}`);
    lines.push(`  row ${u.row}: ${u.name}: ${parts.join('; ')}`);
  }
  lines.push(`To mark as leavers: ${plan.leavers.length}`);
  for (const l of plan.leavers) lines.push(`  ${l.name} (leaving date ${l.leavingDate})`);
  lines.push(`Unchanged: ${plan.unchanged}`);
  if (plan.unmappedTitles.length)
    lines.push(`Job titles with no group mapping (map them on the "Unmapped job titles" page): ${plan.unmappedTitles.join(', ')}`);
  if (plan.errors.length) {
    lines.push(`Rows with problems: ${plan.errors.length}`);
    for (const e of plan.errors) lines.push(`  row ${e.row}: ${e.reason}`);
  }
  return lines;
}

/**
 * `staff:import`: shows what the file would change; with --yes applies it in
 * one transaction. Without --yes nothing is written.
 */
export async function runStaffImport(ctx: ModuleContext, args: string[], print: (line: string) => void = console.log): Promise<void> {
  const { values, positionals: positional } = readFlags(
    args,
    { org: { type: 'string' }, yes: { type: 'boolean' }, 'full-list': { type: 'boolean' } },
    STAFF_IMPORT_USAGE,
    { positionals: Infinity },
  );
  const { org, yes = false, 'full-list': fullList = false } = values;
  if (!org) throw usageError('--org SLUG is required: the organisation whose staff the file lists.');
  if (positional.length !== 1) throw usageError('Give exactly one CSV file.');
  const file = positional[0];
  const organisations = await createOrganisationStore(ctx.database.pool).list();
  const organisation = organisations.find((o) => o.slug === org);
  if (!organisation) throw usageError(`No organisation with the slug "${org}". Slugs: ${organisations.map((o) => o.slug).join(', ')}.`);
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw usageError(`There is no file at ${file}.`);
  const bytes = fs.readFileSync(file);

  let parsed: ReturnType<typeof parseStaffCsv>;
  try {
    parsed = parseStaffCsv(bytes, organisation, organisations);
  } catch (err) {
    if (err instanceof ImportFileError) throw new Error(`${file}: ${err.message}`);
    throw err;
  }
  const store = createStaffStore(ctx.database, ctx.events);
  await store.ensureDefaultMappings();
  const scope = { kind: 'all' } as const;
  const today = londonToday();
  const plan = await store.planUpload(scope, organisation.id, parsed, { fullList, today });
  print(`Import of ${path.basename(file)} for ${organisation.name}${fullList ? ' (full list: staff not in the file become leavers)' : ''}`);
  for (const line of describePlan(plan)) print(line);
  if (plan.errors.length)
    throw new Error(
      `Nothing was imported: correct the ${plan.errors.length} row${plan.errors.length === 1 ? '' : 's'} with problems and run the command again.`,
    );
  if (!yes) {
    print('Nothing has been written. To apply this import, run the same command with --yes.');
    return;
  }
  const { batchId } = await store.previewImport(scope, {
    organisationId: organisation.id,
    fileName: path.basename(file),
    fileHash: createHash('sha256').update(bytes).digest('hex'),
    fullList,
    parsed,
    userId: null,
    today,
  });
  const applied = await store.confirmImport(scope, batchId, null, today);
  print(`Imported: ${applied.create.length} added, ${applied.update.length} updated, ${applied.leavers.length} marked as leavers.`);
}

export const staffImportCommand: CliCommand = {
  summary: "Import an organisation's staff from a CSV file (preview; --yes to apply)",
  usage: STAFF_IMPORT_USAGE,
  run: (ctx, args) => runStaffImport(ctx, args),
};
