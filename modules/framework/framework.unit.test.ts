import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import {
  evidenceExamplesFromText,
  evidenceExamplesToText,
  type Framework,
  frameworkChanges,
  opportunitiesFromText,
  frameworkToJson,
  requirementsFor,
  staffAffected,
  type StaffGroup,
} from './model';
import { SOMERSET_LDF, seedLineage } from './somerset-ldf';

const SEED = path.resolve(__dirname, '../../../shared/seeds/000_ceb22d058006a53e.txt');

/** Whitespace and typographic quotes as the seed's word processor left them. */
function normalise(text: string): string {
  return text.replace(/[‘’]/g, "'").replace(/[“”]/g, '"').replace(/\s+/g, ' ').trim();
}

/** The typo fixes documented in somerset-ldf.ts, applied to the seed text so the comparison is word for word otherwise. */
const TYPO_FIXES: [string, string][] = [
  ['reasonability/ accountability', 'responsibility/accountability'],
  ['They maybe a MARAC', 'They may be a MARAC'],
  ["IDVA's", 'IDVAs'],
  ['will need to access to more', 'will need access to more'],
];

function asFramework(): Framework {
  return {
    id: 'v1',
    name: SOMERSET_LDF.name,
    version: 1,
    status: 'published',
    basedOn: null,
    publishedAt: null,
    groups: SOMERSET_LDF.groups.map(
      (g): StaffGroup => ({
        ...g,
        evidenceExamples: g.evidenceExamples.map((e) => ({ heading: 'heading' in e ? (e.heading ?? null) : null, text: e.text })),
        competencies: g.competencies.map((text, i) => ({
          id: `c${g.number}.${i + 1}`,
          groupNumber: g.number,
          number: i + 1,
          text,
          lineage: seedLineage(g.number, i + 1),
          retired: false,
        })),
      }),
    ),
  };
}

describe('the Somerset Learning Development Framework as loaded', () => {
  const appendix = (() => {
    const all = fs.readFileSync(SEED, 'utf8');
    let text = normalise(all.slice(all.indexOf('Appendix C – Learning Development Framework')));
    for (const [typo, fixed] of TYPO_FIXES) text = text.split(normalise(typo)).join(normalise(fixed));
    return text;
  })();

  it('has the four groups with their names, levels and 6/5/4/6 competencies', () => {
    expect(SOMERSET_LDF.groups.map((g) => [g.number, g.name, g.level, g.competencies.length])).to.deep.equal([
      [1, 'Staff Group 1', 'Awareness', 6],
      [2, 'Staff Group 2', 'Responder', 5],
      [3, 'Staff Group 3', 'Decision Makers', 4],
      [4, 'Staff Group 4', 'Organisational Leaders', 6],
    ]);
  });

  it('includes earlier groups as the framework says: Group 2 includes 1, Group 3 includes 1 and 2, Group 4 stands alone', () => {
    expect(SOMERSET_LDF.groups.map((g) => g.includesGroups)).to.deep.equal([[], [1], [1, 2], []]);
    expect(appendix).to.include('All competencies for Staff Group 1 plus');
    expect(appendix).to.include('All competencies for Staff Groups 1 and 2 plus');
  });

  it('takes every competency, evidence example, learning opportunity and summary word for word from the seed', () => {
    for (const g of SOMERSET_LDF.groups) {
      for (const [i, text] of g.competencies.entries()) expect(appendix, `competency ${g.number}.${i + 1}`).to.include(normalise(`${i + 1}. ${text}`));
      for (const e of g.evidenceExamples) {
        expect(appendix).to.include(normalise(e.text));
        if ('heading' in e && e.heading) expect(appendix).to.include(normalise(e.heading));
      }
      for (const o of g.learningOpportunities) {
        // Resource lines are split over several lines in the seed ("E-Learning – including:" / the link).
        for (const part of o.text.split(/(?<=including:) /)) expect(appendix).to.include(normalise(part));
      }
      // The summary joins the seed's separate lines into sentences, adding the full stops.
      for (const sentence of g.summary.split(/(?<=\.) |(?<=also:) /)) {
        expect(appendix, `summary of group ${g.number}`).to.include(normalise(sentence.replace(/\.$/, '')));
      }
      expect(appendix).to.include(normalise(g.description));
    }
  });
});

describe('what a group requires', () => {
  it('is cumulative: Group 3 needs Group 1, Group 2 and its own, 15 in all; Group 4 only its own six', () => {
    const f = asFramework();
    const g3 = requirementsFor(f, 3);
    expect(g3.map((r) => r.group.number)).to.deep.equal([1, 2, 3]);
    expect(g3.reduce((n, r) => n + r.competencies.length, 0)).to.equal(15);
    expect(requirementsFor(f, 4).map((r) => r.competencies.length)).to.deep.equal([6]);
  });

  it('gives the API shape with headed evidence examples and learning opportunities as objects', () => {
    const json = frameworkToJson(asFramework());
    const g2 = json.groups[1];
    expect(Object.keys(json)).to.deep.equal(['name', 'version', 'groups']);
    expect(g2.includesGroups).to.deep.equal([1]);
    expect(g2.competencies[0]).to.deep.equal({ id: 'c2.1', number: 1, text: SOMERSET_LDF.groups[1].competencies[0] });
    expect(g2.evidenceExamples).to.include(
      'As Domestic Abuse Referrer for their organisation: Understand potential decisions which may result from the work they undertake as nominated referrer',
    );
    expect(json.groups[2].learningOpportunities).to.deep.include({ kind: 'theme', text: 'Coercive control' });
  });
});

describe('frameworkChanges', () => {
  function edited(edit: (f: Framework) => void): Framework {
    const f = structuredClone(asFramework());
    edit(f);
    return f;
  }

  it('reports nothing when the draft is an unchanged copy', () => {
    const changes = frameworkChanges(asFramework(), asFramework());
    expect(changes.every((c) => !c.added.length && !c.reworded.length && !c.retired.length && !c.reordered.length && !c.textChanges.length)).to.equal(true);
  });

  it('matches by lineage: a reworded competency is reworded, not retired and added', () => {
    const after = edited((f) => {
      f.groups[0].competencies[0].text = 'Know what domestic abuse, including sexual abuse, and sexual violence is.';
    });
    const [g1] = frameworkChanges(asFramework(), after);
    expect(g1.reworded).to.deep.equal([
      {
        number: 1,
        before: 'Know what domestic abuse and sexual violence is.',
        after: 'Know what domestic abuse, including sexual abuse, and sexual violence is.',
      },
    ]);
    expect(g1.added).to.deep.equal([]);
    expect(g1.retired).to.deep.equal([]);
  });

  it('reports added and retired competencies and which groups of staff they reach', () => {
    const after = edited((f) => {
      f.groups[0].competencies[5].retired = true;
      f.groups[0].competencies.push({
        id: 'new',
        groupNumber: 1,
        number: 7,
        text: 'Respond proportionately to sexual abuse.',
        lineage: 'g1-new',
        retired: false,
      });
      f.groups[3].name = 'Staff Group 4 (leaders)';
    });
    const changes = frameworkChanges(asFramework(), after);
    expect(changes[0].added).to.deep.equal([{ number: 7, text: 'Respond proportionately to sexual abuse.' }]);
    expect(changes[0].retired.map((c) => c.number)).to.deep.equal([6]);
    // A change to Group 1 reaches Groups 1, 2 and 3 (who include it), not Group 4.
    expect(changes[0].affectsGroups).to.deep.equal([1, 2, 3]);
    expect(staffAffected(changes[0], { 1: 10, 2: 20, 3: 3, 4: 2 })).to.equal(33);
    expect(changes[3].textChanges).to.deep.equal(['name']);
    expect(staffAffected(changes[3], { 4: 2 })).to.equal(0);
  });

  it('reports a swap of two competencies as moved, with their new numbers', () => {
    const after = edited((f) => {
      const [a, b] = f.groups[2].competencies;
      [a.number, b.number] = [b.number, a.number];
    });
    expect(frameworkChanges(asFramework(), after)[2].reordered.map((r) => [r.before, r.after])).to.deep.equal([
      [2, 1],
      [1, 2],
    ]);
  });
});

describe('editing evidence examples and learning opportunities as text', () => {
  it('gives back every Somerset group unchanged when the administrator saves without changing anything', () => {
    for (const g of asFramework().groups) {
      expect(evidenceExamplesFromText(evidenceExamplesToText(g.evidenceExamples))).to.deep.equal(g.evidenceExamples);
      const byKind = (kind: string) =>
        g.learningOpportunities
          .filter((o) => o.kind === kind)
          .map((o) => o.text)
          .join('\n');
      expect(opportunitiesFromText({ delivery: byKind('delivery'), theme: byKind('theme'), resource: byKind('resource') })).to.deep.equal(
        g.learningOpportunities,
      );
    }
  });

  it('reads "# heading" lines as headings for the examples after them, and drops bullets and blank lines', () => {
    expect(evidenceExamplesFromText('· Able to respond\n\n# As Referrer:\n- Understand the duty\n')).to.deep.equal([
      { heading: null, text: 'Able to respond' },
      { heading: 'As Referrer', text: 'Understand the duty' },
    ]);
  });
});
