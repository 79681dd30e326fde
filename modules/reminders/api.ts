// What the reminders module offers other modules: forgetting a leaver's reminders.
export { forgetRemindersOf } from './store';
