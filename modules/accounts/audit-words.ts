import { plural, sentenceCase } from '../../server/wording';

type Detail = Record<string, unknown>;

const text = (v: unknown) => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');
const num = (v: unknown) => (typeof v === 'number' ? v : Number(v) || 0);
const group = (v: unknown) => (v === null || v === undefined ? 'no group' : `Group ${text(v)}`);

const GROUP_SOURCES: Record<string, string> = {
  'partnership-mapping': 'the partnership’s job title mapping',
  'organisation-mapping': 'the organisation’s job title mapping',
  'lead-override': 'the organisation’s lead',
  import: 'a staff import',
  sso: 'single sign-on',
};

const SIGN_IN_METHODS: Record<string, string> = { password: 'with a password', invitation: 'from an invitation', saml: 'through single sign-on' };

const SENTENCES: Record<string, (d: Detail) => string> = {
  'account.unlocked': (d) => `Account of ${text(d.email) || 'a user'} unlocked`,
  'api-token.revoked': (d) => (d.email ? `API token of ${text(d.email)} revoked` : 'API token revoked by its owner'),
  'board.headcount-declared': () => 'Declared headcount updated',
  'board.snapshot-taken': (d) => `Board figures for ${text(d.quarter)} kept as reported`,
  'board.snapshot-retaken': (d) => `Board figures for ${text(d.quarter)} taken again`,
  'board.threshold-set': (d) =>
    d.threshold === null || d.threshold === undefined ? 'Small-number threshold reset to the default' : `Small-number threshold set to ${text(d.threshold)}`,
  'certificate.reissued': (d) => `Certificate reissued${d.reason ? `: ${text(d.reason)}` : ''}`,
  'certificate.revoked': (d) => `Certificate revoked${d.reason ? `: ${text(d.reason)}` : ''}`,
  'certificates.downloaded': (d) => `${plural(num(d.count), 'certificate')} downloaded as one zip file${d.team ? ` for team ${text(d.team)}` : ''}`,
  'data-protection.anonymised': () => 'Personal details of leavers anonymised',
  'data-protection.retention-set': (d) => `Leavers’ records kept for ${plural(num(d.months), 'month')}`,
  'data-protection.subject-access-exported': (d) => `Subject access export downloaded${d.format ? ` (${text(d.format).toUpperCase()})` : ''}`,
  'framework.draft-created': () => 'Framework draft started',
  'framework.draft-discarded': () => 'Framework draft discarded',
  'framework.imported': (d) => `Framework document imported as draft version ${text(d.version)} (${plural(num(d.groups), 'group')})`,
  'framework.published': (d) => `Framework version ${text(d.version)} published`,
  'in-house-course.submitted': (d) => `In-house course ${d.title ? `“${text(d.title)}” ` : ''}submitted for recognition`,
  'in-house-course.completions-recorded': (d) =>
    `${plural(Array.isArray(d.staffIds) ? d.staffIds.length : num(d.recorded), 'completion')} of an in-house course recorded`,
  'invitation.sent': (d) => `Invitation sent to ${text(d.email)}${d.role ? ` as ${text(d.role)}` : ''}`,
  'invitation.withdrawn': () => 'Invitation withdrawn',
  'invitation.accepted': (d) => `Invitation accepted${d.role ? ` as ${text(d.role)}` : ''}`,
  'organisation.created': (d) => (d.name ? `Organisation ${text(d.name)} added` : 'Organisation added'),
  'organisation.updated': () => 'Organisation details changed',
  'organisation.settings-changed': () => 'Organisation settings changed',
  'organisation.licence-added': (d) => `Licence added${d.seats ? ` for ${plural(num(d.seats), 'seat')}` : ''}`,
  'partnership.support-changed': () => 'Support links and quick exit page changed',
  'password.reset-requested': () => 'Password reset link asked for',
  'password.reset': () => 'Password reset',
  'registration.confirmed': () => 'Public e-learning registration confirmed',
  'reminders.defaults-changed': () => 'Partnership reminder policy changed',
  'reminders.policy-changed': () => 'Organisation reminder policy changed',
  'reminders.policy-reset': () => 'Organisation reminder policy reset to the partnership’s',
  'reminders.digest-unsubscribed': () => 'Reminder digest unsubscribed',
  'role.granted': (d) => `Role ${text(d.role)} given${d.email ? ` to ${text(d.email)}` : ''}`,
  'role.revoked': (d) => `Role ${text(d.role)} taken away${d.email ? ` from ${text(d.email)}` : ''}`,
  'scorm.imported': (d) => `SCORM package ${text(d.identifier)} imported as version ${text(d.version)}`,
  'sign-in': (d) => `Signed in ${SIGN_IN_METHODS[text(d.method)] ?? ''}`.trim(),
  'sign-in.failed': (d) => `Sign-in failed${d.email ? ` for ${text(d.email)}` : ''}`,
  'sign-in.refused': (d) => `Single sign-on refused${d.reason ? `: ${text(d.reason)}` : ''}`,
  'sign-in.throttled': (d) => `Sign-in paused after too many failed attempts${d.minutes ? ` in ${plural(num(d.minutes), 'minute')}` : ''}`,
  'sign-out': (d) => (d.method === 'saml' ? 'Signed out through single sign-on' : 'Signed out'),
  'sign-out.refused': (d) => `Single sign-on sign-out refused${d.reason ? `: ${text(d.reason)}` : ''}`,
  'sso.configured': () => 'Single sign-on settings saved',
  'sso.metadata-refreshed': () => 'Single sign-on metadata fetched again',
  'staff.group-changed': (d) => {
    const by = GROUP_SOURCES[text(d.source)];
    const change =
      d.from === null || d.from === undefined ? `Staff group set to ${group(d.to)}` : `Staff group changed from ${group(d.from)} to ${group(d.to)}`;
    return `${change}${by ? ` by ${by}` : ''}${d.reason ? `: ${text(d.reason)}` : ''}`;
  },
  'staff.group-override': (d) => `Staff group set to ${group(d.group)} by the organisation’s lead${d.reason ? `: ${text(d.reason)}` : ''}`,
  'staff.groups-follow-framework': (d) =>
    `Staff groups follow framework version ${text(d.version)}: ${plural(num(d.staffMoved), 'person', 'people')} placed again, ${plural(num(d.mappingsRemoved), 'job title mapping')} removed`,
  'staff.import': (d) => `Staff import applied: ${num(d.create)} added, ${num(d.update)} changed, ${plural(num(d.leavers), 'leaver')}`,
  'staff.job-role-mapped': (d) => `Job title “${text(d.jobTitle)}” mapped to ${group(d.group)} for the organisation`,
  'staff.partnership-job-role-mapped': (d) => `Job title “${text(d.jobTitle)}” mapped to ${group(d.group)} for the partnership`,
  'staff.partnership-job-role-removed': () => 'Partnership job title mapping removed',
  'training-session.offer-accepted': () => 'Offer of a training place accepted',
  'training-session.offer-declined': () => 'Offer of a training place declined',
  'training-session.substituted': () => 'Training place passed to a colleague',
  'training-sessions.booking-terms-changed': () => 'Booking terms changed',
};

/**
 * What an audit log entry records, as a sentence an administrator reads
 * ("Staff group changed from Group 1 to Group 2 by a staff import"); the
 * recorded data stays available beside it. An action this list does not
 * know yet still reads as words ("Passport: accepted").
 */
export function auditSentence(action: string, detail: Detail): string {
  const words = SENTENCES[action];
  if (words) return words(detail ?? {});
  const [area, what] = action.split(/\.(.*)/s);
  return what ? `${sentenceCase(area)}: ${sentenceCase(what).toLowerCase()}` : sentenceCase(area);
}

/** The entry's recorded data, key by key, for those who need the exact values. */
export function auditDetailText(detail: Detail): string {
  return Object.entries(detail ?? {})
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join('; ');
}
