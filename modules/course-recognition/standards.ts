/**
 * The training standards every course is tested against, from the Bath &
 * North East Somerset Domestic Abuse Strategy: section 4.5 ("clear training
 * standards which will enable all training to be tested against these
 * standards") and the action table, item 4 "Training and guidance for staff"
 * (4.1 (i)-(vii), after NICE guidance PH50 recommendation 6). A partnership
 * administrator ticks each one the in-house course meets when reviewing it.
 */
export const TRAINING_STANDARDS = [
  { id: 'level-per-role', text: 'Is clear about the level of competency it trains to and the roles it is for (mapped to the LDF staff groups)' },
  {
    id: 'recognise-and-ask',
    text: 'Trains staff to recognise the indicators of domestic violence and abuse and to ask relevant questions to help people disclose (NICE recommendation 6)',
  },
  { id: 'children', text: 'Covers how domestic abuse affects children and young people' },
  { id: 'local-services', text: 'Covers the services, policies and procedures of relevant local agencies, and how to refer' },
  { id: 'information-sharing', text: 'Covers the safe sharing of domestic abuse-related information (consent, confidentiality, safeguarding)' },
  { id: 'equality-diversity', text: 'Covers equality and diversity issues for people affected by domestic abuse, including those who perpetrate it' },
  { id: 'follow-up', text: 'Fits a rolling programme: refreshed for staff turnover, with follow-up, supervision or refresher training' },
  { id: 'consistent', text: 'Gives a response consistent with the partnership’s approach, so people get the same response across services' },
] as const;

export type StandardId = (typeof TRAINING_STANDARDS)[number]['id'];

export function isStandardId(id: string): id is StandardId {
  return TRAINING_STANDARDS.some((s) => s.id === id);
}
