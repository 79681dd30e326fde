// What the staff module offers other modules: the staff import, placing a job title in a staff group, and a person's whole record, shown or anonymised (to data protection).
export { runStaffImport } from './cli';
export { defaultMappings, groupForJobTitle } from './mapping';
export { type GroupLookup, mappedGroup, provisionStaffRecord } from './sign-in-record';
export { addRecordElsewhere, anonymiseStaffRecord, linkOrStartStaffRecord, staffRecordOf } from './store';
