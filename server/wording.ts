/**
 * Words and figures as the GOV.UK style guide writes them, for pages, emails
 * and PDFs alike: "12pm", "12:30pm", "1 minute", "3 people", "Published".
 */

const LONDON = 'Europe/London';

/** The London clock time of a moment: "9am", "12pm", "12:30pm", "12am" for midnight. */
export function clockTime(moment: Date): string {
  const parts = new Intl.DateTimeFormat('en-GB', { hour: 'numeric', minute: '2-digit', hourCycle: 'h23', timeZone: LONDON }).formatToParts(moment);
  const hour = Number(parts.find((p) => p.type === 'hour')?.value ?? 0);
  const minute = parts.find((p) => p.type === 'minute')?.value ?? '00';
  const twelve = hour % 12 === 0 ? 12 : hour % 12;
  return `${twelve}${minute === '00' ? '' : `:${minute}`}${hour < 12 ? 'am' : 'pm'}`;
}

/** A count with its noun: "1 minute", "2 minutes", "1 person", "3 people". The plural defaults to the noun and "s". */
export function plural(count: number, singular: string, pluralForm?: string): string {
  return `${count} ${count === 1 ? singular : (pluralForm ?? `${singular}s`)}`;
}

/** A stored code as a status people read: "published" and "due-soon" become "Published" and "Due soon". */
export function sentenceCase(code: string): string {
  const words = code.replace(/[-_]+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}
