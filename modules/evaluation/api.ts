// What the evaluation module offers other modules: whether a course's evaluation holds back its start or its certificate.
export { evaluationAllowsCertificate } from './gate';
