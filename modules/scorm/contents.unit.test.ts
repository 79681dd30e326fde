import { expect } from 'chai';
import { checkCommit, formatDuration, lengthLimits, outcomeOf } from './cmi';
import { contentsRows, type ItemStatus, prerequisitesMet } from './contents';
import { parseManifest } from './manifest';

const statuses = (map: Record<string, ItemStatus>) => (id: string) => map[id] ?? 'not attempted';

describe('SCORM contents list, prerequisites and results', () => {
  it('reads SCORM 1.2 prerequisites as the CAM writes them: identifiers, & | ~, parentheses, statuses and n*{set}', () => {
    const s = statuses({ a: 'completed', b: 'passed', c: 'incomplete', d: 'failed' });
    expect(prerequisitesMet('a', s)).to.equal(true);
    expect(prerequisitesMet('c', s)).to.equal(false);
    expect(prerequisitesMet('a & b', s)).to.equal(true);
    expect(prerequisitesMet('a & c', s)).to.equal(false);
    expect(prerequisitesMet('c | b', s)).to.equal(true);
    expect(prerequisitesMet('~c', s)).to.equal(true);
    expect(prerequisitesMet('(a & c) | (b & ~d)', s)).to.equal(true);
    expect(prerequisitesMet('d = "failed"', s)).to.equal(true);
    expect(prerequisitesMet('d <> f', s)).to.equal(false);
    expect(prerequisitesMet('2*{a,b,c}', s)).to.equal(true);
    expect(prerequisitesMet('3*{a,b,c}', s)).to.equal(false);
    expect(prerequisitesMet('', s)).to.equal(true);
    // An expression nobody can read does not lock the learner out.
    expect(prerequisitesMet('a & (', s)).to.equal(true);
  });

  it('lists the manifest as laid out: headings of sections, hidden items left out, prerequisites closing items', () => {
    const manifest = parseManifest(`<?xml version="1.0"?>
<manifest identifier="m" xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2" xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
  <organizations default="o"><organization identifier="o"><title>Course</title>
    <item identifier="part1"><title>Part one</title>
      <item identifier="one" identifierref="r1"><title>One</title></item>
      <item identifier="secret" identifierref="r1" isvisible="false"><title>Hidden</title></item>
    </item>
    <item identifier="two" identifierref="r2"><title>Two</title><adlcp:prerequisites type="aicc_script">one</adlcp:prerequisites></item>
  </organization></organizations>
  <resources>
    <resource identifier="r1" type="webcontent" adlcp:scormtype="sco" href="one.html"><file href="one.html"/></resource>
    <resource identifier="r2" type="webcontent" adlcp:scormtype="sco" href="two.html"><file href="two.html"/></resource>
  </resources>
</manifest>`);
    const before = contentsRows(manifest, statuses({}));
    expect(before.map((r) => [r.title, r.depth, r.sco, r.available])).to.deep.equal([
      ['Part one', 0, null, true],
      ['One', 1, 'one', true],
      ['Two', 0, 'two', false],
    ]);
    const after = contentsRows(manifest, statuses({ one: 'completed' }));
    expect(after.find((r) => r.sco === 'two')?.available).to.equal(true);
    expect(after.find((r) => r.sco === 'one')?.status).to.equal('completed');
    expect(manifest.scos.find((s) => s.identifier === 'secret')?.visible).to.equal(false);
  });

  it('reads which SCORM 2004 items the manifest leaves out of its rollup', () => {
    const manifest = parseManifest(`<?xml version="1.0"?>
<manifest identifier="r" xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3" xmlns:imsss="http://www.imsglobal.org/xsd/imsss">
  <metadata><schema>ADL SCORM</schema><schemaversion>2004 3rd Edition</schemaversion></metadata>
  <organizations default="o"><organization identifier="o"><title>Course</title>
    <item identifier="lesson" identifierref="r1"><title>Lesson</title></item>
    <item identifier="extra" identifierref="r1"><title>Further reading</title>
      <imsss:sequencing><imsss:rollupRules rollupObjectiveSatisfied="false" rollupProgressCompletion="false"/></imsss:sequencing></item>
    <item identifier="survey" identifierref="r1"><title>Survey</title>
      <imsss:sequencing><imsss:deliveryControls tracked="false"/></imsss:sequencing></item>
  </organization></organizations>
  <resources><resource identifier="r1" type="webcontent" adlcp:scormType="sco" href="a.html"><file href="a.html"/></resource></resources>
</manifest>`);
    expect(manifest.scos.map((s) => [s.identifier, s.rollup !== false])).to.deep.equal([
      ['lesson', true],
      ['extra', false],
      ['survey', false],
    ]);
  });

  it('never counts a failed result as finished, with or without a pass mark', () => {
    // SCORM 2004: completed and failed are apart.
    expect(outcomeOf('2004-3', { 'cmi.completion_status': 'completed', 'cmi.success_status': 'failed' }, null, null)).to.include({
      status: 'failed',
      finished: false,
    });
    expect(outcomeOf('2004-3', { 'cmi.completion_status': 'completed', 'cmi.success_status': 'failed', 'cmi.score.scaled': '0.9' }, 50, null)).to.include({
      finished: false,
    });
    expect(outcomeOf('2004-3', { 'cmi.completion_status': 'completed', 'cmi.success_status': 'unknown' }, null, null)).to.include({ finished: true });
    expect(outcomeOf('1.2', { 'cmi.core.lesson_status': 'failed', 'cmi.core.score.raw': '90' }, null, null)).to.include({ status: 'failed', finished: false });
    expect(outcomeOf('1.2', { 'cmi.core.lesson_status': 'failed', 'cmi.core.score.raw': '90' }, 50, null)).to.include({ finished: false });
  });

  it('keeps every valid value of a commit and names the ones it leaves out', () => {
    const { cmi, problems } = checkCommit('1.2', { 'cmi.suspend_data': 'x'.repeat(4097), 'cmi.core.lesson_status': 'completed', 'cmi.core.score.raw': '80' });
    expect(cmi).to.deep.equal({ 'cmi.core.lesson_status': 'completed', 'cmi.core.score.raw': '80' });
    expect(problems).to.deep.equal(['cmi.suspend_data is longer than 4096 characters']);
    const limits = new Map(lengthLimits('1.2'));
    expect(limits.get('^cmi\\.suspend_data$')).to.equal(4096);
    expect(limits.get('^cmi\\.core\\.lesson_location$')).to.equal(255);
    expect(new Map(lengthLimits('2004-4')).get('^cmi\\.suspend_data$')).to.equal(64000);
  });

  it('says time spent as people do', () => {
    expect(formatDuration(0)).to.equal('0 seconds');
    expect(formatDuration(1)).to.equal('1 second');
    expect(formatDuration(24)).to.equal('24 seconds');
    expect(formatDuration(60)).to.equal('1 minute');
    expect(formatDuration(130)).to.equal('2 minutes 10 seconds');
    expect(formatDuration(300)).to.equal('5 minutes');
    expect(formatDuration(3600 + 5 * 60)).to.equal('1 hour 5 minutes');
    expect(formatDuration(7200)).to.equal('2 hours');
  });
});
