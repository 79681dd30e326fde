// What the safety module offers other modules: whether a message's subject gives away what someone is training in.
export { subjectRevealsProgress } from './rules';
