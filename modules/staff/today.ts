// Staff pages and the import count leavers and starters by the London day.
export { londonToday } from '../../server/london';
