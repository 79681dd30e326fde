import { expect } from 'chai';
import type { Cmi } from './cmi';
import { parseManifest } from './manifest';
import { type Activity, activityTree, courseResult, DEFAULT_SEQUENCING, leafState, type RollupRule, rollup, type Sequencing } from './rollup';

const passed: Cmi = { 'cmi.completion_status': 'completed', 'cmi.success_status': 'passed' };
const failed: Cmi = { 'cmi.completion_status': 'completed', 'cmi.success_status': 'failed' };
const started: Cmi = { 'cmi.completion_status': 'incomplete' };
const done: Cmi = { 'cmi.completion_status': 'completed' };

const leaf = (id: string, cmi: Cmi, sequencing: Partial<Sequencing> = {}): Activity => {
  const seq = { ...DEFAULT_SEQUENCING, ...sequencing };
  return { id, sequencing: seq, children: [], state: leafState(cmi, seq) };
};
const cluster = (children: Activity[], sequencing: Partial<Sequencing> = {}): Activity => ({
  id: 'root',
  sequencing: { ...DEFAULT_SEQUENCING, ...sequencing },
  children,
});
const rule = (
  action: RollupRule['action'],
  set: RollupRule['childActivitySet'],
  conditions: [RollupRule['conditions'][number]['condition'], boolean?][],
  extra: Partial<RollupRule> = {},
): RollupRule => ({
  action,
  childActivitySet: set,
  minimumCount: 0,
  minimumPercent: 0,
  conditionCombination: 'any',
  conditions: conditions.map(([condition, not]) => ({ condition, not: !!not })),
  ...extra,
});

describe('SCORM 2004 rollup', () => {
  it('by the default rules: completed and satisfied only when every child is, not satisfied once every child is known', () => {
    expect(rollup(cluster([leaf('a', passed), leaf('b', {})]))).to.include({ completed: undefined, satisfied: undefined, attempted: true });
    expect(rollup(cluster([leaf('a', passed), leaf('b', started)]))).to.include({ completed: false });
    expect(rollup(cluster([leaf('a', passed), leaf('b', passed)]))).to.include({ completed: true, satisfied: true });
    expect(rollup(cluster([leaf('a', passed), leaf('b', failed)]))).to.include({ completed: true, satisfied: false });
    expect(rollup(cluster([leaf('a', {}), leaf('b', {})]))).to.include({ attempted: false, completed: undefined });
  });

  it('completes when at least a count or a share of the children have', () => {
    const twoOfThree = { rules: [rule('completed', 'atLeastCount', [['completed']], { minimumCount: 2 })] };
    expect(rollup(cluster([leaf('a', done), leaf('b', started), leaf('c', {})], twoOfThree)).completed).to.equal(undefined);
    expect(rollup(cluster([leaf('a', done), leaf('b', started), leaf('c', done)], twoOfThree)).completed).to.equal(true);
    const half = { rules: [rule('completed', 'atLeastPercent', [['completed']], { minimumPercent: 0.5 })] };
    expect(rollup(cluster([leaf('a', done), leaf('b', {}), leaf('c', {})], half)).completed).to.equal(undefined);
    expect(rollup(cluster([leaf('a', done), leaf('b', done), leaf('c', {}), leaf('d', {})], half)).completed).to.equal(true);
    // A cluster's own completion rules replace the default ones; its satisfaction still rolls up by default.
    expect(rollup(cluster([leaf('a', passed), leaf('b', passed), leaf('c', {})], twoOfThree))).to.include({ completed: true, satisfied: undefined });
  });

  it('weighs the children’s scores and is satisfied by the weighted measure', () => {
    const byMeasure = { satisfiedByMeasure: true, minNormalizedMeasure: 0.7 };
    const quiz = (scaled: string, weight: number) => leaf(`q${weight}`, { 'cmi.score.scaled': scaled }, { objectiveMeasureWeight: weight });
    const low = rollup(cluster([quiz('0.9', 0.25), quiz('0.6', 0.75)], byMeasure));
    expect(low.measure).to.be.closeTo(0.675, 1e-9);
    expect(low.satisfied).to.equal(false);
    const high = rollup(cluster([quiz('0.6', 0.25), quiz('0.8', 0.75)], byMeasure));
    expect(high.measure).to.be.closeTo(0.75, 1e-9);
    expect(high.satisfied).to.equal(true);
    // A child with no score counts with its weight; one weighted 0 does not count at all; no score at all is no measure.
    expect(rollup(cluster([leaf('a', { 'cmi.score.scaled': '0.8' }), leaf('b', {})])).measure).to.be.closeTo(0.4, 1e-9);
    expect(rollup(cluster([leaf('a', { 'cmi.score.scaled': '0.8' }), leaf('b', {}, { objectiveMeasureWeight: 0 })])).measure).to.be.closeTo(0.8, 1e-9);
    expect(rollup(cluster([leaf('a', {}), leaf('b', {})], byMeasure))).to.include({ measure: undefined, satisfied: undefined });
  });

  it('applies the not operator, three-valued, and combines conditions with all or any', () => {
    // Not satisfied as soon as any child is known not satisfied; an unknown child is neither.
    const rules = [rule('notSatisfied', 'any', [['satisfied', true]]), rule('satisfied', 'all', [['satisfied']])];
    expect(rollup(cluster([leaf('a', {}), leaf('b', failed)], { rules })).satisfied).to.equal(false);
    expect(rollup(cluster([leaf('a', {}), leaf('b', passed)], { rules })).satisfied).to.equal(undefined);
    // "none": completed when no child is (known to be) still incomplete.
    const none = { rules: [rule('completed', 'none', [['completed', true]])] };
    expect(rollup(cluster([leaf('a', done), leaf('b', done)], none)).completed).to.equal(true);
    expect(rollup(cluster([leaf('a', done), leaf('b', {})], none)).completed).to.equal(undefined);
    // conditionCombination all: attempted and satisfied, each child.
    const both = { rules: [rule('satisfied', 'all', [['attempted'], ['satisfied']], { conditionCombination: 'all' })] };
    expect(rollup(cluster([leaf('a', passed), leaf('b', passed)], both)).satisfied).to.equal(true);
    expect(rollup(cluster([leaf('a', passed), leaf('b', failed)], both)).satisfied).to.equal(undefined);
    // Limits this service does not apply are never exceeded.
    const limits = { rules: [rule('incomplete', 'any', [['attemptLimitExceeded'], ['timeLimitExceeded'], ['outsideAvailableTimeRange']])] };
    expect(rollup(cluster([leaf('a', started)], limits)).completed).to.equal(undefined);
  });

  it('leaves out children that are untracked, do not roll up, or are not required (requiredFor…)', () => {
    expect(rollup(cluster([leaf('a', passed), leaf('b', {}, { tracked: false })]))).to.include({ completed: true, satisfied: true });
    expect(rollup(cluster([leaf('a', passed), leaf('b', failed, { rollupObjectiveSatisfied: false })]))).to.include({ satisfied: true });
    expect(rollup(cluster([leaf('a', passed), leaf('b', started, { rollupProgressCompletion: false })]))).to.include({ completed: true });
    // ifAttempted: a child never opened does not hold completion back.
    expect(rollup(cluster([leaf('a', done), leaf('b', {}, { requiredForCompleted: 'ifAttempted', requiredForIncomplete: 'ifAttempted' })])).completed).to.equal(
      true,
    );
    expect(rollup(cluster([leaf('a', done), leaf('b', started, { requiredForCompleted: 'ifAttempted' })])).completed).to.equal(false);
    // ifNotSuspended: a suspended child does not count towards "not satisfied".
    const suspended = { ...failed, 'cmi.exit': 'suspend' };
    expect(
      rollup(cluster([leaf('a', passed), leaf('b', suspended, { requiredForNotSatisfied: 'ifNotSuspended', requiredForSatisfied: 'ifNotSuspended' })]))
        .satisfied,
    ).to.equal(true);
    expect(rollup(cluster([leaf('a', passed), leaf('b', failed, { requiredForNotSatisfied: 'ifNotSuspended' })])).satisfied).to.equal(false);
    // ifNotSkipped: nothing is skipped here, so the child counts.
    expect(rollup(cluster([leaf('a', done), leaf('b', started, { requiredForCompleted: 'ifNotSkipped' })])).completed).to.equal(false);
  });

  it('completes by measure (4th edition): the weighted progress measures against minProgressMeasure, whatever the rules', () => {
    const progress = (p: string): Cmi => ({ 'cmi.completion_status': 'incomplete', 'cmi.progress_measure': p });
    const byMeasure = (min: number) => ({ completedByMeasure: true, minProgressMeasure: min });
    // (0.5 × 1 + 1 × 3) / 4 = 0.875
    const children = () => [leaf('a', progress('0.5')), leaf('b', progress('1'), { progressWeight: 3 })];
    expect(rollup(cluster(children(), byMeasure(0.8)))).to.include({ completed: true, progress: 0.875 });
    expect(rollup(cluster(children(), byMeasure(0.9))).completed).to.equal(false);
    expect(rollup(cluster([leaf('a', done), leaf('b', done)], byMeasure(0.5))).completed, 'no progress reported: unknown').to.equal(undefined);
    // A leaf completed by measure: its progress decides over the status it set.
    expect(leafState(progress('0.9'), { ...DEFAULT_SEQUENCING, ...byMeasure(0.8) }).completed).to.equal(true);
    expect(leafState({ ...done, 'cmi.progress_measure': '0.3' }, { ...DEFAULT_SEQUENCING, ...byMeasure(0.8) }).completed).to.equal(false);

    const manifest = parseManifest(`<?xml version="1.0"?>
<manifest identifier="measured" xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3">
  <metadata><schema>ADL SCORM</schema><schemaversion>2004 4th Edition</schemaversion></metadata>
  <organizations default="o"><organization identifier="o"><title>Course</title>
    <item identifier="module"><title>Module</title>
      <item identifier="a" identifierref="r"><title>A</title></item>
      <item identifier="b" identifierref="r"><title>B</title><adlcp:completionThreshold progressWeight="0.5"/></item>
      <adlcp:completionThreshold completedByMeasure="true" minProgressMeasure="0.6"/>
    </item>
  </organization></organizations>
  <resources><resource identifier="r" type="webcontent" adlcp:scormType="sco" href="a.html"><file href="a.html"/></resource></resources>
</manifest>`);
    const moduleItem = manifest.organisations[0].items[0];
    expect(moduleItem.sequencing).to.include({ completedByMeasure: true, minProgressMeasure: 0.6 });
    expect(moduleItem.children[1].sequencing).to.include({ completedByMeasure: false, progressWeight: 0.5 });
    const completion = (a: string, b: string) => courseResult(activityTree(manifest, (id) => progress(id === 'a' ? a : b))).cmi['cmi.completion_status'];
    // (0.5 × 1 + 1 × 0.5) / 1.5 ≈ 0.67 ≥ 0.6; (0.2 + 0.5) / 1.5 ≈ 0.47 < 0.6
    expect(completion('0.5', '1')).to.equal('completed');
    expect(completion('0.2', '1')).to.not.equal('completed');
  });

  it('rolls up through nested clusters', () => {
    const module = (children: Activity[]) => ({ ...cluster(children), id: 'module' });
    expect(rollup(cluster([module([leaf('a', passed), leaf('b', passed)]), leaf('c', passed)]))).to.include({ completed: true, satisfied: true });
    expect(rollup(cluster([module([leaf('a', passed), leaf('b', {})]), leaf('c', passed)]))).to.include({ completed: undefined, satisfied: undefined });
  });

  it('reads the sequencing of a manifest and gives the course its root’s result; a failed SCO never finishes it by default', () => {
    const manifest = parseManifest(`<?xml version="1.0"?>
<manifest identifier="seq" xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3" xmlns:imsss="http://www.imsglobal.org/xsd/imsss" xmlns:adlseq="http://www.adlnet.org/xsd/adlseq_v1p3">
  <metadata><schema>ADL SCORM</schema><schemaversion>2004 4th Edition</schemaversion></metadata>
  <organizations default="o"><organization identifier="o"><title>Course</title>
    <item identifier="module"><title>Module</title>
      <item identifier="a" identifierref="r"><title>A</title><imsss:sequencing IDRef="weighted"/></item>
      <item identifier="b" identifierref="r"><title>B</title>
        <imsss:sequencing><imsss:rollupRules objectiveMeasureWeight="0.75"/><adlseq:rollupConsiderations requiredForCompleted="ifAttempted"/></imsss:sequencing></item>
      <imsss:sequencing><imsss:rollupRules><imsss:rollupRule childActivitySet="atLeastCount" minimumCount="1">
        <imsss:rollupConditions conditionCombination="all"><imsss:rollupCondition operator="not" condition="satisfied"/></imsss:rollupConditions>
        <imsss:rollupAction action="notSatisfied"/></imsss:rollupRule></imsss:rollupRules></imsss:sequencing>
    </item>
    <imsss:sequencing><imsss:objectives><imsss:primaryObjective satisfiedByMeasure="true"><imsss:minNormalizedMeasure>0.6</imsss:minNormalizedMeasure></imsss:primaryObjective></imsss:objectives></imsss:sequencing>
  </organization></organizations>
  <resources><resource identifier="r" type="webcontent" adlcp:scormType="sco" href="a.html"><file href="a.html"/></resource></resources>
  <imsss:sequencingCollection><imsss:sequencing ID="weighted"><imsss:rollupRules objectiveMeasureWeight="0.25"/></imsss:sequencing></imsss:sequencingCollection>
</manifest>`);
    const moduleItem = manifest.organisations[0].items[0];
    expect(moduleItem.sequencing?.rules).to.deep.equal([
      rule('notSatisfied', 'atLeastCount', [['satisfied', true]], { minimumCount: 1, conditionCombination: 'all' }),
    ]);
    expect(moduleItem.children.map((c) => c.sequencing?.objectiveMeasureWeight)).to.deep.equal([0.25, 0.75]);
    expect(moduleItem.children[1].sequencing?.requiredForCompleted).to.equal('ifAttempted');
    expect(manifest.organisations[0].sequencing).to.include({ satisfiedByMeasure: true, minNormalizedMeasure: 0.6 });

    const result = (data: Record<string, Cmi>) => courseResult(activityTree(manifest, (id) => data[id] ?? {})).cmi;
    // 0.25 × 1 + 0.75 × 0.5 = 0.625: the organisation is satisfied by that measure.
    expect(result({ a: { ...done, 'cmi.score.scaled': '1' }, b: { ...done, 'cmi.score.scaled': '0.5' } })).to.deep.equal({
      'cmi.completion_status': 'completed',
      'cmi.success_status': 'passed',
      'cmi.score.scaled': '0.625',
    });
    expect(result({ a: { ...done, 'cmi.score.scaled': '0.2' }, b: { ...done, 'cmi.score.scaled': '0.7' } })['cmi.success_status']).to.equal('failed');

    // With the default rules, an unscored introduction and a failed quiz: the course is completed but failed, not finished.
    const plain = parseManifest(`<?xml version="1.0"?>
<manifest identifier="plain" xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3">
  <metadata><schema>ADL SCORM</schema><schemaversion>2004 3rd Edition</schemaversion></metadata>
  <organizations default="o"><organization identifier="o"><title>Course</title>
    <item identifier="intro" identifierref="r"><title>Intro</title></item><item identifier="quiz" identifierref="r"><title>Quiz</title></item>
  </organization></organizations>
  <resources><resource identifier="r" type="webcontent" adlcp:scormType="sco" href="a.html"><file href="a.html"/></resource></resources>
</manifest>`);
    expect(courseResult(activityTree(plain, (id) => (id === 'intro' ? done : failed))).cmi).to.deep.equal({
      'cmi.completion_status': 'completed',
      'cmi.success_status': 'failed',
    });
    expect(courseResult(activityTree(plain, (id) => (id === 'intro' ? done : passed))).cmi).to.deep.equal({
      'cmi.completion_status': 'completed',
      'cmi.success_status': 'unknown',
    });
  });
});
