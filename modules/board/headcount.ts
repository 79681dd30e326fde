import type { DeclaredRow } from './store';

export interface FieldError {
  text: string;
  href: string;
}

const MAX_HEADCOUNT = 1_000_000;

/**
 * The declaration form: for each staff group, how many staff and how many
 * volunteers (whole numbers, 0 for none). Every box must be filled, so a
 * declaration is always for the whole organisation.
 */
export function validateHeadcount(body: Record<string, unknown>, groups: number[]): { rows: DeclaredRow[]; errors: FieldError[] } {
  const rows: DeclaredRow[] = [];
  const errors: FieldError[] = [];
  for (const g of groups) {
    const read = (field: 'staff' | 'volunteers'): number | undefined => {
      const id = `${field}${g}`;
      const raw = typeof body[id] === 'string' ? (body[id] as string).trim().replace(/,/g, '') : '';
      const what = `${field === 'staff' ? 'Staff' : 'Volunteers'} in Group ${g}`;
      if (raw === '') {
        errors.push({ text: `Enter how many ${field} are in Group ${g} (0 if none)`, href: `#${id}` });
        return undefined;
      }
      if (!/^\d+$/.test(raw)) {
        errors.push({ text: `${what} must be a whole number, like 12`, href: `#${id}` });
        return undefined;
      }
      const n = Number(raw);
      if (n > MAX_HEADCOUNT) {
        errors.push({ text: `${what} must be ${MAX_HEADCOUNT.toLocaleString('en-GB')} or fewer`, href: `#${id}` });
        return undefined;
      }
      return n;
    };
    const staff = read('staff');
    const volunteers = read('volunteers');
    if (staff !== undefined && volunteers !== undefined) rows.push({ groupNumber: g, staff, volunteers });
  }
  return { rows, errors };
}
