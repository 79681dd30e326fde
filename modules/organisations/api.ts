// What the organisations module offers other modules: the partner organisations, their sectors, their refresher intervals and their e-learning licences.
export { canLaunchElearning, licencesOf, licenceStatus } from './licences';
export { refresherMonthsFor } from './refresher';
export { createOrganisationStore, type Organisation, SECTORS } from './store';
