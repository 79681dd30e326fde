import type { ScormVersion } from './manifest';

/** Run-time data as stored: element name to string value, e.g. {'cmi.core.lesson_location': '3'}. */
export type Cmi = Record<string, string>;

type Check = (value: string) => string | null;

/** A length check that also says its limit, so the player can refuse an over-long value at SetValue. */
const maxLength = (n: number): Check & { max: number } => Object.assign((v: string) => (v.length > n ? `is longer than ${n} characters` : null), { max: n });
const vocab =
  (...words: string[]): Check =>
  (v) =>
    words.includes(v) ? null : `must be one of: ${words.map((w) => (w === '' ? '(empty)' : w)).join(', ')}`;
const decimal =
  (min?: number, max?: number, allowEmpty = true): Check =>
  (v) => {
    if (v === '' && allowEmpty) return null;
    if (!/^-?\d+(\.\d+)?$/.test(v)) return 'must be a number';
    const n = Number(v);
    if ((min !== undefined && n < min) || (max !== undefined && n > max)) return `must be between ${min} and ${max}`;
    return null;
  };
const pattern =
  (re: RegExp, what: string): Check =>
  (v) =>
    v === '' || re.test(v) ? null : `must be ${what}`;

const TIMESPAN_12 = /^\d{2,4}:\d{2}:\d{2}(\.\d{1,2})?$/;
const DURATION_2004 = /^P(?:\d+Y)?(?:\d+M)?(?:\d+D)?(?:T(?:\d+H)?(?:\d+M)?(?:\d+(?:\.\d{1,2})?S)?)?$/;

/** Elements a SCORM 1.2 SCO may set, with the checks the data model asks for. */
const WRITABLE_12: [RegExp, Check][] = [
  [/^cmi\.core\.lesson_location$/, maxLength(255)],
  [/^cmi\.core\.lesson_status$/, vocab('passed', 'completed', 'failed', 'incomplete', 'browsed', 'not attempted')],
  [/^cmi\.core\.score\.(raw|min|max)$/, decimal(0, 100)],
  [/^cmi\.core\.exit$/, vocab('time-out', 'suspend', 'logout', '')],
  [/^cmi\.core\.session_time$/, pattern(TIMESPAN_12, 'a time span such as 0000:12:30.00')],
  [/^cmi\.suspend_data$/, maxLength(4096)],
  [/^cmi\.comments$/, maxLength(4096)],
  [/^cmi\.student_preference\.(audio|speed|text)$/, decimal(-100, 100)],
  [/^cmi\.student_preference\.language$/, maxLength(255)],
  [/^cmi\.objectives\.\d+\.id$/, maxLength(255)],
  [/^cmi\.objectives\.\d+\.score\.(raw|min|max)$/, decimal(0, 100)],
  [/^cmi\.objectives\.\d+\.status$/, vocab('passed', 'completed', 'failed', 'incomplete', 'browsed', 'not attempted', '')],
  [/^cmi\.interactions\.\d+\.(id|time|type|weighting|student_response|result|latency)$/, maxLength(4096)],
  [/^cmi\.interactions\.\d+\.(objectives\.\d+\.id|correct_responses\.\d+\.pattern)$/, maxLength(4096)],
];
/** Elements the LMS sets; a client may echo them back, they are ignored. */
const READ_ONLY_12 =
  /^cmi\.(core\.(student_id|student_name|credit|entry|total_time|lesson_mode)|launch_data|comments_from_lms|student_data\..+|.*\._children|.*\._count)$/;

const WRITABLE_2004: [RegExp, Check][] = [
  [/^cmi\.location$/, maxLength(1000)],
  [/^cmi\.completion_status$/, vocab('completed', 'incomplete', 'not attempted', 'unknown')],
  [/^cmi\.success_status$/, vocab('passed', 'failed', 'unknown')],
  [/^cmi\.score\.scaled$/, decimal(-1, 1)],
  [/^cmi\.score\.(raw|min|max)$/, decimal()],
  [/^cmi\.progress_measure$/, decimal(0, 1)],
  [/^cmi\.exit$/, vocab('time-out', 'suspend', 'logout', 'normal', '')],
  [/^cmi\.session_time$/, pattern(DURATION_2004, 'an ISO 8601 duration such as PT12M30S')],
  [/^cmi\.suspend_data$/, maxLength(64000)],
  [/^cmi\.learner_preference\.(audio_level|delivery_speed)$/, decimal(0)],
  [/^cmi\.learner_preference\.audio_captioning$/, vocab('-1', '0', '1')],
  [/^cmi\.learner_preference\.language$/, maxLength(250)],
  [/^cmi\.comments_from_learner\.\d+\.(comment|location|timestamp)$/, maxLength(4000)],
  [/^cmi\.objectives\.\d+\.(id|description)$/, maxLength(4000)],
  [/^cmi\.objectives\.\d+\.score\.scaled$/, decimal(-1, 1)],
  [/^cmi\.objectives\.\d+\.score\.(raw|min|max)$/, decimal()],
  [/^cmi\.objectives\.\d+\.(success_status|completion_status|progress_measure)$/, maxLength(20)],
  [/^cmi\.interactions\.\d+\.(id|type|timestamp|weighting|learner_response|result|latency|description)$/, maxLength(4000)],
  [/^cmi\.interactions\.\d+\.(objectives\.\d+\.id|correct_responses\.\d+\.pattern)$/, maxLength(4000)],
  [/^adl\.nav\.request$/, maxLength(4000)],
  [/^adl\.data\.\d+\.(id|store)$/, maxLength(64000)],
];
const READ_ONLY_2004 =
  /^(cmi\.(learner_id|learner_name|credit|entry|total_time|mode|launch_data|completion_threshold|scaled_passing_score|max_time_allowed|time_limit_action|comments_from_lms(\..+)?|.*\._children|.*\._count|_version)|adl\.nav\.request_valid\..+)$/;

export class CmiProblem extends Error {
  constructor(readonly problems: string[]) {
    super(`The module sent data this service cannot accept: ${problems.slice(0, 5).join('; ')}`);
    this.name = 'CmiProblem';
  }
}

export const MAX_ELEMENTS = 5000;

/**
 * Checks a commit against the data model of its SCORM version and returns
 * the elements a SCO may set. A malformed commit (not an object, too many
 * elements) is refused whole; otherwise an element of the wrong type or size
 * or an unknown one is left out and named in `problems`, and every other
 * element is kept, so one bad value never loses the learner's status, score
 * and place (the stored value of a refused element stays as it was).
 */
export function checkCommit(version: ScormVersion, input: unknown): { cmi: Cmi; problems: string[] } {
  if (!input || typeof input !== 'object' || Array.isArray(input)) throw new CmiProblem(['cmi must be an object of element names to values']);
  const entries = Object.entries(input as Record<string, unknown>);
  if (entries.length > MAX_ELEMENTS) throw new CmiProblem([`more than ${MAX_ELEMENTS} elements`]);
  const writable = version === '1.2' ? WRITABLE_12 : WRITABLE_2004;
  const readOnly = version === '1.2' ? READ_ONLY_12 : READ_ONLY_2004;
  const problems: string[] = [];
  const out: Cmi = {};
  for (const [name, raw] of entries) {
    if (typeof raw === 'object' && raw !== null && Object.keys(raw).length === 0) continue; // empty collections
    if (typeof raw !== 'string' && typeof raw !== 'number') {
      problems.push(`${name} must be a string`);
      continue;
    }
    const value = String(raw);
    const rule = writable.find(([re]) => re.test(name));
    if (!rule) {
      if (readOnly.test(name)) continue;
      problems.push(`${name} is not a SCORM ${version === '1.2' ? '1.2' : '2004'} data model element`);
      continue;
    }
    const problem = rule[1](value);
    if (problem) problems.push(`${name} ${problem}`);
    else out[name] = value;
  }
  return { cmi: out, problems };
}

/** As checkCommit, refusing the whole commit when any element is wrong. */
export function validateCommit(version: ScormVersion, input: unknown): Cmi {
  const { cmi, problems } = checkCommit(version, input);
  if (problems.length) throw new CmiProblem(problems);
  return cmi;
}

/**
 * What a SCO's data says once it has finished (LMSFinish / Terminate).
 *
 * SCORM 1.2: a lesson_status still "not attempted" becomes "completed"
 * ("browsed" in browse mode), as Moodle's SCORM 1.2 code and the run-time
 * guidance do, so a SCO that only initialises and finishes can be completed.
 *
 * SCORM 2004: unless the manifest's deliveryControls say the content sets them
 * (completionSetByContent, objectiveSetByContent, both false by default), a
 * completion or success the SCO left unknown is completed or passed when its
 * attempt ends, as the Sequencing and Navigation book's End Attempt Process
 * does. A status the SCO did report, "failed" included, is kept.
 */
export function settleAtFinish(
  version: ScormVersion,
  cmi: Cmi,
  mode: 'normal' | 'browse' = 'normal',
  setByContent: { completionSetByContent?: boolean; objectiveSetByContent?: boolean } = {},
): Cmi {
  if (version !== '1.2') {
    const unknown = (v: string | undefined) => v === undefined || v === 'unknown';
    const out = { ...cmi };
    if (!setByContent.completionSetByContent && unknown(cmi['cmi.completion_status'])) out['cmi.completion_status'] = 'completed';
    if (!setByContent.objectiveSetByContent && unknown(cmi['cmi.success_status'])) out['cmi.success_status'] = 'passed';
    return out;
  }
  if (cmi['cmi.core.lesson_status'] !== 'not attempted') return cmi;
  return { ...cmi, 'cmi.core.lesson_status': mode === 'browse' ? 'browsed' : 'completed' };
}

/**
 * The length limits of the data model, as [element pattern, most characters],
 * for the player to refuse an over-long value at SetValue with the standard
 * error code (405 in SCORM 1.2, 407 in 2004) rather than at the next commit.
 */
export function lengthLimits(version: ScormVersion): [string, number][] {
  const writable = version === '1.2' ? WRITABLE_12 : WRITABLE_2004;
  return writable
    .filter(([, check]) => typeof (check as Partial<{ max: number }>).max === 'number')
    .map(([re, check]) => [re.source, (check as unknown as { max: number }).max]);
}

export interface ScoOutcome {
  status: 'not attempted' | 'incomplete' | 'completed' | 'passed' | 'failed';
  /** Percentage 0..100, or null when the SCO reported no score. */
  score: number | null;
  /** Finished: completed, and passed where a pass mark or mastery score applies. */
  finished: boolean;
}

/**
 * What a SCO's data means for the learner. `passMark` is the course's pass
 * mark (0..100) and `mastery` the manifest's (0..1); the manifest wins when
 * both are set, as SCORM says the LMS must use the package's mastery score.
 */
export function outcomeOf(version: ScormVersion, cmi: Cmi, passMark: number | null, mastery: number | null): ScoOutcome {
  const threshold = mastery !== null ? mastery * 100 : passMark;
  if (version === '1.2') {
    const lessonStatus = (cmi['cmi.core.lesson_status'] ?? 'not attempted') as ScoOutcome['status'] | 'browsed';
    const raw = cmi['cmi.core.score.raw'];
    const max = Number(cmi['cmi.core.score.max'] || 100);
    const min = Number(cmi['cmi.core.score.min'] || 0);
    const score = raw !== undefined && raw !== '' ? (max > min ? ((Number(raw) - min) / (max - min)) * 100 : Number(raw)) : null;
    let status: ScoOutcome['status'] = lessonStatus === 'browsed' ? 'incomplete' : lessonStatus;
    // With a mastery score the LMS decides pass or fail from the score (SCORM 1.2 RTE 3.4.4).
    if (mastery !== null && score !== null && (status === 'completed' || status === 'passed' || status === 'failed')) {
      status = score >= mastery * 100 ? 'passed' : 'failed';
    }
    // A failed result is never finished, with or without a pass mark.
    const done = status === 'completed' || status === 'passed';
    const finished = threshold === null ? done : status === 'passed' || (status === 'completed' && score !== null && score >= threshold);
    return { status, score: score === null ? null : Math.round(score * 100) / 100, finished };
  }
  const completion = cmi['cmi.completion_status'] ?? 'unknown';
  let success = cmi['cmi.success_status'] ?? 'unknown';
  const scaled = cmi['cmi.score.scaled'];
  const score = scaled !== undefined && scaled !== '' ? Number(scaled) * 100 : null;
  if (mastery !== null && score !== null) success = score >= mastery * 100 ? 'passed' : 'failed';
  const completed = completion === 'completed';
  let status: ScoOutcome['status'] = completed ? 'completed' : completion === 'incomplete' ? 'incomplete' : 'not attempted';
  if (success === 'passed' && (completed || completion === 'unknown')) status = 'passed';
  if (success === 'failed') status = 'failed';
  // Completion and success are apart in 2004: completed but failed is not finished, whatever the pass mark.
  const finished =
    success === 'failed'
      ? false
      : threshold === null
        ? completed || success === 'passed'
        : completed && (success === 'passed' || (score !== null && score >= threshold));
  return { status, score: score === null ? null : Math.round(score * 100) / 100, finished };
}

/** Seconds in a SCORM 1.2 time span (HHHH:MM:SS.SS) or a 2004 ISO duration; 0 when unreadable. */
export function secondsOf(value: string | undefined): number {
  if (!value) return 0;
  const t12 = /^(\d{2,4}):(\d{2}):(\d{2}(?:\.\d{1,2})?)$/.exec(value);
  if (t12) return Math.round(Number(t12[1]) * 3600 + Number(t12[2]) * 60 + Number(t12[3]));
  const d = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(value);
  if (!d) return 0;
  const [, y, mo, dd, h, mi, s] = d.map((x) => Number(x ?? 0));
  return Math.round(y * 31_536_000 + mo * 2_592_000 + dd * 86_400 + h * 3600 + mi * 60 + s);
}

/** A time spent, as people say it: "24 seconds", "1 minute", "3 minutes 10 seconds", "1 hour 5 minutes". */
export function formatDuration(seconds: number): string {
  const total = Math.max(0, Math.round(seconds));
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h) return m ? `${plural(h, 'hour')} ${plural(m, 'minute')}` : plural(h, 'hour');
  if (m) return s && m < 10 ? `${plural(m, 'minute')} ${plural(s, 'second')}` : plural(m, 'minute');
  return plural(s, 'second');
}

export function formatTimespan12(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return `${String(h).padStart(4, '0')}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
}

/**
 * The data a SCO starts with: what it saved last time, plus what the LMS
 * supplies (who the learner is, entry 'resume' after a suspend, total time).
 */
export function startingCmi(version: ScormVersion, saved: Cmi, learner: { id: string; name: string }, totalSeconds: number, mastery: number | null): Cmi {
  const resumed = Object.keys(saved).length > 0;
  if (version === '1.2') {
    const suspended =
      saved['cmi.core.exit'] === 'suspend' || (resumed && saved['cmi.core.lesson_status'] !== 'completed' && saved['cmi.core.lesson_status'] !== 'passed');
    const out: Cmi = { ...saved };
    delete out['cmi.core.exit'];
    delete out['cmi.core.session_time'];
    return {
      ...out,
      'cmi.core.student_id': learner.id,
      'cmi.core.student_name': learner.name,
      'cmi.core.credit': 'credit',
      'cmi.core.lesson_mode': 'normal',
      'cmi.core.entry': suspended ? 'resume' : resumed ? '' : 'ab-initio',
      'cmi.core.total_time': formatTimespan12(totalSeconds),
      ...(mastery !== null ? { 'cmi.student_data.mastery_score': String(Math.round(mastery * 100)) } : {}),
    };
  }
  const suspended = saved['cmi.exit'] === 'suspend' || (resumed && saved['cmi.completion_status'] !== 'completed');
  const out: Cmi = { ...saved };
  delete out['cmi.exit'];
  delete out['cmi.session_time'];
  delete out['adl.nav.request'];
  return {
    ...out,
    'cmi.learner_id': learner.id,
    'cmi.learner_name': learner.name,
    'cmi.credit': 'credit',
    'cmi.mode': 'normal',
    'cmi.entry': suspended ? 'resume' : resumed ? '' : 'ab-initio',
    'cmi.total_time': `PT${totalSeconds}S`,
    ...(mastery !== null ? { 'cmi.scaled_passing_score': String(mastery) } : {}),
  };
}
