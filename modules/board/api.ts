// What the board module offers other modules: its small-number disclosure control and the refresh of its figures.
export { refreshFigures, suppressionThreshold } from './store';
export { publishedCount } from './suppression';
