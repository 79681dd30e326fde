// What the evidence module offers other modules: recording a course completion as evidence, and a person's evidence.
export { copySharedEvidence, forgetEvidenceDetails, withdrawSharedEvidence } from './record';
