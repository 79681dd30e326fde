import { createHmac, timingSafeEqual } from 'node:crypto';
import { DateTime } from 'luxon';
import type { ReminderDue } from './rules';

export interface Competency {
  lineage: string;
  text: string;
  groupNumber?: number;
  number?: number;
}

export interface Composed {
  subject: string;
  text: string;
  html: string;
  summary: string;
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export function longDate(day: string): string {
  return DateTime.fromISO(day).toFormat('d MMMM yyyy');
}

function label(c: Competency): string {
  return c.groupNumber && c.number ? `Group ${c.groupNumber}.${c.number}: ${c.text}` : c.text;
}

interface Link {
  text: string;
  url: string;
}

function render(greeting: string, paragraphs: string[], items: string[], links: Link[], footer: (string | Link)[]): { text: string; html: string } {
  const text = [
    greeting,
    '',
    ...paragraphs.flatMap((p) => [p, '']),
    ...(items.length ? [...items.map((i) => `- ${i}`), ''] : []),
    ...links.map((l) => `${l.text}: ${l.url}`),
    '',
    ...footer.map((f) => (typeof f === 'string' ? f : `${f.text}: ${f.url}`)),
  ].join('\n');
  const html = [
    `<p>${esc(greeting)}</p>`,
    ...paragraphs.map((p) => `<p>${esc(p)}</p>`),
    items.length ? `<ul>${items.map((i) => `<li>${esc(i)}</li>`).join('')}</ul>` : '',
    links.length ? `<ul>${links.map((l) => `<li><a href="${esc(l.url)}">${esc(l.text)}</a></li>`).join('')}</ul>` : '',
    ...footer.map((f) => (typeof f === 'string' ? `<p>${esc(f)}</p>` : `<p><a href="${esc(f.url)}">${esc(f.text)}</a></p>`)),
  ].join('\n');
  return { text, html };
}

/**
 * A reminder to one member of staff. The subject says nothing about their
 * progress (others may read a shared inbox or a lock screen); the body says
 * what is due, when, and links straight to the training.
 */
export function composeReminder(opts: {
  due: ReminderDue;
  name: string;
  partnership: string;
  publicUrl: string;
  competencies: Competency[];
  courses: { slug: string; title: string }[];
}): Composed {
  const { due, publicUrl } = opts;
  const items = opts.competencies.map(label);
  const links: Link[] = [
    ...opts.courses.map((c) => ({ text: c.title, url: `${publicUrl}/courses/${c.slug}` })),
    { text: 'Your training and sessions to book', url: `${publicUrl}/my-training` },
  ];
  let paragraphs: string[];
  let summary: string;
  if (due.kind === 'welcome') {
    paragraphs = [
      `Welcome. As part of your role you need domestic abuse training from the ${opts.partnership}.`,
      due.dueDate ? `Please complete it by ${longDate(due.dueDate)}. Your role requires:` : 'Your role requires:',
    ];
    summary = `Welcome: training required${due.dueDate ? ` by ${due.dueDate}` : ''}`;
  } else if (due.kind === 'before-expiry') {
    paragraphs = [`Your domestic abuse training stops counting on ${longDate(due.dueDate!)}. Please refresh it before then:`];
    summary = `Refresher due ${due.dueDate} (${due.step.replace('before-', '')} days before)`;
  } else {
    paragraphs = [
      due.dueDate ? `Your domestic abuse training was due on ${longDate(due.dueDate)} and needs doing now:` : 'Your domestic abuse training needs doing now:',
    ];
    summary = `Training overdue${due.dueDate ? ` since ${due.dueDate}` : ''} (${due.step})`;
  }
  const subject = due.kind === 'welcome' ? `Welcome to training with ${opts.partnership}` : `Training reminder from ${opts.partnership}`;
  const { text, html } = render(`Dear ${opts.name},`, paragraphs, items, links, [`${opts.partnership}`]);
  return { subject, text, html, summary };
}

/** The lead is told when someone has been overdue for the escalation period. */
export function composeEscalation(opts: {
  due: ReminderDue;
  leadName: string;
  staffName: string;
  organisationSlug: string;
  partnership: string;
  publicUrl: string;
  competencies: Competency[];
}): Composed {
  const { due, publicUrl } = opts;
  const { text, html } = render(
    `Dear ${opts.leadName},`,
    [
      `${opts.staffName}'s domestic abuse training has been overdue since ${due.dueDate ? longDate(due.dueDate) : 'their induction ended'} and they have been reminded. Please follow it up:`,
    ],
    opts.competencies.map(label),
    [
      { text: `${opts.staffName}'s training record`, url: `${publicUrl}/staff/${due.staffId}/evidence` },
      { text: 'Your organisation’s compliance', url: `${publicUrl}/compliance/${opts.organisationSlug}` },
    ],
    [`${opts.partnership}`],
  );
  return {
    subject: `Staff training follow-up from ${opts.partnership}`,
    text,
    html,
    summary: `Escalated to lead: overdue since ${due.dueDate ?? 'induction'}`,
  };
}

export function unsubscribeToken(secret: string, userId: string, organisationId: string): string {
  return createHmac('sha256', secret).update(`digest-unsubscribe:${userId}:${organisationId}`).digest('base64url');
}

export function checkUnsubscribeToken(secret: string, userId: string, organisationId: string, token: string): boolean {
  const expected = Buffer.from(unsubscribeToken(secret, userId, organisationId));
  const given = Buffer.from(token);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

export function unsubscribeUrl(publicUrl: string, secret: string, userId: string, organisationId: string): string {
  return `${publicUrl}/reminders/unsubscribe?u=${userId}&o=${organisationId}&t=${unsubscribeToken(secret, userId, organisationId)}`;
}

/** The lead's weekly or monthly digest: totals, who is overdue, what goes out next; with an unsubscribe link. */
export function composeDigest(opts: {
  leadName: string;
  organisationName: string;
  organisationSlug: string;
  partnership: string;
  publicUrl: string;
  counts: { name: string; count: number }[];
  overdue: string[];
  unsubscribeUrl: string;
  periodDay: string;
}): Composed {
  const { publicUrl } = opts;
  const { text, html } = render(
    `Dear ${opts.leadName},`,
    [
      `Domestic abuse training at ${opts.organisationName} on ${longDate(opts.periodDay)}:`,
      ...opts.counts.filter((c) => c.count > 0).map((c) => `${c.name}: ${c.count}`),
      opts.overdue.length ? 'Overdue:' : 'Nobody is overdue.',
    ],
    opts.overdue,
    [
      { text: 'Compliance', url: `${publicUrl}/compliance/${opts.organisationSlug}` },
      { text: 'Reminders sent and scheduled', url: `${publicUrl}/reminders/${opts.organisationSlug}` },
    ],
    [opts.partnership, { text: 'Stop receiving this digest', url: opts.unsubscribeUrl }],
  );
  return { subject: `Training digest from ${opts.partnership}`, text, html, summary: `Digest for ${opts.periodDay}` };
}
