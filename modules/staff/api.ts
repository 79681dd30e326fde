// What the staff module offers other modules: the staff import and placing a job title in a staff group.
export { runStaffImport } from './cli';
export { defaultMappings, groupForJobTitle } from './mapping';
