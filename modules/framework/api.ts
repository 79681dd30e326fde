// What the framework module offers other modules: the published framework's staff groups and how groups include each other.
export { MAX_GROUPS } from './document';
export { groupsIncluded } from './model';
export { publishedGroups } from './store';
