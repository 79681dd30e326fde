import fs from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020';
import { expect } from 'chai';
import { sixGroupFramework, threeLevelFramework } from '../../test/support/frameworks';
import { requirementsFor as engineRequirements } from '../compliance/api';
import {
  type FrameworkDocument,
  documentOfFramework,
  MAX_DOCUMENT_BYTES,
  parseFrameworkDocument,
  SCHEMA_FILE,
  SOMERSET_FILE,
  validateFrameworkDocument,
} from './document';
import { type Framework, groupsIncluded, groupsRequiring, requirementsFor } from './model';

const PUBLISHED_SCHEMA = path.resolve(__dirname, '../../docs/framework.schema.json');

/** The published schema, compiled by its own validator: the contract anyone else checks a document with. */
const contract = new Ajv2020({ allErrors: true, strict: true }).compile(JSON.parse(fs.readFileSync(PUBLISHED_SCHEMA, 'utf8')));

/** A document as the product holds it once imported, for the rules that read a framework. */
function asFramework(doc: FrameworkDocument): Framework {
  return {
    id: 'f',
    name: doc.name,
    version: 1,
    status: 'published',
    basedOn: null,
    publishedAt: null,
    groups: doc.groups.map((g) => ({
      number: g.number,
      name: g.name,
      level: g.level,
      summary: g.summary ?? '',
      description: g.description ?? '',
      includesGroups: g.includesGroups ?? [],
      exampleRoles: g.exampleRoles ?? [],
      competencies: g.competencies.map((c) => ({
        id: `${g.number}.${c.number}`,
        groupNumber: g.number,
        number: c.number,
        text: c.text,
        lineage: `${g.number}.${c.number}`,
        retired: false,
      })),
      evidenceExamples: (g.evidenceExamples ?? []).map((e) => ({ heading: e.heading ?? null, text: e.text })),
      learningOpportunities: g.learningOpportunities ?? [],
    })),
  };
}

const copy = <T>(v: T): T => JSON.parse(JSON.stringify(v));
const texts = (doc: unknown) => validateFrameworkDocument(doc).map((p) => p.text);

describe('framework documents', () => {
  it('publishes the schema the product checks with at docs/framework.schema.json', () => {
    expect(fs.readFileSync(PUBLISHED_SCHEMA, 'utf8')).to.equal(fs.readFileSync(SCHEMA_FILE, 'utf8'));
  });

  it('ships the default Somerset framework as a document the published schema accepts, with the four groups and their keys', () => {
    const somerset = JSON.parse(fs.readFileSync(SOMERSET_FILE, 'utf8'));
    expect(contract(somerset), JSON.stringify(contract.errors)).to.equal(true);
    expect(validateFrameworkDocument(somerset)).to.deep.equal([]);
    expect(somerset.groups.map((g: { level: string }) => g.level)).to.deep.equal(['Awareness', 'Responder', 'Decision Makers', 'Organisational Leaders']);
    expect(somerset.groups[0].competencies[0].key).to.equal('g1c1');
  });

  it('exports a framework as a document that imports back to the same framework', () => {
    for (const doc of [sixGroupFramework(), threeLevelFramework()]) {
      const exported = documentOfFramework(asFramework(doc));
      expect(contract(exported)).to.equal(true);
      expect(validateFrameworkDocument(exported)).to.deep.equal([]);
      expect(exported.groups.map((g) => [g.number, g.level, g.includesGroups, g.competencies.map((c) => c.text)])).to.deep.equal(
        doc.groups.map((g) => [g.number, g.level, g.includesGroups, g.competencies.map((c) => c.text)]),
      );
    }
  });

  it('agrees with the published schema on valid and invalid documents, and tells each problem in words with its place', () => {
    const base = sixGroupFramework();
    const cases: { doc: unknown; schemaAccepts: boolean; problem: string }[] = [
      { doc: base, schemaAccepts: true, problem: '' },
      { doc: threeLevelFramework(), schemaAccepts: true, problem: '' },
      { doc: { ...copy(base), groups: [] }, schemaAccepts: false, problem: 'The framework must have at least one group (groups)' },
      {
        doc: { ...copy(base), groups: Array.from({ length: 13 }, (_, i) => ({ ...copy(base.groups[0]), number: i + 1 })) },
        schemaAccepts: false,
        problem: 'The framework has 13 groups; a framework can have at most 12 (groups)',
      },
      {
        doc: (() => {
          const d = copy(base);
          delete (d.groups[2] as Partial<(typeof d.groups)[2]>).level;
          return d;
        })(),
        schemaAccepts: false,
        problem: 'Group 3 has no level (groups[2].level)',
      },
      {
        doc: (() => {
          const d = copy(base);
          d.groups[1].competencies[2].text = '   ';
          return d;
        })(),
        schemaAccepts: false,
        problem: 'The text of competency 3 of group 2 must not be empty (groups[1].competencies[2].text)',
      },
      {
        doc: (() => {
          const d = copy(base);
          d.groups[0].number = 13;
          return d;
        })(),
        schemaAccepts: false,
        problem: 'The number of group 13 must be 12 or less (groups[0].number)',
      },
      {
        doc: (() => {
          const d = copy(base);
          (d.groups[4] as unknown as Record<string, unknown>).colour = 'red';
          return d;
        })(),
        schemaAccepts: false,
        problem: 'Group 5 has a field “colour” that framework documents do not have (groups[4].colour)',
      },
      {
        doc: (() => {
          const d = copy(base);
          d.groups[0].learningOpportunities![0].kind = 'webinar' as 'theme';
          return d;
        })(),
        schemaAccepts: false,
        problem: 'The kind of the 1st opportunity for learning of group 1 must be one of: delivery, theme, resource (groups[0].learningOpportunities[0].kind)',
      },
      {
        doc: (() => {
          const d = copy(base);
          d.groups[3].includesGroups = [3, 3];
          return d;
        })(),
        schemaAccepts: false,
        problem: 'The list of groups it includes of group 4 names the same group twice (groups[3].includesGroups)',
      },
      // What a JSON Schema cannot say: the schema accepts these, the product refuses them.
      {
        doc: (() => {
          const d = copy(base);
          d.groups[1].includesGroups = [1, 2];
          return d;
        })(),
        schemaAccepts: true,
        problem: 'Group 2 includes itself (groups[1].includesGroups[1])',
      },
      {
        doc: (() => {
          const d = copy(base);
          d.groups[0].includesGroups = [4];
          return d;
        })(),
        schemaAccepts: true,
        problem:
          'Groups include each other in a circle: group 1 includes group 4, which includes group 3, which includes group 2, which includes group 1 (groups[0].includesGroups)',
      },
      {
        doc: (() => {
          const d = copy(base);
          d.groups[4].includesGroups = [7];
          return d;
        })(),
        schemaAccepts: true,
        problem: 'Group 5 includes group 7, which is not in the framework (groups[4].includesGroups[0])',
      },
      {
        doc: (() => {
          const d = copy(base);
          d.groups[1].competencies[2].number = 1;
          return d;
        })(),
        schemaAccepts: true,
        problem: 'Group 2 has more than one competency numbered 1 (groups[1].competencies[2].number)',
      },
      {
        doc: (() => {
          const d = copy(base);
          d.groups[5].number = 5;
          return d;
        })(),
        schemaAccepts: true,
        problem: 'Group number 5 is used by more than one group (groups[5].number)',
      },
      {
        doc: (() => {
          const d = copy(base);
          d.groups[0].competencies[0].key = 'k1';
          d.groups[3].competencies[1].key = 'k1';
          return d;
        })(),
        schemaAccepts: true,
        problem: 'Competency 2 of group 4 has the key “k1”, which competency 1 of group 1 already has (groups[3].competencies[1].key)',
      },
    ];
    for (const c of cases) {
      expect(contract(c.doc), c.problem || 'valid').to.equal(c.schemaAccepts);
      const found = texts(c.doc);
      if (c.problem) expect(found, c.problem).to.include(c.problem);
      else expect(found).to.deep.equal([]);
    }
  });

  it('lists every problem of a document at once', () => {
    const d = copy(sixGroupFramework());
    delete (d as Partial<FrameworkDocument>).name;
    d.groups[0].competencies = [];
    d.groups[5].exampleRoles = [''];
    expect(texts(d)).to.deep.equal([
      'The framework has no name (name)',
      'The list of competencies of group 1 must have at least 1 (groups[0].competencies)',
      'The 1st example job role of group 6 must not be empty (groups[5].exampleRoles[0])',
    ]);
  });

  it('refuses a file that is not JSON, empty or too large, saying which', () => {
    expect(parseFrameworkDocument('{"name": "A", groups: []}').problems[0].text).to.match(/^The file is not a JSON document: .*line 1 column 15/);
    expect(parseFrameworkDocument('  \n').problems[0].text).to.equal('The file is empty');
    expect(parseFrameworkDocument(Buffer.alloc(MAX_DOCUMENT_BYTES + 1, 32)).problems[0].text).to.equal('The file must be 2 MB or smaller');
    expect(parseFrameworkDocument('[]').problems[0].text).to.equal('The framework must be an object in curly brackets');
    expect(parseFrameworkDocument(`\uFEFF${JSON.stringify(threeLevelFramework())}`).document?.groups).to.have.length(3);
  });

  it('works out what each group of a six-group framework requires, through the groups it includes', () => {
    const six = asFramework(sixGroupFramework());
    expect(six.groups.map((g) => groupsIncluded(six, g.number))).to.deep.equal([[1], [1, 2], [1, 2, 3], [1, 2, 3, 4], [1, 5], [1, 5, 6]]);
    expect(requirementsFor(six, 4).map((r) => [r.group.number, r.competencies.length])).to.deep.equal([
      [1, 2],
      [2, 3],
      [3, 2],
      [4, 3],
    ]);
    expect(groupsRequiring(six, 1)).to.deep.equal([1, 2, 3, 4, 5, 6]);
    expect(groupsRequiring(six, 5)).to.deep.equal([5, 6]);
    const data = { groups: six.groups, competencies: six.groups.flatMap((g) => g.competencies) };
    expect(engineRequirements(data, 6).map((r) => `${r.groupNumber}.${r.number}`)).to.deep.equal(['1.1', '1.2', '5.1', '6.1', '6.2']);
  });

  it('keeps the groups of a three-level framework apart when they do not build on each other', () => {
    const three = asFramework(threeLevelFramework());
    expect(three.groups.map((g) => groupsIncluded(three, g.number))).to.deep.equal([[1], [2], [3]]);
    expect(requirementsFor(three, 2).map((r) => r.group.number)).to.deep.equal([2]);
    expect(groupsRequiring(three, 1)).to.deep.equal([1]);
    const data = { groups: three.groups, competencies: three.groups.flatMap((g) => g.competencies) };
    expect(engineRequirements(data, 3).map((r) => `${r.groupNumber}.${r.number}`)).to.deep.equal(['3.1']);
  });
});
