/**
 * Staff import from an HR system's CSV export: parsing, row checks and the
 * plan of what will change. Pure functions; the store applies a plan.
 *
 * Columns (first row, any order, case and spacing ignored):
 *   name (required), email, job_title, team, staff_number, start_date,
 *   leaving_date, volunteer (yes/no), organisation (optional: slug or name,
 *   must be the organisation being imported for).
 * Dates: YYYY-MM-DD or DD/MM/YYYY. The file must be saved as CSV UTF-8.
 */
import { parse } from 'csv-parse/sync';
import { groupForJobTitle, type JobRoleMapping } from './mapping';

export const IMPORT_COLUMNS = ['name', 'email', 'job_title', 'team', 'staff_number', 'start_date', 'leaving_date', 'volunteer', 'organisation'] as const;
type Column = (typeof IMPORT_COLUMNS)[number];

export interface ImportRow {
  /** Line number in the file (the header is row 1). */
  row: number;
  name: string;
  email?: string | null;
  jobTitle?: string;
  team?: string;
  staffNumber?: string | null;
  startDate?: string | null;
  leavingDate?: string | null;
  isVolunteer?: boolean;
}

export interface RowError {
  row: number;
  reason: string;
}

export interface ParsedImport {
  /** Columns present in the file; absent columns are left as they are on existing records. */
  columns: Column[];
  rows: ImportRow[];
  errors: RowError[];
}

export class ImportFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImportFileError';
  }
}

const HEADER_ALIASES: Record<string, Column> = {
  name: 'name',
  full_name: 'name',
  email: 'email',
  email_address: 'email',
  job_title: 'job_title',
  title: 'job_title',
  role: 'job_title',
  team: 'team',
  staff_number: 'staff_number',
  staff_no: 'staff_number',
  employee_number: 'staff_number',
  start_date: 'start_date',
  leaving_date: 'leaving_date',
  leave_date: 'leaving_date',
  volunteer: 'volunteer',
  organisation: 'organisation',
  organization: 'organisation',
};

const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

/** 'YYYY-MM-DD' for a real calendar date written as YYYY-MM-DD or DD/MM/YYYY; undefined otherwise. */
export function parseImportDate(value: string): string | undefined {
  let y: number;
  let m: number;
  let d: number;
  const iso = value.match(/^(\d{4})-(\d{2})-(\d{2})$/);
  const uk = value.match(/^(\d{1,2})\/(\d{1,2})\/(\d{4})$/);
  if (iso) [y, m, d] = [Number(iso[1]), Number(iso[2]), Number(iso[3])];
  else if (uk) [y, m, d] = [Number(uk[3]), Number(uk[2]), Number(uk[1])];
  else return undefined;
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d || y < 1900 || y > 2200) return undefined;
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new ImportFileError('The file is not in UTF-8. In Excel choose File > Save As and the type "CSV UTF-8 (Comma delimited)", then upload that file.');
  }
}

/**
 * Reads the file and checks every row. Problems with the file as a whole
 * (encoding, no header, no name column) throw ImportFileError; problems with
 * a row are returned with its row number.
 */
export function parseStaffCsv(
  bytes: Uint8Array,
  organisation: { slug: string; name: string },
  knownOrganisations: { slug: string; name: string }[],
): ParsedImport {
  const text = decodeUtf8(bytes);
  if (!text.trim()) throw new ImportFileError('The file is empty.');
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, { bom: true, relax_column_count: true, skip_empty_lines: true, info: true, trim: true }) as never;
  } catch (err) {
    throw new ImportFileError(`The file could not be read as CSV: ${(err as Error).message}`);
  }
  const [header, ...data] = records;
  const columns: (Column | undefined)[] = header.record.map(
    (h) =>
      HEADER_ALIASES[
        h
          .toLowerCase()
          .replace(/[^a-z]+/g, '_')
          .replace(/^_|_$/g, '')
      ],
  );
  if (!columns.includes('name')) throw new ImportFileError(`The first row must name the columns, including "name". Columns: ${IMPORT_COLUMNS.join(', ')}.`);
  const present = IMPORT_COLUMNS.filter((c) => columns.includes(c));

  const rows: ImportRow[] = [];
  const errors: RowError[] = [];
  const seenEmail = new Map<string, number>();
  const seenNumber = new Map<string, number>();
  const orgMatches = (v: string, o: { slug: string; name: string }) => v.toLowerCase() === o.slug.toLowerCase() || v.toLowerCase() === o.name.toLowerCase();

  for (const { record, info } of data) {
    const rowNumber = info.lines;
    const cell = (c: Column): string | undefined => {
      const i = columns.indexOf(c);
      return i === -1 ? undefined : (record[i] ?? '').trim();
    };
    const problems: string[] = [];
    const name = cell('name') ?? '';
    if (!name) problems.push('the name is missing');
    else if (name.length > 200) problems.push('the name is longer than 200 characters');

    const row: ImportRow = { row: rowNumber, name };
    const email = cell('email');
    if (email !== undefined) {
      if (email && !EMAIL.test(email)) problems.push(`"${email}" is not an email address`);
      else if (email) {
        const key = email.toLowerCase();
        const earlier = seenEmail.get(key);
        if (earlier) problems.push(`the email ${email} is also on row ${earlier}`);
        else seenEmail.set(key, rowNumber);
      }
      row.email = email || null;
    }
    const staffNumber = cell('staff_number');
    if (staffNumber !== undefined) {
      if (staffNumber) {
        const earlier = seenNumber.get(staffNumber);
        if (earlier) problems.push(`the staff number ${staffNumber} is also on row ${earlier}`);
        else seenNumber.set(staffNumber, rowNumber);
      }
      row.staffNumber = staffNumber || null;
    }
    if (cell('job_title') !== undefined) row.jobTitle = cell('job_title');
    if (cell('team') !== undefined) row.team = cell('team');
    for (const [column, field] of [
      ['start_date', 'startDate'],
      ['leaving_date', 'leavingDate'],
    ] as const) {
      const value = cell(column);
      if (value === undefined) continue;
      if (!value) row[field] = null;
      else {
        const date = parseImportDate(value);
        if (!date) problems.push(`the ${column.replace('_', ' ')} "${value}" is not a date (use YYYY-MM-DD or DD/MM/YYYY)`);
        row[field] = date ?? null;
      }
    }
    if (row.startDate && row.leavingDate && row.leavingDate < row.startDate) problems.push('the leaving date is before the start date');
    const volunteer = cell('volunteer');
    if (volunteer !== undefined) {
      const v = volunteer.toLowerCase();
      if (['yes', 'y', 'true', '1'].includes(v)) row.isVolunteer = true;
      else if (['no', 'n', 'false', '0', ''].includes(v)) row.isVolunteer = false;
      else problems.push(`volunteer must be yes or no, not "${volunteer}"`);
    }
    const org = cell('organisation');
    if (org) {
      if (!orgMatches(org, organisation)) {
        const other = knownOrganisations.find((o) => orgMatches(org, o));
        problems.push(other ? `the organisation is ${other.name}, not ${organisation.name}` : `the organisation "${org}" is not one we know`);
      }
    }
    if (problems.length) errors.push({ row: rowNumber, reason: `${problems.join('; ')}.`.replace(/^./, (c) => c.toUpperCase()) });
    else rows.push(row);
  }
  if (data.length === 0) throw new ImportFileError('The file has a header row but no staff.');
  return { columns: present, rows, errors };
}

export interface ExistingStaff {
  id: string;
  name: string;
  email: string | null;
  jobTitle: string;
  team: string;
  staffNumber: string | null;
  startDate: string | null;
  leavingDate: string | null;
  isVolunteer: boolean;
  groupNumber: number | null;
  groupSource: string | null;
}

export interface StaffFields {
  name: string;
  email: string | null;
  jobTitle: string;
  team: string;
  staffNumber: string | null;
  startDate: string | null;
  leavingDate: string | null;
  isVolunteer: boolean;
}

export interface PlannedGroup {
  group: number;
  source: 'organisation-mapping' | 'partnership-mapping';
}

export interface ImportPlan {
  create: { row: number; fields: StaffFields; group: PlannedGroup | null }[];
  update: { row: number; staffId: string; name: string; changes: { field: keyof StaffFields; from: unknown; to: unknown }[]; group: PlannedGroup | null }[];
  leavers: { staffId: string; name: string; leavingDate: string }[];
  unchanged: number;
  /** Job titles in the file with no mapping: those people get no group until the lead maps the title. */
  unmappedTitles: string[];
  errors: RowError[];
}

const FIELD_LABELS: Record<keyof StaffFields, string> = {
  name: 'name',
  email: 'email',
  jobTitle: 'job title',
  team: 'team',
  staffNumber: 'staff number',
  startDate: 'start date',
  leavingDate: 'leaving date',
  isVolunteer: 'volunteer',
};
export const fieldLabel = (f: keyof StaffFields) => FIELD_LABELS[f];

/**
 * What confirming the import would do. A row matches an existing person by
 * staff number, else by email. With `fullList`, current staff who are not in
 * the file become leavers on `today`. Importing the same file twice plans
 * nothing the second time.
 */
export function planImport(
  parsed: ParsedImport,
  existing: ExistingStaff[],
  mappings: { partnership: JobRoleMapping[]; organisation: JobRoleMapping[] },
  options: { fullList: boolean; today: string },
): ImportPlan {
  const plan: ImportPlan = { create: [], update: [], leavers: [], unchanged: 0, unmappedTitles: [], errors: [...parsed.errors] };
  const byNumber = new Map(existing.filter((s) => s.staffNumber).map((s) => [s.staffNumber!, s]));
  const byEmail = new Map(existing.filter((s) => s.email).map((s) => [s.email!.toLowerCase(), s]));
  const matched = new Set<string>();
  const unmapped = new Set<string>();
  const decide = (title: string): PlannedGroup | null => {
    const d = groupForJobTitle(title, mappings.partnership, mappings.organisation);
    if ('unmapped' in d) {
      if (title) unmapped.add(title);
      return null;
    }
    return d;
  };

  for (const row of parsed.rows) {
    const match = (row.staffNumber && byNumber.get(row.staffNumber)) || (row.email && byEmail.get(row.email.toLowerCase())) || undefined;
    if (match && matched.has(match.id)) {
      plan.errors.push({ row: row.row, reason: `This row and an earlier row are both ${match.name}.` });
      continue;
    }
    if (row.email) {
      const holder = byEmail.get(row.email.toLowerCase());
      if (holder && holder !== match) {
        plan.errors.push({
          row: row.row,
          reason: `The email ${row.email} belongs to ${holder.name}${holder.staffNumber ? ` (staff number ${holder.staffNumber})` : ''}.`,
        });
        continue;
      }
    }
    if (row.staffNumber && match?.staffNumber && match.staffNumber !== row.staffNumber) {
      plan.errors.push({ row: row.row, reason: `${match.name} has the staff number ${match.staffNumber}, not ${row.staffNumber}.` });
      continue;
    }
    if (!match) {
      const fields: StaffFields = {
        name: row.name,
        email: row.email ?? null,
        jobTitle: row.jobTitle ?? '',
        team: row.team ?? '',
        staffNumber: row.staffNumber ?? null,
        startDate: row.startDate ?? null,
        leavingDate: row.leavingDate ?? null,
        isVolunteer: row.isVolunteer ?? false,
      };
      plan.create.push({ row: row.row, fields, group: decide(fields.jobTitle) });
      continue;
    }
    matched.add(match.id);
    const changes: ImportPlan['update'][number]['changes'] = [];
    const compare = <K extends keyof StaffFields>(field: K, to: StaffFields[K] | undefined) => {
      if (to === undefined) return;
      const from = match[field];
      const same = field === 'email' ? (from ?? '').toString().toLowerCase() === (to ?? '').toString().toLowerCase() : from === to;
      if (!same) changes.push({ field, from, to });
    };
    compare('name', row.name);
    compare('email', row.email);
    compare('jobTitle', row.jobTitle);
    compare('team', row.team);
    compare('staffNumber', row.staffNumber);
    compare('startDate', row.startDate);
    compare('leavingDate', row.leavingDate);
    compare('isVolunteer', row.isVolunteer);
    let group: PlannedGroup | null = null;
    if (match.groupSource !== 'lead-override') {
      const title = row.jobTitle ?? match.jobTitle;
      const decided = decide(title);
      if (decided && decided.group !== match.groupNumber) group = decided;
    }
    if (changes.length || group) plan.update.push({ row: row.row, staffId: match.id, name: match.name, changes, group });
    else plan.unchanged++;
  }

  if (options.fullList && plan.errors.length === 0) {
    for (const s of existing) {
      if (matched.has(s.id)) continue;
      if (s.leavingDate && s.leavingDate <= options.today) continue;
      plan.leavers.push({ staffId: s.id, name: s.name, leavingDate: options.today });
    }
  }
  plan.unmappedTitles = [...unmapped].sort();
  return plan;
}
