// What the evidence module offers other modules: recording a course completion as evidence, and a person's evidence.
export { recordCourseCompletion } from './record';
export { type EvidenceEntry, listEvidence, SOURCE_NAMES } from './store';
