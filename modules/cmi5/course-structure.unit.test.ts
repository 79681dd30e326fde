import { expect } from 'chai';
import { PackageRefused } from '../scorm/api';
import { CMI5_NAMESPACE, parseCourseStructure } from './course-structure';
import { allSatisfied, auSatisfied, type MoveOn } from './move-on';

const course = (inner: string, extraNs = '') => `<?xml version="1.0" encoding="utf-8"?>
<courseStructure xmlns="${CMI5_NAMESPACE}"${extraNs}>
  <course id="https://example.org/courses/safe-lives">
    <title><langstring lang="en-US">Safe Lives</langstring><langstring lang="en-GB">Safe lives</langstring></title>
    <description><langstring lang="en-GB">  Recognising
      coercive control  </langstring></description>
  </course>
  ${inner}
</courseStructure>`;

const au = (id: string, attrs = '', extra = '') => `<au id="${id}" ${attrs}>
  <title><langstring lang="en-GB">Part ${id.slice(-1)}</langstring></title>
  <description><langstring lang="en-GB">About part</langstring></description>
  <url>part/index.html?x=1</url>${extra}
</au>`;

const refused = (xml: string, message: RegExp) => expect(() => parseCourseStructure(xml)).to.throw(PackageRefused, message);

describe('cmi5.xml course structure', () => {
  it('reads the course, nested blocks and each AU with its moveOn, masteryScore and launch settings, trimming whitespace', () => {
    const s = parseCourseStructure(
      course(`${au('https://example.org/au/1', 'moveOn="CompletedAndPassed" masteryScore="0.8" launchMethod="OwnWindow"', '<launchParameters> mode=quiz </launchParameters><entitlementKey>k-1</entitlementKey>')}
        <block id="https://example.org/block/a"><title><langstring lang="en">Block A</langstring></title><description><langstring lang="en">A</langstring></description>
          ${au('https://example.org/au/2')}
          <block id="https://example.org/block/b"><title><langstring lang="en">B</langstring></title><description><langstring lang="en">B</langstring></description>${au('https://example.org/au/3', 'moveOn="Passed"')}</block>
        </block>`),
    );
    expect(s).to.include({ id: 'https://example.org/courses/safe-lives', title: 'Safe lives', description: 'Recognising coercive control' });
    expect(s.aus.map((a) => [a.id, a.moveOn, a.masteryScore])).to.deep.equal([
      ['https://example.org/au/1', 'CompletedAndPassed', 0.8],
      ['https://example.org/au/2', 'NotApplicable', null],
      ['https://example.org/au/3', 'Passed', null],
    ]);
    expect(s.aus[0]).to.include({ launchMethod: 'OwnWindow', launchParameters: 'mode=quiz', entitlementKey: 'k-1', url: 'part/index.html?x=1' });
    expect(s.blocks).to.deep.equal([
      { id: 'https://example.org/block/a', title: 'Block A', auIds: ['https://example.org/au/2', 'https://example.org/au/3'] },
      { id: 'https://example.org/block/b', title: 'B', auIds: ['https://example.org/au/3'] },
    ]);
  });

  it('ignores elements of other namespaces wherever they are (section 13.1.5 extensions), and a cmi5 namespace given a prefix', () => {
    const s = parseCourseStructure(
      course(
        `${au('https://example.org/au/1', '', '<kw:keyword idref="http://words.example/x"><kw:title>T</kw:title></kw:keyword>')}<kw:keywords><kw:keyword id="k"/></kw:keywords>`,
        ' xmlns:kw="http://www.adlnet.gov/cmi5/KeywordExtension.xsd"',
      ),
    );
    expect(s.aus).to.have.length(1);
    const prefixed = parseCourseStructure(
      `<c:courseStructure xmlns:c="${CMI5_NAMESPACE}"><c:course id="urn:x:c"><c:title><c:langstring>T</c:langstring></c:title><c:description><c:langstring>D</c:langstring></c:description></c:course>
       <c:au id="urn:x:a"><c:title><c:langstring>A</c:langstring></c:title><c:description><c:langstring>D</c:langstring></c:description><c:url>https://elsewhere.example/a</c:url></c:au></c:courseStructure>`,
    );
    expect(prefixed.aus[0].url).to.equal('https://elsewhere.example/a');
  });

  it('refuses malformed XML, DOCTYPE declarations, a wrong root and unknown cmi5 elements, saying what is wrong', () => {
    refused('<courseStructure><course>', /not well-formed XML \(line/);
    refused(`<!DOCTYPE x [<!ENTITY a "aaaa">]>${course(au('urn:a:1'))}`, /DOCTYPE or ENTITY/);
    refused('<manifest xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"/>', /root element is <manifest>.*not <courseStructure>/);
    refused('<courseStructure><course id="urn:c"/></courseStructure>', /not <courseStructure> in the cmi5 namespace/);
    refused(course(au('urn:a:1', '', '<sequencing/>')), /<sequencing> is not allowed inside the AU "urn:a:1"/);
    refused(course(`<lesson/>${au('urn:a:1')}`), /<lesson> is not allowed inside <courseStructure>/);
    refused(course(au('urn:a:1', '', '<ext:thing/>')), /prefix "ext", which is not declared/);
  });

  it('refuses invalid structure: no AU, missing or repeated required parts, bad attribute values, ids used twice', () => {
    refused(course(''), /the course holds no <au>/);
    refused(course('<au id="urn:a:1"><title><langstring>T</langstring></title><description><langstring>D</langstring></description></au>'), /has no <url>/);
    refused(
      course('<au><title><langstring>T</langstring></title><description><langstring>D</langstring></description><url>a.html</url></au>'),
      /an <au> has no id attribute/,
    );
    refused(course(au('not an iri')), /not an IRI/);
    refused(
      course(au('urn:a:1', 'moveOn="Finished"')),
      /moveOn="Finished"; it must be one of Passed, Completed, CompletedAndPassed, CompletedOrPassed, NotApplicable/,
    );
    refused(course(au('urn:a:1', 'masteryScore="80"')), /masteryScore="80"; it must be a decimal from 0 to 1/);
    refused(course(au('urn:a:1', 'launchMethod="Popup"')), /launchMethod="Popup"/);
    refused(course(`${au('urn:a:1')}${au('urn:a:1')}`), /"urn:a:1" is used more than once/);
    refused(
      course('<block id="urn:b:1"><title><langstring>T</langstring></title><description><langstring>D</langstring></description></block>'),
      /the block "urn:b:1" holds no <au>/,
    );
    refused(course(au('urn:a:1', '', '<url>b.html</url>')), /has more than one <url>/);
  });
});

describe('cmi5 moveOn', () => {
  const cases: [MoveOn, boolean, boolean, boolean][] = [
    // moveOn, completed, passed, satisfied
    ['Passed', false, false, false],
    ['Passed', true, false, false],
    ['Passed', false, true, true],
    ['Completed', true, false, true],
    ['Completed', false, true, false],
    ['CompletedAndPassed', true, false, false],
    ['CompletedAndPassed', false, true, false],
    ['CompletedAndPassed', true, true, true],
    ['CompletedOrPassed', true, false, true],
    ['CompletedOrPassed', false, true, true],
    ['CompletedOrPassed', false, false, false],
    ['NotApplicable', false, false, true],
  ];
  for (const [moveOn, completed, passed, satisfied] of cases) {
    it(`${moveOn}: completed ${completed}, passed ${passed} → ${satisfied ? 'satisfied' : 'not satisfied'}`, () => {
      expect(auSatisfied(moveOn, { completed, passed })).to.equal(satisfied);
    });
  }

  it('a course is satisfied only when every AU is; a failed AU (neither completed nor passed) never counts', () => {
    const failedQuiz = { moveOn: 'Passed' as const, record: { completed: false, passed: false } };
    const read = { moveOn: 'Completed' as const, record: { completed: true, passed: false } };
    expect(allSatisfied([read, failedQuiz])).to.equal(false);
    expect(allSatisfied([read, { ...failedQuiz, record: { completed: false, passed: true } }])).to.equal(true);
    expect(allSatisfied([])).to.equal(false);
  });
});
