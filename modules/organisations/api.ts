// What the organisations module offers other modules: the partner organisations, their sectors and their e-learning licences.
export { createOrganisationStore } from './store';
