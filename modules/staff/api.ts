// What the staff module offers other modules: the staff import and placing a job title in a staff group.
export { runStaffImport } from './cli';
export { defaultMappings, groupForJobTitle } from './mapping';
export { type GroupLookup, mappedGroup, provisionStaffRecord } from './sign-in-record';
export { addRecordElsewhere, anonymiseStaffRecord, linkOrStartStaffRecord, staffRecordOf } from './store';
