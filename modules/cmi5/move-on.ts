/** cmi5's moveOn criteria (section 13.1.4): when the LMS counts an AU as satisfied. */
export type MoveOn = 'Passed' | 'Completed' | 'CompletedAndPassed' | 'CompletedOrPassed' | 'NotApplicable';

/** What an AU has recorded in a registration: "failed" is kept, and never satisfies anything. */
export interface AuRecord {
  completed: boolean;
  passed: boolean;
}

/** Whether an AU with this moveOn is satisfied by what it has recorded. */
export function auSatisfied(moveOn: MoveOn, r: AuRecord): boolean {
  switch (moveOn) {
    case 'Passed':
      return r.passed;
    case 'Completed':
      return r.completed;
    case 'CompletedAndPassed':
      return r.completed && r.passed;
    case 'CompletedOrPassed':
      return r.completed || r.passed;
    case 'NotApplicable':
      return true;
  }
}

/**
 * A block or course is satisfied when every AU in it is. An empty list
 * satisfies nothing (a course structure always has an AU).
 */
export function allSatisfied(aus: { moveOn: MoveOn; record: AuRecord }[]): boolean {
  return aus.length > 0 && aus.every((a) => auSatisfied(a.moveOn, a.record));
}
