import type { MoveOn } from './move-on';

export const VERB = {
  launched: 'http://adlnet.gov/expapi/verbs/launched',
  initialized: 'http://adlnet.gov/expapi/verbs/initialized',
  completed: 'http://adlnet.gov/expapi/verbs/completed',
  passed: 'http://adlnet.gov/expapi/verbs/passed',
  failed: 'http://adlnet.gov/expapi/verbs/failed',
  abandoned: 'https://w3id.org/xapi/adl/verbs/abandoned',
  waived: 'https://w3id.org/xapi/adl/verbs/waived',
  terminated: 'http://adlnet.gov/expapi/verbs/terminated',
  satisfied: 'https://w3id.org/xapi/adl/verbs/satisfied',
  voided: 'http://adlnet.gov/expapi/verbs/voided',
} as const;

export const CMI5_CATEGORY = 'https://w3id.org/xapi/cmi5/context/categories/cmi5';
export const MOVE_ON_CATEGORY = 'https://w3id.org/xapi/cmi5/context/categories/moveon';
export const EXT = {
  sessionId: 'https://w3id.org/xapi/cmi5/context/extensions/sessionid',
  masteryScore: 'https://w3id.org/xapi/cmi5/context/extensions/masteryscore',
  launchMode: 'https://w3id.org/xapi/cmi5/context/extensions/launchmode',
  launchUrl: 'https://w3id.org/xapi/cmi5/context/extensions/launchurl',
  moveOn: 'https://w3id.org/xapi/cmi5/context/extensions/moveon',
  launchParameters: 'https://w3id.org/xapi/cmi5/context/extensions/launchparameters',
  progress: 'https://w3id.org/xapi/cmi5/result/extensions/progress',
  reason: 'https://w3id.org/xapi/cmi5/result/extensions/reason',
} as const;

export type LaunchMode = 'Normal' | 'Browse' | 'Review';

/** The learner of a launch, as cmi5 writes them: an account, never an email address. */
export interface Actor {
  objectType: 'Agent';
  account: { homePage: string; name: string };
}

/** What a launch's statements must agree with. */
export interface LaunchFacts {
  actor: Actor;
  registration: string;
  /** The activityId the LMS generated for the AU (the object of cmi5 defined statements). */
  activityId: string;
  /** The publisher's AU id, in every statement's contextActivities.grouping. */
  publisherId: string;
  sessionId: string;
  launchMode: LaunchMode;
  masteryScore: number | null;
  moveOn: MoveOn;
}

/** What this session and this registration's AU have recorded so far. */
export interface SoFar {
  /** cmi5 defined verbs already in this session. */
  sessionVerbs: Set<string>;
  /** Any statement at all in the session yet (initialized must be the first). */
  initialized: boolean;
  ended: 'terminated' | 'abandoned' | null;
  /** cmi5 defined verbs this AU has recorded in the registration, in any session. */
  registrationVerbs: Set<string>;
}

/** A refusal, with the status xAPI gives it: 400 for a statement breaking the rules, 403 for one this launch may not make. */
export class StatementRefused extends Error {
  constructor(
    readonly status: 400 | 403 | 409,
    message: string,
  ) {
    super(message);
    this.name = 'StatementRefused';
  }
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/** Whether an xAPI agent is this launch's learner: an Agent identified by the same account and nothing else. */
export function isLaunchActor(agent: unknown, actor: Actor): boolean {
  if (!isObj(agent)) return false;
  if (agent.objectType !== undefined && agent.objectType !== 'Agent') return false;
  if (agent.mbox !== undefined || agent.mbox_sha1sum !== undefined || agent.openid !== undefined) return false;
  const account = agent.account;
  return isObj(account) && account.homePage === actor.account.homePage && account.name === actor.account.name;
}

/** The ids of a context activities list (xAPI allows one activity or an array). */
function activityIds(list: unknown): string[] {
  const items = Array.isArray(list) ? list : list === undefined ? [] : [list];
  return items.filter(isObj).map((a) => String(a.id ?? ''));
}

const AU_VERBS = new Set<string>([VERB.initialized, VERB.completed, VERB.passed, VERB.failed, VERB.terminated]);
const LMS_VERBS = new Set<string>([VERB.launched, VERB.abandoned, VERB.waived, VERB.satisfied]);

/** What a statement that was accepted means for the AU. */
export interface Accepted {
  verb: string;
  cmi5Defined: boolean;
  /** result.extensions progress (0..100) when given. */
  progress: number | null;
  /** result.score.scaled when given. */
  scaled: number | null;
}

/**
 * Checks one statement an AU sends against cmi5's rules for its launch
 * (sections 9 and 10) and what the session has recorded. Throws
 * StatementRefused; returns what the statement means when it is accepted.
 * `soFar` is not changed: the caller records an accepted statement.
 */
export function checkStatement(statement: unknown, launch: LaunchFacts, soFar: SoFar): Accepted {
  if (!isObj(statement)) throw new StatementRefused(400, 'A statement must be a JSON object.');
  if (statement.id !== undefined && (typeof statement.id !== 'string' || !UUID.test(statement.id)))
    throw new StatementRefused(400, 'The statement id must be a UUID.');
  if (!isLaunchActor(statement.actor, launch.actor)) {
    throw new StatementRefused(
      403,
      'The statement’s actor is not the learner this launch is for. An AU may only send statements about the learner who launched it.',
    );
  }
  const verb = isObj(statement.verb) && typeof statement.verb.id === 'string' ? statement.verb.id : '';
  if (!verb) throw new StatementRefused(400, 'The statement has no verb id.');
  if (!isObj(statement.object)) throw new StatementRefused(400, 'The statement has no object.');
  if (verb === VERB.voided) throw new StatementRefused(403, 'An AU may not void statements (cmi5 section 6.3).');
  if (statement.authority !== undefined) throw new StatementRefused(403, 'The statement names an authority; the LRS sets that itself.');
  const context = isObj(statement.context) ? statement.context : {};
  if (context.registration !== launch.registration) {
    throw new StatementRefused(403, 'The statement’s context.registration is not this launch’s registration.');
  }
  const extensions = isObj(context.extensions) ? context.extensions : {};
  if (extensions[EXT.sessionId] !== launch.sessionId) {
    throw new StatementRefused(400, 'The statement’s context does not carry this session’s id (the contextTemplate of LMS.LaunchData must be used).');
  }
  const contextActivities = isObj(context.contextActivities) ? context.contextActivities : {};
  if (!activityIds(contextActivities.grouping).includes(launch.publisherId)) {
    throw new StatementRefused(
      400,
      'The statement’s contextActivities.grouping does not include the AU’s publisher id (the contextTemplate of LMS.LaunchData must be used).',
    );
  }
  if (soFar.ended)
    throw new StatementRefused(
      403,
      `This session has ended (${soFar.ended}): no more statements are accepted for it. Launch the AU again to start a new session.`,
    );
  const cmi5Defined = activityIds(contextActivities.category).includes(CMI5_CATEGORY);
  if (!soFar.initialized && !(verb === VERB.initialized && cmi5Defined))
    throw new StatementRefused(400, 'The first statement of a session must be "initialized".');
  const result = isObj(statement.result) ? statement.result : {};
  const score = isObj(result.score) ? result.score : undefined;
  const scaled = typeof score?.scaled === 'number' ? score.scaled : null;
  if (score !== undefined && !isObj(score)) throw new StatementRefused(400, 'result.score must be an object.');
  if (scaled !== null && (scaled < 0 || scaled > 1)) throw new StatementRefused(400, 'result.score.scaled must be between 0 and 1.');
  const rawProgress = isObj(result.extensions) ? result.extensions[EXT.progress] : undefined;
  if (rawProgress !== undefined && (!Number.isInteger(rawProgress) || (rawProgress as number) < 0 || (rawProgress as number) > 100)) {
    throw new StatementRefused(400, 'The progress extension must be a whole number from 0 to 100.');
  }
  const progress = rawProgress === undefined ? null : (rawProgress as number);
  if (!cmi5Defined) {
    // "cmi5 allowed": any verb, between initialized and terminated (checked above).
    return { verb, cmi5Defined, progress, scaled };
  }
  if (LMS_VERBS.has(verb)) throw new StatementRefused(403, 'Only the LMS sends launched, abandoned, waived and satisfied statements.');
  if (!AU_VERBS.has(verb))
    throw new StatementRefused(400, 'A statement in the cmi5 category must use one of the cmi5 verbs (initialized, completed, passed, failed, terminated).');
  if (statement.object.id !== launch.activityId || (statement.object.objectType !== undefined && statement.object.objectType !== 'Activity')) {
    throw new StatementRefused(400, 'The object of a cmi5 defined statement must be the AU’s activityId from the launch URL.');
  }
  if (soFar.sessionVerbs.has(verb))
    throw new StatementRefused(400, `"${verb.split('/').pop()}" was already sent in this session; cmi5 allows each verb once per session.`);
  if (launch.launchMode !== 'Normal' && verb !== VERB.initialized && verb !== VERB.terminated) {
    throw new StatementRefused(400, `This AU was launched in ${launch.launchMode} mode, in which only "initialized" and "terminated" are recorded.`);
  }
  const has = (k: string) => Object.hasOwn(result, k);
  if (verb !== VERB.passed && verb !== VERB.failed && score !== undefined)
    throw new StatementRefused(400, 'Only passed and failed statements may carry a score.');
  if (verb !== VERB.passed && verb !== VERB.failed && has('success'))
    throw new StatementRefused(400, 'Only passed and failed statements may carry result.success.');
  if (verb !== VERB.completed && has('completion')) throw new StatementRefused(400, 'Only a completed statement may carry result.completion.');
  if (verb === VERB.completed) {
    if (result.completion !== true) throw new StatementRefused(400, 'A completed statement must have result.completion true.');
    if (soFar.registrationVerbs.has(VERB.completed))
      throw new StatementRefused(400, 'This AU is already completed in this registration; cmi5 allows one completed statement per registration.');
  }
  if (verb === VERB.passed || verb === VERB.failed) {
    if (soFar.sessionVerbs.has(VERB.passed) || soFar.sessionVerbs.has(VERB.failed))
      throw new StatementRefused(400, 'A session may hold either passed or failed, not both.');
    if (soFar.registrationVerbs.has(VERB.passed)) {
      throw new StatementRefused(
        400,
        verb === VERB.passed
          ? 'This AU is already passed in this registration; cmi5 allows one passed statement per registration.'
          : 'A failed statement may not follow a passed one in the same registration.',
      );
    }
  }
  if (verb === VERB.passed) {
    if (result.success !== true) throw new StatementRefused(400, 'A passed statement must have result.success true.');
    if (launch.masteryScore !== null && scaled !== null && scaled < launch.masteryScore) {
      throw new StatementRefused(400, `A passed statement’s scaled score (${scaled}) is below the AU’s mastery score (${launch.masteryScore}).`);
    }
  }
  if (verb === VERB.failed) {
    if (result.success !== false) throw new StatementRefused(400, 'A failed statement must have result.success false.');
    if (launch.masteryScore !== null && scaled !== null && scaled >= launch.masteryScore) {
      throw new StatementRefused(400, `A failed statement’s scaled score (${scaled}) is not below the AU’s mastery score (${launch.masteryScore}).`);
    }
  }
  if (verb === VERB.terminated && typeof result.duration !== 'string') throw new StatementRefused(400, 'A terminated statement must carry result.duration.');
  return { verb, cmi5Defined, progress, scaled };
}
