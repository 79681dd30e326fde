import type { Cmi } from './cmi';
import type { ManifestItem, ParsedManifest } from './manifest';

/**
 * SCORM 2004 rollup: how the SCOs' results make the course's, as the SCORM
 * 2004 4th Edition Sequencing and Navigation book describes it (the Overall
 * Rollup Process, RB.1.5, and the processes it calls). Pure functions of the
 * manifest's sequencing and the SCOs' run-time data, so the rules can be
 * checked without a database or a browser.
 */

export type RollupAction = 'satisfied' | 'notSatisfied' | 'completed' | 'incomplete';
export type ChildActivitySet = 'all' | 'any' | 'none' | 'atLeastCount' | 'atLeastPercent';
export type RollupConditionName =
  | 'satisfied'
  | 'objectiveStatusKnown'
  | 'objectiveMeasureKnown'
  | 'completed'
  | 'activityProgressKnown'
  | 'attempted'
  | 'attemptLimitExceeded'
  | 'timeLimitExceeded'
  | 'outsideAvailableTimeRange';
/** adlseq:rollupConsiderations: when a child counts towards one of its parent's rollup actions. */
export type Consideration = 'always' | 'ifAttempted' | 'ifNotSkipped' | 'ifNotSuspended';

export interface RollupCondition {
  condition: RollupConditionName;
  /** operator="not" */
  not: boolean;
}

export interface RollupRule {
  action: RollupAction;
  childActivitySet: ChildActivitySet;
  minimumCount: number;
  /** 0..1 */
  minimumPercent: number;
  conditionCombination: 'all' | 'any';
  conditions: RollupCondition[];
}

/** What a manifest's imsss:sequencing says about one activity's part in rollup. */
export interface Sequencing {
  /** deliveryControls tracked: an untracked activity has no part in its parent's rollup. */
  tracked: boolean;
  rollupObjectiveSatisfied: boolean;
  rollupProgressCompletion: boolean;
  objectiveMeasureWeight: number;
  rules: RollupRule[];
  requiredForSatisfied: Consideration;
  requiredForNotSatisfied: Consideration;
  requiredForCompleted: Consideration;
  requiredForIncomplete: Consideration;
  /** The primary objective's satisfiedByMeasure and minNormalizedMeasure. */
  satisfiedByMeasure: boolean;
  minNormalizedMeasure: number;
  /** deliveryControls: whether the SCO itself says it is completed / satisfied (see settleAtFinish). */
  completionSetByContent: boolean;
  objectiveSetByContent: boolean;
  /**
   * SCORM 2004 4th edition's adlcp:completionThreshold: completion decided by
   * the progress measure against minProgressMeasure rather than by rules, and
   * this activity's weight in its parent's progress measure.
   */
  completedByMeasure: boolean;
  minProgressMeasure: number;
  progressWeight: number;
}

export const DEFAULT_SEQUENCING: Sequencing = {
  tracked: true,
  rollupObjectiveSatisfied: true,
  rollupProgressCompletion: true,
  objectiveMeasureWeight: 1,
  rules: [],
  requiredForSatisfied: 'always',
  requiredForNotSatisfied: 'always',
  requiredForCompleted: 'always',
  requiredForIncomplete: 'always',
  satisfiedByMeasure: false,
  minNormalizedMeasure: 1,
  completionSetByContent: false,
  objectiveSetByContent: false,
  completedByMeasure: false,
  minProgressMeasure: 1,
  progressWeight: 1,
};

/** An activity's tracking status; undefined is "unknown" (the status is not known). */
export interface TrackingState {
  /** Its attempt count is above zero. */
  attempted: boolean;
  suspended: boolean;
  completed?: boolean;
  satisfied?: boolean;
  /** The primary objective's normalized measure, -1..1. */
  measure?: number;
  /** The attempt's completion amount (progress measure), 0..1. */
  progress?: number;
}

export interface Activity {
  id: string;
  sequencing: Sequencing;
  children: Activity[];
  /** A leaf's tracking status (from its SCO's data); a cluster's is rolled up. */
  state?: TrackingState;
}

/**
 * A SCO's run-time data as its leaf activity's tracking status, as the SCORM
 * 2004 run-time environment maps it: completion_status to attempt progress,
 * success_status to the primary objective (or, with satisfiedByMeasure, the
 * score against minNormalizedMeasure), score.scaled to its measure.
 */
export function leafState(
  cmi: Cmi,
  sequencing: Pick<Sequencing, 'satisfiedByMeasure' | 'minNormalizedMeasure'> & Partial<Pick<Sequencing, 'completedByMeasure' | 'minProgressMeasure'>>,
): TrackingState {
  const completion = cmi['cmi.completion_status'];
  const success = cmi['cmi.success_status'];
  const scaled = cmi['cmi.score.scaled'];
  const measure = scaled !== undefined && scaled !== '' && Number.isFinite(Number(scaled)) ? Number(scaled) : undefined;
  let satisfied: boolean | undefined = success === 'passed' ? true : success === 'failed' ? false : undefined;
  if (sequencing.satisfiedByMeasure) satisfied = measure === undefined ? undefined : measure >= sequencing.minNormalizedMeasure;
  const amount = cmi['cmi.progress_measure'];
  const progress = amount !== undefined && amount !== '' && Number.isFinite(Number(amount)) ? Number(amount) : undefined;
  let completed: boolean | undefined = completion === 'completed' ? true : completion === 'incomplete' || completion === 'not attempted' ? false : undefined;
  // Completed by measure: the progress measure decides, whatever status the SCO set; unknown while it reports none.
  if (sequencing.completedByMeasure) completed = progress === undefined ? undefined : progress >= (sequencing.minProgressMeasure ?? 1);
  return {
    attempted: Object.keys(cmi).length > 0,
    suspended: cmi['cmi.exit'] === 'suspend',
    completed,
    satisfied,
    measure,
    progress,
  };
}

type Truth = boolean | undefined;

function conditionValue(condition: RollupConditionName, state: TrackingState): Truth {
  switch (condition) {
    case 'satisfied':
      return state.satisfied;
    case 'objectiveStatusKnown':
      return state.satisfied !== undefined;
    case 'objectiveMeasureKnown':
      return state.measure !== undefined;
    case 'completed':
      return state.completed;
    case 'activityProgressKnown':
      return state.completed !== undefined;
    case 'attempted':
      return state.attempted;
    // No attempt limits, time limits or availability windows are applied here, so none is ever exceeded.
    case 'attemptLimitExceeded':
    case 'timeLimitExceeded':
    case 'outsideAvailableTimeRange':
      return false;
  }
}

/** Three-valued combination: unknown unless the known values decide it. */
function combine(values: Truth[], combination: 'all' | 'any'): Truth {
  if (combination === 'all') return values.includes(false) ? false : values.includes(undefined) ? undefined : true;
  return values.includes(true) ? true : values.includes(undefined) ? undefined : false;
}

/** Evaluate Rollup Conditions Subprocess (RB.1.4.1) for one child. */
export function evaluateConditions(rule: Pick<RollupRule, 'conditions' | 'conditionCombination'>, state: TrackingState): Truth {
  const values = rule.conditions.map((c) => {
    const v = conditionValue(c.condition, state);
    return c.not && v !== undefined ? !v : v;
  });
  return values.length ? combine(values, rule.conditionCombination) : undefined;
}

/** Check Child for Rollup Subprocess (RB.1.4.2): whether a child counts towards this action of its parent. */
export function countsForAction(child: { sequencing: Sequencing; state: TrackingState }, action: RollupAction): boolean {
  const s = child.sequencing;
  if (!s.tracked) return false;
  const objective = action === 'satisfied' || action === 'notSatisfied';
  if (objective ? !s.rollupObjectiveSatisfied : !s.rollupProgressCompletion) return false;
  const consideration = {
    satisfied: s.requiredForSatisfied,
    notSatisfied: s.requiredForNotSatisfied,
    completed: s.requiredForCompleted,
    incomplete: s.requiredForIncomplete,
  }[action];
  if (consideration === 'ifAttempted') return child.state.attempted;
  if (consideration === 'ifNotSuspended') return child.state.attempted && !child.state.suspended;
  // ifNotSkipped: no sequencing rule skips an activity here (learners choose from the contents list), so it counts.
  return true;
}

/** Rollup Rule Check Subprocess (RB.1.4): whether one rule fires for these children. */
export function ruleFires(rule: RollupRule, children: { sequencing: Sequencing; state: TrackingState }[]): boolean {
  const bag = children.filter((c) => countsForAction(c, rule.action)).map((c) => evaluateConditions(rule, c.state));
  if (!bag.length) return false;
  const trues = bag.filter((v) => v === true).length;
  switch (rule.childActivitySet) {
    case 'all':
      return trues === bag.length;
    case 'any':
      return trues > 0;
    case 'none':
      return bag.every((v) => v === false);
    case 'atLeastCount':
      return trues >= rule.minimumCount;
    case 'atLeastPercent':
      return trues / bag.length >= rule.minimumPercent;
  }
}

const rule = (action: RollupAction, condition: RollupConditionName): RollupRule => ({
  action,
  childActivitySet: 'all',
  minimumCount: 0,
  minimumPercent: 0,
  conditionCombination: 'any',
  conditions: [{ condition, not: false }],
});

/**
 * The rules a cluster rolls up by when its manifest gives none for satisfaction
 * or for completion, as the ADL reference implementation applies them: not
 * satisfied once every child's status is known, satisfied when every child is;
 * incomplete once every child's progress is known, completed when every child is.
 */
export const DEFAULT_RULES: RollupRule[] = [
  rule('notSatisfied', 'objectiveStatusKnown'),
  rule('satisfied', 'satisfied'),
  rule('incomplete', 'activityProgressKnown'),
  rule('completed', 'completed'),
];

/** The rules a cluster uses: its own, with the defaults for whichever of satisfaction and completion it leaves out. */
export function effectiveRules(rules: RollupRule[]): RollupRule[] {
  const objective = rules.some((r) => r.action === 'satisfied' || r.action === 'notSatisfied');
  const progress = rules.some((r) => r.action === 'completed' || r.action === 'incomplete');
  return [
    ...rules,
    ...(objective ? [] : DEFAULT_RULES.filter((r) => r.action === 'satisfied' || r.action === 'notSatisfied')),
    ...(progress ? [] : DEFAULT_RULES.filter((r) => r.action === 'completed' || r.action === 'incomplete')),
  ];
}

type Child = { sequencing: Sequencing; state: TrackingState };

/** The weighted mean of a value over the tracked children, the unknown ones counted at their weight; unknown when none is known. */
function weightedMean(children: Child[], value: (state: TrackingState) => number | undefined, weight: (sequencing: Sequencing) => number): number | undefined {
  let total = 0;
  let counted = 0;
  let valid = false;
  for (const child of children) {
    if (!child.sequencing.tracked) continue;
    counted += weight(child.sequencing);
    const v = value(child.state);
    if (v !== undefined) {
      total += v * weight(child.sequencing);
      valid = true;
    }
  }
  return valid && counted > 0 ? total / counted : undefined;
}

/** Measure Rollup Process (RB.1.1a): the children's measures weighted by objectiveMeasureWeight. */
export function measureRollup(children: Child[]): number | undefined {
  return weightedMean(
    children,
    (s) => s.measure,
    (q) => q.objectiveMeasureWeight,
  );
}

/** Completion Measure Rollup (4th edition, RB.1.1b): the children's progress measures weighted by progressWeight. */
export function progressRollup(children: Child[]): number | undefined {
  return weightedMean(
    children,
    (s) => s.progress,
    (q) => q.progressWeight,
  );
}

/**
 * The Overall Rollup Process (RB.1.5) for a whole tree at once: each cluster's
 * status from its children's, from the leaves up. A leaf's status is as given.
 */
export function rollup(activity: Activity): TrackingState {
  if (!activity.children.length) return activity.state ?? { attempted: false, suspended: false };
  const children = activity.children.map((c) => ({ sequencing: c.sequencing, state: rollup(c) }));
  const s = activity.sequencing;
  const measure = measureRollup(children);
  const rules = effectiveRules(s.rules);
  const fires = (action: RollupAction) => rules.some((r) => r.action === action && ruleFires(r, children));
  let satisfied: boolean | undefined;
  if (s.satisfiedByMeasure) {
    // Objective Rollup Using Measure (RB.1.2a)
    satisfied = measure === undefined ? undefined : measure >= s.minNormalizedMeasure;
  } else {
    // Objective Rollup Using Rules (RB.1.2b): "satisfied" is checked last, so it wins.
    if (fires('notSatisfied')) satisfied = false;
    if (fires('satisfied')) satisfied = true;
  }
  const progress = progressRollup(children);
  let completed: boolean | undefined;
  if (s.completedByMeasure) {
    // Activity Progress Rollup Using Measure (4th edition, RB.1.3a)
    completed = progress === undefined ? undefined : progress >= s.minProgressMeasure;
  } else {
    // Activity Progress Rollup Using Rules (RB.1.3b), "completed" likewise winning.
    if (fires('incomplete')) completed = false;
    if (fires('completed')) completed = true;
  }
  return {
    attempted: children.some((c) => c.state.attempted),
    suspended: children.some((c) => c.state.suspended),
    completed,
    satisfied,
    measure,
    progress,
  };
}

/**
 * The activity tree of a SCORM 2004 package's organisation, each SCO's leaf
 * carrying the status its data gives. Items the manifest hides, and assets,
 * are left untracked: a learner cannot open the one from the contents list
 * and the other cannot report, so neither may hold the course back.
 */
export function activityTree(manifest: ParsedManifest, cmiOf: (sco: string) => Cmi): Activity {
  const scos = new Map(manifest.scos.map((s) => [s.identifier, s]));
  const leaf = (id: string, sequencing: Sequencing): Activity => {
    const sco = scos.get(id);
    const seq: Sequencing = {
      ...sequencing,
      tracked: sequencing.tracked && sco?.kind === 'sco' && sco.visible !== false && sco.rollup !== false,
      satisfiedByMeasure: sco?.masteryScore !== null && sco?.masteryScore !== undefined,
      minNormalizedMeasure: sco?.masteryScore ?? 1,
    };
    return { id, sequencing: seq, children: [], state: leafState(cmiOf(id), seq) };
  };
  const walk = (items: ManifestItem[]): Activity[] =>
    items.flatMap((item) => {
      const sequencing = item.sequencing ?? DEFAULT_SEQUENCING;
      if (item.children.length) return [{ id: item.identifier, sequencing, children: walk(item.children) }];
      return item.scoIdentifier ? [leaf(item.scoIdentifier, sequencing)] : [];
    });
  const organisation = manifest.organisations[0];
  const children = organisation?.items.length ? walk(organisation.items) : manifest.scos.map((s) => leaf(s.identifier, DEFAULT_SEQUENCING));
  return { id: organisation?.identifier ?? manifest.identifier, sequencing: organisation?.sequencing ?? DEFAULT_SEQUENCING, children };
}

/** Every leaf of a tree. */
function leaves(activity: Activity): Activity[] {
  return activity.children.length ? activity.children.flatMap(leaves) : [activity];
}

/**
 * The course's result from its root activity: its completion, its success and
 * its measure, as a SCO's data would say them. A SCO that failed and counts
 * towards the course's success keeps the course from being passed or finished
 * unless the manifest's own rules say the course is satisfied regardless
 * (a failed result never counts as finished otherwise).
 */
export function courseResult(tree: Activity): { cmi: Cmi; attempted: boolean } {
  const root = rollup(tree);
  const failedLeaf = leaves(tree).some((l) => l.sequencing.tracked && l.sequencing.rollupObjectiveSatisfied && l.state?.satisfied === false);
  const satisfied = root.satisfied ?? (failedLeaf ? false : undefined);
  const cmi: Cmi = {
    'cmi.completion_status': root.completed === true ? 'completed' : root.completed === false ? 'incomplete' : 'unknown',
    'cmi.success_status': satisfied === true ? 'passed' : satisfied === false ? 'failed' : 'unknown',
  };
  if (root.measure !== undefined) cmi['cmi.score.scaled'] = String(root.measure);
  return { cmi, attempted: root.attempted };
}
