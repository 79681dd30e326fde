// What the cmi5 module offers other modules: forgetting what cmi5 content saved for a leaver.
export { forgetCmi5Documents } from './store';
