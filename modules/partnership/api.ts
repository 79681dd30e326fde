// What the partnership module offers other modules: the partnership's settings and logo.
export { partnershipLogo, partnershipName, setPartnership } from './settings';
