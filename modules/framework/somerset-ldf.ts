/**
 * The Somerset Domestic Abuse Learning Development Framework, Appendix C of
 * the Somerset Domestic Abuse Strategy 2021-2024, word for word.
 *
 * Obvious typos fixed (and only these):
 * - Group 4 heading: "without a direct reasonability/ accountability" → "responsibility/accountability".
 * - Group 2 summary: "They maybe a MARAC representative" → "They may be a MARAC representative".
 * - "IDVA's" → "IDVAs" (a plural, not a possessive).
 * - Group 3 delivery: "will need to access to more in depth training" → "will need access to more in depth training".
 */
export interface SeedGroup {
  number: number;
  name: string;
  level: string;
  summary: string;
  description: string;
  includesGroups: number[];
  exampleRoles: string[];
  competencies: string[];
  evidenceExamples: { heading?: string; text: string }[];
  learningOpportunities: { kind: 'delivery' | 'theme' | 'resource'; text: string }[];
}

export const SOMERSET_LDF = {
  name: 'Somerset Domestic Abuse Learning Development Framework',
  sourceNote: 'Appendix C, Somerset Domestic Abuse Strategy 2021-2024',
  introduction:
    'This learning framework incorporates national standards; supports local strategic aims and promotes the need for cultural change for agencies who support anyone affected by domestic abuse and sexual violence. It applies to all organisations, professionals and staff in Somerset who do not work to the "Adult Safeguarding: Roles and Competencies for Health Care Staff" or Safeguarding Children and Young People: Roles and Competencies for Healthcare Staff Intercollegiate Documents published by the Royal College of Nursing.',
  groups: [
    {
      number: 1,
      name: 'Staff Group 1',
      level: 'Awareness',
      summary:
        'All staff (including volunteers). Irrespective of role everyone has a responsibility to contribute to identifying and responding to people affected by domestic abuse. Staff in Group 1 may encounter adults or children but do not have specific organisational responsibility or statutory authority to intervene.',
      description:
        'Members of this group have a responsibility to contribute to identifying and responding to domestic abuse, but do not have specific organisational responsibility or statutory authority to intervene.',
      includesGroups: [],
      exampleRoles: ['All support staff', 'Admin staff', 'HR staff', 'Health and safety leads', 'Call centre staff'],
      competencies: [
        'Know what domestic abuse and sexual violence is.',
        'Recognise signs of domestic abuse and take relevant action.',
        'Understand cultural diversity when working with individuals.',
        'Understand the local domestic abuse and sexual violence process.',
        'Know about local and organisational policy, procedures, and legislation around domestic abuse relevant to the role.',
        'Ensure effective administration of domestic abuse processes.',
      ],
      evidenceExamples: [
        { text: 'Able to describe possible signs and indicators of domestic abuse.' },
        { text: 'Able to name categories of domestic abuse.' },
        { text: 'Able to explain how to handle a disclosure of domestic abuse.' },
        { text: 'Able to explain what they should do if they are worried, and who they should tell.' },
        { text: 'Able to explain what to do if the named person isn’t available.' },
        { text: 'Able to describe boundaries of confidentiality and how information can be appropriately shared.' },
        { text: 'Able to demonstrate an awareness of key legislation relating to domestic abuse.' },
        { text: 'Able to locate domestic abuse policies relevant to their role.' },
        { text: 'Able to clearly record their concerns and know the correct paperwork to use.' },
        { text: 'Able to explain the process of reporting a colleague or their organisation if they are worried about practice.' },
      ],
      learningOpportunities: [
        { kind: 'delivery', text: 'This learning can be provided via eLearning or face to face training and should be covered as part of induction for everyone.' },
        {
          kind: 'delivery',
          text: 'Organisations should consider how often refresher opportunities are available, and what form this should take but should be able to demonstrate that staff and volunteers have up to date knowledge.',
        },
        { kind: 'resource', text: 'E-Learning – including: Domestic Abuse awareness (somersetsurvivors.co.uk)' },
      ],
    },
    {
      number: 2,
      name: 'Staff Group 2',
      level: 'Responder',
      summary:
        'In addition to the duties above this group are also: Includes staff who are in regular direct contact with people who may be experiencing domestic abuse and who may need to raise a concern and/or complete a domestic abuse referral form. They may be a MARAC representative or Designated Safeguarding Lead within their agency or service.',
      description:
        'This group have considerable professional and organisational responsibility for identifying and responding to domestic abuse. They must be able to act on concerns and contribute appropriately to local and national policies, legislation and procedures. This group needs to work within multiagency contexts.',
      includesGroups: [1],
      exampleRoles: [
        'Social care workers',
        'Frontline managers',
        'Housing officers',
        'Substance misuse workers',
        'Police',
        'Probation',
        'Operational and service managers',
      ],
      competencies: [
        'Demonstrate skills and knowledge to contribute effectively to the domestic abuse pathway process',
        'Manage domestic abuse concerns and enquiries, including working with multi-agency partners',
        'Ensure people who use services are supported appropriately to understand domestic abuse issues to maximise their decision making',
        'Understand impact of cultural diversity or other protected characteristic when working with individuals',
        'Maintain accurate, complete, and up to date records and achieve best evidence.',
      ],
      evidenceExamples: [
        { text: 'Able to respond to concerns raised in a timely manner' },
        { text: 'Able to follow and use local pathways and referral processes' },
        { text: 'Able to demonstrate knowledge of key legislation relating to domestic abuse.' },
        { text: 'Able to maintain accurate, timely records' },
        { text: 'Able to develop protective strategies for those who have capacity and decline services' },
        { text: 'Able to confidently use whistle blowing procedures and escalation procedures when needed.' },
        { text: 'Able to provide information on local and national services that may be able to provide support e.g. IDVAs, Victim Support' },
        {
          heading: 'As Domestic Abuse Referrer for their organisation',
          text: 'Understand their responsibilities as a referrer when a concern is raised with you or you have become aware that domestic abuse has occurred, or is suspected',
        },
        { heading: 'As Domestic Abuse Referrer for their organisation', text: 'Understand potential decisions which may result from the work they undertake as nominated referrer' },
      ],
      learningOpportunities: [
        {
          kind: 'delivery',
          text: 'At this stage training should normally be face to face and multi-agency. Training should take place as soon as practical after awareness level training is complete (above)',
        },
        {
          kind: 'delivery',
          text: 'Organisations should consider how often refresher opportunities are available and what form this should take but should be able to demonstrate that staff have up to date knowledge and skills.',
        },
        { kind: 'delivery', text: 'Employers should ensure the package used meets the competencies required for Staff group' },
        {
          kind: 'delivery',
          text: 'This staff group and above should have an awareness of Child Protection and Safeguarding Adults arrangements to take a ‘Think Family’ approach.',
        },
      ],
    },
    {
      number: 3,
      name: 'Staff Group 3',
      level: 'Decision Makers',
      summary:
        'In addition to group 1 and 2 this group is responsible for ensuring that the management and delivery of services to those experiencing harm from and who cause harm related to domestic abuse is effective and efficient. They will have oversight of the development of systems, policies and procedures in accordance with national, local and organisational policies and procedures',
      description:
        'This group is responsible in ensuring their organisation is fully committed to identifying and effectively helping people affected by domestic abuse at all levels and have in place appropriate systems and resources to support this work in an intra and inter agency context.',
      includesGroups: [1, 2],
      exampleRoles: [
        'Somerset Domestic Abuse Board members',
        'Safeguarding adult leads',
        'Safeguarding children leads',
        'Senior managers with responsibility and/or accountability for managing the organisations safeguarding functions',
      ],
      competencies: [
        'The provision of training and supervision to develop and promote domestic abuse awareness',
        'Robust Inter agency and multiagency systems to promote best practice',
        'Support the development of robust internal systems to provide consistent, high quality services that promotes safety for people affected by domestic abuse',
        'Ensure record systems are robust and fit for purpose',
      ],
      evidenceExamples: [
        { text: 'Work with partner agencies to develop a consistent approach to responding to domestic abuse' },
        { text: 'Awareness of up to date protocols and able to implement them' },
        { text: 'Able to challenge poor practice at an intra and inter agency level' },
        { text: 'Ensure effective supervision policy and practice in place and used, including escalation procedures utilised when required' },
        {
          text: 'Monitor and audit systems to ensure accuracy and consistency across records and implement learning from audits, to ensure domestic abuse is appropriately recorded',
        },
        { text: 'Ensure domestic abuse policies & practice are in place to support effective risk and decision making in practice' },
        { text: 'Ensuring all staff are kept up to date with training and development opportunities in line with their role and responsibilities' },
      ],
      learningOpportunities: [
        {
          kind: 'delivery',
          text: 'At this stage training will normally be face to face and can be single agency or multi agency training. Consideration should be given to the benefits of multi-agency training in building multi agency working relationships and understanding.',
        },
        { kind: 'delivery', text: 'This staff group will need access to more in depth training on a wide range of themes including (not exhaustive list):' },
        { kind: 'theme', text: 'Coercive control' },
        { kind: 'theme', text: 'Honour Based Abuse' },
        { kind: 'theme', text: 'Forced Marriage' },
        { kind: 'theme', text: 'Stalking' },
        { kind: 'theme', text: 'Victims with protected characteristics' },
        { kind: 'theme', text: 'Responding to perpetrators' },
      ],
    },
    {
      number: 4,
      name: 'Staff Group 4',
      level: 'Organisational Leaders',
      summary:
        'Organisational Leaders without a direct responsibility/accountability for safeguarding functions. Irrespective of role everyone has a responsibility to contribute to effective identification and support of people affected by domestic abuse. Staff in Group 4 are responsible for the governance of the organisation, although unlike group 3 they do not have a direct responsibility and/or accountability for this function and may not be employees of the organisation (for example trustees).',
      description: 'This group is responsible for the overall management of the organisation and/or its governance.',
      includesGroups: [],
      exampleRoles: ['Executive and non-executive directors', 'Chief executive officers', 'Elected members', 'Trustees'],
      competencies: [
        'Know what domestic abuse and sexual violence is.',
        'Recognise, seek assurance of and where appropriate act on the organisations responsibilities to ensure people are receiving appropriate support',
        'Understand the organisations need to ensure cultural diversity when working with individuals.',
        'Understand the local pathways for domestic abuse and sexual violence.',
        'Ensure effective governance and quality of processes supporting those affected by domestic abuse or sexual violence.',
        'Ensure that any concerns that are raised about the organisations approach to responding to domestic abuse are addressed transparently',
      ],
      evidenceExamples: [
        { text: 'Able to describe the organisations responsibilities for responding to domestic abuse' },
        { text: 'Proactively seeks appropriate assurance that the organisation is meeting its responsibilities.' },
        { text: 'Able to describe possible signs of domestic abuse.' },
        { text: 'Able to explain how to appropriately respond to a disclosure of abuse.' },
        { text: 'Able to describe boundaries of confidentiality and how information can be appropriately shared.' },
        { text: 'Able to locate organisational domestic abuse policies.' },
        {
          text: 'Able to describe how the organisation would respond appropriately to a concern about domestic abuse or sexual violence responses and practices, including but not limited to those raised as a result of ‘Whistleblowing’',
        },
      ],
      learningOpportunities: [
        {
          kind: 'delivery',
          text: 'This learning should be provided by a mixture of eLearning and bespoke face to face learning that gives individual a chance to explore scenarios that the organisation might encounter and should be covered as part of every individual’s induction.',
        },
        {
          kind: 'delivery',
          text: 'Organisations should consider how often refresher opportunities are available, and what form this should take but should be able to demonstrate that individuals have up to date knowledge.',
        },
        { kind: 'resource', text: 'E-Learning – including: Domestic Abuse awareness (somersetsurvivors.co.uk)' },
      ],
    },
  ] satisfies SeedGroup[],
};

/** Stable identity of a competency across framework versions. */
export function seedLineage(groupNumber: number, competencyNumber: number): string {
  return `g${groupNumber}c${competencyNumber}`;
}
