// What the evidence module offers other modules: recording a course completion as evidence, and a person's evidence and documents as the evidence pages show them.
export { copySharedEvidence, forgetEvidenceDetails, recordCourseCompletion, withdrawSharedEvidence } from './record';
export { SIGN_OFF_KINDS } from './rules';
export { signOffScope, viewScope } from './scopes';
export { type EvidenceEntry, findStaffInScope, frameworkChoices, listDocuments, listEvidence, SOURCE_NAMES } from './store';
