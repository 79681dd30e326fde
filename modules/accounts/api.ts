// What the accounts module offers other modules: forgetting a leaver's invitations and password reset links.
export { forgetInvitationsAndResets } from './store';
