import { expect } from 'chai';
import fc from 'fast-check';
import { CmiProblem, outcomeOf, secondsOf, settleAtFinish, startingCmi, validateCommit } from './cmi';
import { PackageRefused, parseManifest } from './manifest';

describe('SCORM run-time data rules', () => {
  it('allows 64000 characters of suspend data in SCORM 2004 but only 4096 in 1.2', () => {
    expect(validateCommit('2004-3', { 'cmi.suspend_data': 'x'.repeat(64000) })['cmi.suspend_data']).to.have.length(64000);
    expect(() => validateCommit('2004-3', { 'cmi.suspend_data': 'x'.repeat(64001) })).to.throw(CmiProblem, /longer than 64000/);
    expect(() => validateCommit('1.2', { 'cmi.suspend_data': 'x'.repeat(4097) })).to.throw(CmiProblem, /longer than 4096/);
  });

  it('drops read-only elements a client echoes back and keeps what a SCO may set', () => {
    const cmi = validateCommit('2004-4', {
      'cmi.learner_id': 'someone-else',
      'cmi.location': '7',
      'cmi.completion_status': 'incomplete',
      'cmi.interactions': {},
    });
    expect(cmi).to.deep.equal({ 'cmi.location': '7', 'cmi.completion_status': 'incomplete' });
  });

  it('refuses vocabulary and number errors per version', () => {
    expect(() => validateCommit('2004-3', { 'cmi.success_status': 'completed' })).to.throw(CmiProblem, /must be one of/);
    expect(() => validateCommit('2004-3', { 'cmi.score.scaled': '1.5' })).to.throw(CmiProblem, /between -1 and 1/);
    expect(() => validateCommit('1.2', { 'cmi.location': '3' })).to.throw(CmiProblem, /not a SCORM 1.2 data model element/);
  });

  it('decides pass or fail from the mastery score in SCORM 1.2, whatever status the SCO set', () => {
    expect(outcomeOf('1.2', { 'cmi.core.lesson_status': 'completed', 'cmi.core.score.raw': '80' }, null, 0.75)).to.deep.equal({
      status: 'passed',
      score: 80,
      finished: true,
    });
    expect(outcomeOf('1.2', { 'cmi.core.lesson_status': 'passed', 'cmi.core.score.raw': '60' }, null, 0.75)).to.deep.equal({
      status: 'failed',
      score: 60,
      finished: false,
    });
    expect(outcomeOf('1.2', { 'cmi.core.lesson_status': 'completed' }, null, null).finished).to.equal(true);
    expect(outcomeOf('1.2', { 'cmi.core.lesson_status': 'completed' }, 70, null).finished).to.equal(false);
  });

  it('needs completion and success in SCORM 2004 when there is a pass mark', () => {
    expect(outcomeOf('2004-3', { 'cmi.completion_status': 'completed', 'cmi.success_status': 'passed', 'cmi.score.scaled': '0.9' }, 70, null)).to.deep.equal({
      status: 'passed',
      score: 90,
      finished: true,
    });
    expect(outcomeOf('2004-3', { 'cmi.completion_status': 'incomplete', 'cmi.success_status': 'passed' }, 70, null).finished).to.equal(false);
    expect(outcomeOf('2004-3', { 'cmi.completion_status': 'completed', 'cmi.success_status': 'failed' }, 70, null).status).to.equal('failed');
  });

  it('records a SCORM 1.2 status still "not attempted" at LMSFinish as completed, or browsed in browse mode, and leaves any other alone', () => {
    const untouched = { 'cmi.core.lesson_status': 'not attempted', 'cmi.core.lesson_location': '2' };
    expect(settleAtFinish('1.2', untouched)).to.deep.equal({ 'cmi.core.lesson_status': 'completed', 'cmi.core.lesson_location': '2' });
    expect(settleAtFinish('1.2', untouched, 'browse')['cmi.core.lesson_status']).to.equal('browsed');
    expect(settleAtFinish('1.2', { 'cmi.core.lesson_status': 'incomplete' })['cmi.core.lesson_status']).to.equal('incomplete');
  });

  it('completes and satisfies a SCORM 2004 SCO that leaves its status unknown when it terminates, unless the manifest says the content sets it', () => {
    const silent = { 'cmi.completion_status': 'unknown', 'cmi.location': '3' };
    expect(settleAtFinish('2004-4', silent)).to.deep.equal({ 'cmi.completion_status': 'completed', 'cmi.success_status': 'passed', 'cmi.location': '3' });
    // What the SCO did report is kept: a failed quiz stays failed, an incomplete one incomplete.
    expect(settleAtFinish('2004-4', { 'cmi.completion_status': 'incomplete', 'cmi.success_status': 'failed' })).to.deep.equal({
      'cmi.completion_status': 'incomplete',
      'cmi.success_status': 'failed',
    });
    expect(settleAtFinish('2004-3', silent, 'normal', { completionSetByContent: true, objectiveSetByContent: true })).to.deep.equal(silent);
    expect(settleAtFinish('2004-3', { 'cmi.completion_status': 'completed' }, 'normal', { objectiveSetByContent: true })).to.deep.equal({
      'cmi.completion_status': 'completed',
    });
  });

  it('reads SCORM 1.2 time spans and 2004 durations', () => {
    expect(secondsOf('0001:02:03.50')).to.equal(3724);
    expect(secondsOf('PT1H2M3.5S')).to.equal(3724);
    expect(secondsOf('nonsense')).to.equal(0);
    fc.assert(fc.property(fc.nat(359_999), (s) => secondsOf(`PT${s}S`) === s));
  });

  it('starts a suspended attempt with entry resume and its saved location', () => {
    const cmi = startingCmi('2004-3', { 'cmi.location': '4', 'cmi.exit': 'suspend' }, { id: 'u1', name: 'Sam' }, 90, 0.8);
    expect(cmi).to.include({
      'cmi.location': '4',
      'cmi.entry': 'resume',
      'cmi.learner_id': 'u1',
      'cmi.scaled_passing_score': '0.8',
      'cmi.total_time': 'PT90S',
    });
    expect(cmi).to.not.have.property('cmi.exit');
  });
});

describe('SCORM manifest reading', () => {
  const manifest2004 = `<?xml version="1.0"?>
<manifest identifier="multi" xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3" xmlns:imsss="http://www.imsglobal.org/xsd/imsss">
  <metadata><schema>ADL SCORM</schema><schemaversion>2004 4th Edition</schemaversion></metadata>
  <organizations default="org"><organization identifier="org"><title>Multi</title>
    <item identifier="one" identifierref="r1" parameters="?lesson=1"><title>One</title>
      <imsss:sequencing><imsss:objectives><imsss:primaryObjective objectiveID="p" satisfiedByMeasure="true"><imsss:minNormalizedMeasure>0.7</imsss:minNormalizedMeasure></imsss:primaryObjective></imsss:objectives></imsss:sequencing>
    </item>
    <item identifier="module"><title>Module</title>
      <item identifier="two" identifierref="r2"><title>Two</title></item>
    </item>
  </organization></organizations>
  <resources xml:base="content/">
    <resource identifier="r1" type="webcontent" adlcp:scormType="sco" href="one.html"/>
    <resource identifier="r2" type="webcontent" adlcp:scormType="sco" href="two.html?x=1"/>
  </resources>
</manifest>`;

  it('reads a multi-SCO SCORM 2004 4th edition manifest: nesting, xml:base, parameters and mastery', () => {
    const m = parseManifest(manifest2004);
    expect(m.scormVersion).to.equal('2004-4');
    expect(m.scos.map((s) => [s.identifier, s.launch, s.launchFile, s.masteryScore, s.depth])).to.deep.equal([
      ['one', 'content/one.html?lesson=1', 'content/one.html', 0.7, 0],
      ['two', 'content/two.html?x=1', 'content/two.html', null, 1],
    ]);
    expect(m.organisations[0].items[1].children[0].scoIdentifier).to.equal('two');
  });

  it('refuses an item pointing at a resource that does not exist', () => {
    expect(() => parseManifest(manifest2004.replace('identifierref="r2"', 'identifierref="r9"'))).to.throw(PackageRefused, /resource "r9"/);
  });
});
