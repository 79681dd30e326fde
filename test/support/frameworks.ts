/**
 * Frameworks other partnerships use, as documents, for the tests: a
 * six-group one in the shape of Wales's national training framework for
 * violence against women, domestic abuse and sexual violence (groups that
 * build on each other in two lines: practice and leadership), and a
 * three-level one whose groups do not build on each other at all.
 */
import type { DocumentGroup, FrameworkDocument } from '../../modules/framework/document';

// Somerset's framework in the shape tests read; not on the framework module's api, as loading it checks the document at start.
export { SOMERSET_LDF } from '../../modules/framework/somerset-ldf';

function group(number: number, name: string, level: string, includesGroups: number[], competencies: string[], exampleRoles: string[]): DocumentGroup {
  return {
    number,
    name,
    level,
    summary: `${level}: who this group is for.`,
    description: '',
    includesGroups,
    exampleRoles,
    competencies: competencies.map((text, i) => ({ number: i + 1, text })),
    evidenceExamples: [{ text: `Able to show the ${level.toLowerCase()} competencies in practice.` }],
    learningOpportunities: [{ kind: 'delivery', text: `${level} training, face to face or online.` }],
  };
}

export function sixGroupFramework(): FrameworkDocument {
  return {
    name: 'Six-group VAWDASV training framework',
    sourceNote: 'In the shape of the Welsh Government national training framework',
    groups: [
      group(
        1,
        'Group 1',
        'Awareness',
        [],
        ['Recognise violence against women, domestic abuse and sexual violence.', 'Know where to find help and how to pass on a concern.'],
        ['Receptionist', 'Caretaker'],
      ),
      group(
        2,
        'Group 2',
        'Ask and Act',
        [1],
        ['Ask about abuse where there are indicators.', 'Act on a disclosure and refer safely.', 'Record what was asked and done.'],
        ['Health visitor', 'Housing officer'],
      ),
      group(3, 'Group 3', 'Champion', [2], ['Support colleagues to ask and act.', 'Keep local pathways up to date.'], ['Safeguarding champion']),
      group(
        4,
        'Group 4',
        'Specialist',
        [3],
        ['Assess risk with a recognised tool.', 'Plan safety with the person.', 'Work with MARAC and other panels.'],
        ['Specialist IDVA', 'Refuge worker'],
      ),
      group(5, 'Group 5', 'Leadership', [1], ['Make sure staff are trained for their role.'], ['Service director']),
      group(
        6,
        'Group 6',
        'Strategic leadership',
        [5],
        ['Set the organisation’s strategy on VAWDASV.', 'Report to the regional board.'],
        ['Chief executive officer', 'Elected member'],
      ),
    ],
  };
}

export function threeLevelFramework(): FrameworkDocument {
  return {
    name: 'Three-level domestic abuse framework',
    groups: [
      group(1, 'Level 1', 'Foundation', [], ['Describe what domestic abuse is.', 'Say who to tell about a concern.'], ['Support worker']),
      group(2, 'Level 2', 'Practitioner', [], ['Complete a risk assessment.', 'Refer to specialist services.'], ['Social worker']),
      group(3, 'Level 3', 'Manager', [], ['Oversee domestic abuse practice in a team.'], ['Team manager']),
    ],
  };
}
