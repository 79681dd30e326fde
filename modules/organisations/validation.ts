import { type DateParts, readDateInput } from '../../server/date-input';
import { SECTORS, type Sector } from './store';

export interface FieldError {
  text: string;
  href: string;
}

type Body = Record<string, unknown>;

const str = (body: Body, name: string) => String(body[name] ?? '').trim();
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}$/;
const SLUG = /^[a-z0-9]+(-[a-z0-9]+)*$/;
/** Words in the organisation pages' own addresses (/admin/organisations/new). */
const RESERVED_SLUGS = ['new'];

export interface OrganisationDetails {
  name: string;
  slug: string;
  sector: Sector;
  inArea: boolean;
  emailDomains: string[];
}

/** Name, short name for web addresses, sector, area and email domains from the form; errors as the GOV.UK summary wants them. */
export function validateDetails(body: Body): { values: OrganisationDetails; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const name = str(body, 'name').replace(/\s+/g, ' ');
  const slug = str(body, 'slug').toLowerCase();
  const sector = str(body, 'sector');
  const inArea = str(body, 'inArea');
  const emailDomains = [
    ...new Set(
      str(body, 'emailDomains')
        .toLowerCase()
        .split(/[\s,;]+/)
        .map((d) => d.replace(/^@/, ''))
        .filter(Boolean),
    ),
  ];
  if (!name) errors.push({ text: 'Enter the organisation’s name', href: '#name' });
  else if (name.length > 200) errors.push({ text: 'The name must be 200 characters or fewer', href: '#name' });
  if (!slug) errors.push({ text: 'Enter a short name for web addresses, for example vale-county-council', href: '#slug' });
  else if (!SLUG.test(slug) || slug.length > 60)
    errors.push({ text: 'The short name must be 60 characters or fewer and use only lower case letters, numbers and hyphens', href: '#slug' });
  else if (RESERVED_SLUGS.includes(slug)) errors.push({ text: `“${slug}” is used by the service itself; choose another short name`, href: '#slug' });
  if (!Object.hasOwn(SECTORS, sector)) errors.push({ text: 'Select the organisation’s sector', href: '#sector' });
  if (inArea !== 'yes' && inArea !== 'no') errors.push({ text: 'Select whether the organisation works inside the partnership’s area', href: '#inArea' });
  const bad = emailDomains.filter((d) => !DOMAIN.test(d));
  if (bad.length) errors.push({ text: `Email domains must look like example.org.uk (check ${bad.join(', ')})`, href: '#emailDomains' });
  return { values: { name, slug, sector: sector as Sector, inArea: inArea === 'yes', emailDomains }, errors };
}

export interface OrganisationSettings {
  /** Months per group number ('1', '2' ...): one for each group of the published framework. */
  refresherMonths: Record<string, number>;
  inductionDays: number;
  dueSoonDays: number;
  usesRcnIntercollegiate: boolean;
}

function wholeNumber(body: Body, name: string, label: string, min: number, max: number, errors: FieldError[]): number {
  const raw = str(body, name);
  const n = Number(raw);
  if (raw === '') errors.push({ text: `Enter ${label}`, href: `#${name}` });
  else if (!/^\d+$/.test(raw)) errors.push({ text: `${capitalise(label)} must be a whole number`, href: `#${name}` });
  else if (n < min || n > max) errors.push({ text: `${capitalise(label)} must be between ${min} and ${max}`, href: `#${name}` });
  return n;
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/**
 * The settings form: refresher months for each group of the published
 * framework, induction and due-soon windows, RCN. The reminder policy is the
 * reminders module's.
 */
export function validateSettings(body: Body, groups: readonly { number: number; name: string }[]): { values: OrganisationSettings; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const refresherMonths: OrganisationSettings['refresherMonths'] = {};
  for (const g of groups) {
    refresherMonths[String(g.number)] = wholeNumber(body, `refresher${g.number}`, `the refresher interval for ${g.name} in months`, 1, 120, errors);
  }
  const inductionDays = wholeNumber(body, 'inductionDays', 'the induction period in days', 0, 730, errors);
  const dueSoonDays = wholeNumber(body, 'dueSoonDays', 'how many days before it is due training shows as due soon', 0, 365, errors);
  const rcn = str(body, 'usesRcnIntercollegiate');
  if (rcn !== 'yes' && rcn !== 'no')
    errors.push({ text: 'Select whether the organisation’s health staff work to the RCN intercollegiate documents', href: '#usesRcnIntercollegiate' });
  return {
    values: {
      refresherMonths,
      inductionDays,
      dueSoonDays,
      usesRcnIntercollegiate: rcn === 'yes',
    },
    errors,
  };
}

export function validateLicence(body: Body): {
  values: { startsOn: string; endsOn: string; seats: number };
  entered: { startsOn: DateParts; endsOn: DateParts };
  errors: FieldError[];
} {
  const errors: FieldError[] = [];
  const start = readDateInput(body, 'startsOn', 'the start date');
  const end = readDateInput(body, 'endsOn', 'the end date');
  if (start.error) errors.push(start.error);
  if (end.error) errors.push(end.error);
  if (start.value && end.value && end.value < start.value)
    errors.push({ text: 'The end date must be the same as or after the start date', href: '#endsOn-day' });
  const seats = wholeNumber(body, 'seats', 'the number of seats', 1, 100000, errors);
  return { values: { startsOn: start.value ?? '', endsOn: end.value ?? '', seats }, entered: { startsOn: start.entered, endsOn: end.entered }, errors };
}
