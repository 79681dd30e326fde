// What the organisations module offers other modules: the partner organisations, their sectors and their e-learning licences.
export { canLaunchElearning, licencesOf, licenceStatus } from './licences';
export { createOrganisationStore, type Organisation, SECTORS } from './store';
