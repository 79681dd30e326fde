import type { SupportLink } from '../../server/partnership';

export interface FieldError {
  text: string;
  href: string;
}

/**
 * The local support services an administrator types, one a line:
 * "Name | https://address | phone number or description". Every line that
 * cannot be read is named, so nothing typed is lost silently.
 */
export function parseSupportLinks(text: string): { links: SupportLink[]; errors: FieldError[] } {
  const links: SupportLink[] = [];
  const errors: FieldError[] = [];
  text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .forEach((line, i) => {
      if (!line) return;
      const [name, url, ...rest] = line.split('|').map((p) => p.trim());
      const description = rest.join(' | ').trim();
      if (!name || !url) errors.push({ text: `Line ${i + 1}: give a name and a web address, separated by "|"`, href: '#supportLinks' });
      else if (!/^https?:\/\/[^\s|]+$/.test(url))
        errors.push({ text: `Line ${i + 1}: "${url}" is not a web address (it must start with https://)`, href: '#supportLinks' });
      else if (name.length > 200 || description.length > 300)
        errors.push({ text: `Line ${i + 1}: keep the name under 200 and the description under 300 characters`, href: '#supportLinks' });
      else links.push({ name, url, ...(description ? { description } : {}) });
    });
  if (links.length > 20) errors.push({ text: 'List at most 20 local services', href: '#supportLinks' });
  return { links, errors };
}

export function formatSupportLinks(links: SupportLink[]): string {
  return links.map((l) => [l.name, l.url, l.description].filter(Boolean).join(' | ')).join('\n');
}

/** The quick-exit destination: an https address, so the exit never shows a browser warning. */
export function exitUrlProblem(url: string): string | null {
  if (!url) return 'Enter the web address the quick exit goes to';
  if (!/^https:\/\/[^\s]+$/.test(url)) return 'The quick exit address must start with https:// and have no spaces';
  try {
    new URL(url);
  } catch {
    return 'The quick exit address is not a web address';
  }
  return null;
}

// Words that would tell someone reading over a shoulder, a shared inbox or a
// lock screen how a person's training stands.
const REVEALING = /\b(overdue|late|due|expir\w*|fail\w*|passed|incomplete|completed?|compliant|non-compliant|missed|behind)\b/i;

/** True when an email subject line says something about the person's progress. */
export function subjectRevealsProgress(subject: string): boolean {
  return REVEALING.test(subject);
}
