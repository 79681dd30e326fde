// What the SCORM module offers other e-learning modules (cmi5): safe package import, the content origin and its policies, uploads.
export { forgetScormState } from './store';
