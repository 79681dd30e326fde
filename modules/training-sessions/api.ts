// What the training-sessions module offers other modules: the subjects of the messages it sends.
export { OFFER_SUBJECT, REMINDER_SUBJECT } from './messages';
