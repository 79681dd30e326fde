import type { Role } from '../../server/access';

/**
 * Who may use each route of the product: the one table the access matrix
 * (access-matrix.test.ts) checks every route against, as every role, with
 * ids of the caller's own organisation and of another one.
 *
 * A new route fails the matrix until it has an entry here. For each role:
 * - 'any': allowed whatever organisation the ids belong to;
 * - 'own': allowed with the caller's own ids (their organisation's people for
 *   a lead, their own records for a learner), refused with another
 *   organisation's;
 * - missing: refused.
 * "Own" ids in the matrix are the demo learner Sam Taylor's records at Vale
 * County Council, which the demo lead manages; "other" ids are Vale
 * Constabulary's.
 */
export type Who = Role | 'anonymous';
export type Grant = 'any' | 'own';

export interface RouteRule {
  roles: Partial<Record<Who, Grant>>;
  /** The matrix cannot make a real id for this route (tokens, ids made and used at once): allowed roles may get 404. */
  unknownIds?: true;
  /** Not sent for allowed roles, with the reason (it would change who the caller is). */
  skipAllowed?: string;
  /** Why a route is open, where that is not obvious. */
  note?: string;
  /** Whom the route lets in is decided by something other than the role (a signed assertion); the suite named here tests it. The matrix only checks it never fails with a 5xx. */
  checkedElsewhere?: string;
}

const everyone = (grant: Grant = 'any'): RouteRule['roles'] => ({ anonymous: grant, ...signedIn(grant) });
const signedIn = (grant: Grant = 'any'): RouteRule['roles'] => ({
  learner: grant,
  trainer: grant,
  'org-lead': grant,
  'partnership-admin': grant,
  'board-member': grant,
});
const ADMIN: RouteRule['roles'] = { 'partnership-admin': 'any' };
const LEADS: RouteRule['roles'] = { 'org-lead': 'own', 'partnership-admin': 'any' };
const BOARD: RouteRule['roles'] = { 'board-member': 'any', 'partnership-admin': 'any' };
const TRAINERS: RouteRule['roles'] = { trainer: 'any', 'partnership-admin': 'any' };
/** A person's own record, their leads, and administrators. */
const SELF_AND_LEADS: RouteRule['roles'] = { learner: 'own', 'org-lead': 'own', 'partnership-admin': 'any' };

const open = (note: string, extra: Partial<RouteRule> = {}): RouteRule => ({ roles: everyone(), note, ...extra });
const anyoneSignedIn: RouteRule = { roles: signedIn() };
const admin: RouteRule = { roles: ADMIN };
const leads: RouteRule = { roles: LEADS };
const onlyWithDraft: RouteRule = { roles: ADMIN, unknownIds: true, note: 'not found until a draft framework exists' };
const board: RouteRule = { roles: BOARD };

export const ACCESS: Record<string, RouteRule> = {
  // Pages anyone can open
  'GET /health': open('load balancers check it'),
  'GET /health/live': open('orchestrators check it (says only that the process is up)'),
  'GET /health/ready': open('load balancers check it (says only whether the database answers and is migrated)'),
  'GET /metrics': {
    roles: {},
    checkedElsewhere: 'test/observability.test.ts: a bearer token (METRICS_TOKEN), not a role, lets Prometheus in; 404 while metrics are off',
  },
  'GET /sign-in': open('signing in'),
  'POST /sign-in': open('signing in'),
  'POST /sign-out': open('signing out', { skipAllowed: 'it would sign the role out for the rest of the matrix' }),
  'GET /signed-out': open('after signing out'),
  'GET /': open('the home page says what the service is and how to sign in'),
  'GET /accessibility': open('the accessibility statement must be public'),
  'GET /assets/govuk-frontend.min.css': open('the stylesheet every page needs, the sign-in page included'),
  'GET /favicon.ico': open('browsers ask for it on every page, signed in or not'),
  'GET /privacy': open('the privacy notice must be public'),
  'GET /support': open('support services for anyone affected by domestic abuse'),
  'GET /verify': open('anyone may check a certificate'),
  'GET /api/v1/certificates/verify/:code': open('anyone may check a certificate', { unknownIds: true }),
  'POST /verify': open('anyone may check a digital certificate (an uploaded Open Badges credential)'),
  'GET /credentials/issuer': open('verifiers of Open Badges credentials read the issuer and its keys'),
  'GET /credentials/keys/:id': open('verifiers of Open Badges credentials read the signing key', { unknownIds: true }),
  'GET /credentials/status/:list': open('verifiers of Open Badges credentials read revocations', { unknownIds: true }),
  'GET /password-reset': open('asking for a reset link'),
  'POST /password-reset': open('asking for a reset link'),
  'GET /password-reset/:token': open('a single-use token is its own permission', { unknownIds: true }),
  'GET /password-reset/new': open('the reset link’s token, moved into the session, is its own permission', { unknownIds: true }),
  'POST /password-reset/new': open('the reset link’s token, moved into the session, is its own permission', { unknownIds: true }),
  'GET /invitations/:token': open('a single-use token is its own permission', { unknownIds: true }),
  'GET /invitations/accept': open('the invitation’s token, moved into the session, is its own permission', { unknownIds: true }),
  'POST /invitations/accept': open('the invitation’s token, moved into the session, is its own permission', { unknownIds: true }),
  'GET /reminders/unsubscribe': open('the link in a digest email carries a signed token', { unknownIds: true }),
  'POST /reminders/unsubscribe': open('the link in a digest email carries a signed token', { unknownIds: true }),
  'GET /training-sessions/offers/:token': open('the link in a place-offer email is its own permission', { unknownIds: true }),
  'POST /training-sessions/offers/:token': open('the link in a place-offer email is its own permission', { unknownIds: true }),
  'GET /public-learning/register': open('members of the public register for public courses'),
  'POST /public-learning/register': open('members of the public register for public courses'),
  'GET /public-learning/confirm': open('the emailed link’s token, moved into the session, is its own permission', { unknownIds: true }),
  'GET /public-learning/confirm/:token': open('a single-use token is its own permission', { unknownIds: true }),
  'POST /public-learning/confirm': open('the emailed link’s token, moved into the session, is its own permission', { unknownIds: true }),
  'GET /auth/saml/:slug/metadata': open('SAML metadata is given to the organisation’s IT team', { unknownIds: true }),
  'GET /auth/saml/:slug/login': open('starts single sign-on', { unknownIds: true }),
  'POST /auth/saml/:slug/acs': open('the identity provider posts here; the signed assertion is the permission', {
    checkedElsewhere: 'modules/sso/saml.test.ts: only a signed, fresh assertion from the configured identity provider signs anyone in',
  }),
  'GET /auth/saml/:slug/slo': open('the identity provider’s single logout messages; a LogoutRequest must carry its signature', {
    unknownIds: true,
    checkedElsewhere: 'modules/sso/sso-admin.browser.test.ts: an unsigned or wrongly signed LogoutRequest ends nobody’s session',
  }),
  'POST /auth/saml/:slug/slo': open('the identity provider’s single logout messages; a LogoutRequest must carry its signature', {
    unknownIds: true,
    checkedElsewhere: 'modules/sso/sso-admin.browser.test.ts: an unsigned or wrongly signed LogoutRequest ends nobody’s session',
  }),
  'POST /auth/saml/:slug/logout': open('sign-out of a session signed in by SAML (the sign-out button hands over here)', { unknownIds: true }),
  'GET /auth/saml/:slug/signed-out': open('the signed-out page of an organisation’s sign-in', { unknownIds: true }),
  'GET /auth/sso/find': open('finds an organisation’s sign-in from a work email', { unknownIds: true, note: 'without an email address it asks for one (400)' }),

  // Everyone signed in
  'GET /framework': anyoneSignedIn,
  'GET /framework/my-group': anyoneSignedIn,
  'GET /courses': anyoneSignedIn,
  'GET /courses/:slug': anyoneSignedIn,
  'GET /courses/:slug/play': anyoneSignedIn,
  'POST /courses/:slug/attempts': anyoneSignedIn,
  'GET /courses/:slug/result': {
    roles: signedIn(),
    unknownIds: true,
    note: 'the caller’s own result of a cmi5 course; not found for a course without a cmi5 package',
  },
  'GET /scorm/vendor/scorm-again.min.js': anyoneSignedIn,
  'GET /my-learning': anyoneSignedIn,
  'GET /my-training': anyoneSignedIn,
  'GET /my-reminders': anyoneSignedIn,
  'GET /my-certificates': anyoneSignedIn,
  'GET /training-sessions': anyoneSignedIn,
  'GET /training-sessions/:id': { roles: signedIn(), note: 'sessions are multi-agency; the page lists only the people the caller may see' },
  'POST /training-sessions/:id/book': { roles: signedIn(), note: 'books the caller’s own place; booking someone else is scoped by the staff id in the form' },
  'GET /api/v1/organisations': anyoneSignedIn,
  'GET /api/v1/framework': anyoneSignedIn,
  'GET /courses/:slug/evaluation': { roles: signedIn(), unknownIds: true, note: 'not found for a course without an evaluation' },
  'POST /courses/:slug/evaluation': { roles: signedIn(), unknownIds: true, note: 'not found for a course without an evaluation' },
  'GET /evaluation/follow-up/:id': { roles: signedIn(), unknownIds: true, note: 'a follow-up question belongs to the person asked' },
  'POST /evaluation/follow-up/:id': { roles: signedIn(), unknownIds: true, note: 'a follow-up question belongs to the person asked' },

  // A person's own records
  'GET /my-certificates/:id.pdf': { roles: { learner: 'own' } },
  'GET /my-certificates/:id/open-badge.json': { roles: { learner: 'own' } },
  'POST /scorm/attempts/:id/commit': { roles: { learner: 'own' }, note: 'only the person taking the attempt may write to it' },
  'POST /training-sessions/:id/bookings/:bookingId/accept': {
    roles: { learner: 'own' },
    unknownIds: true,
    note: 'accepting an offered place; the demo has no offer',
  },
  'POST /training-sessions/:id/bookings/:bookingId/cancel': { roles: { learner: 'own', 'org-lead': 'own', trainer: 'any', 'partnership-admin': 'any' } },
  'GET /staff/:id/evidence': { roles: { ...SELF_AND_LEADS, trainer: 'any' } },
  'GET /staff/:id/evidence/upload': { roles: SELF_AND_LEADS },
  'POST /staff/:id/evidence/upload': { roles: SELF_AND_LEADS },
  'GET /staff/:id/documents/:documentId': { roles: SELF_AND_LEADS, unknownIds: true },
  'GET /api/v1/staff/:id/compliance': { roles: SELF_AND_LEADS },

  // Trainers
  'GET /training-sessions/new': { roles: TRAINERS },
  'POST /training-sessions': { roles: TRAINERS },
  'POST /training-sessions/:id/register': { roles: TRAINERS },
  'GET /training-sessions/:id/register': { roles: TRAINERS },
  'GET /my-sessions': { roles: TRAINERS },
  'GET /courses/:slug/report': {
    roles: { trainer: 'any', 'org-lead': 'any', 'partnership-admin': 'any' },
    note: 'a lead sees their own staff only (checked in the matrix suite)',
  },
  'GET /staff/:id/evidence/sign-off': { roles: { ...LEADS, trainer: 'any' } },
  'POST /staff/:id/evidence/sign-off': { roles: { ...LEADS, trainer: 'any' } },

  // Organisational leads (their own organisations) and administrators
  'GET /admin': { roles: { 'org-lead': 'any', 'partnership-admin': 'any' }, note: 'the hub lists the pages the caller manages, by topic' },
  'GET /admin/organisations': leads,
  'GET /admin/organisations/:slug': leads,
  'GET /admin/organisations/:slug/settings': leads,
  'POST /admin/organisations/:slug/settings': leads,
  'GET /staff': leads,
  'GET /staff/unmapped-roles': leads,
  'POST /staff/unmapped-roles': { roles: LEADS, unknownIds: true, note: 'an empty form names no job title to map' },
  'GET /staff/import': leads,
  'POST /staff/import': leads,
  'GET /staff/import/:batchId': { roles: LEADS, unknownIds: true },
  'POST /staff/import/:batchId': { roles: LEADS, unknownIds: true },
  'GET /staff/:id': leads,
  'POST /staff/:id/group': leads,
  'GET /staff/:id/evidence/prior-learning': leads,
  'POST /staff/:id/evidence/prior-learning': leads,
  'POST /staff/:id/documents/:documentId/verify': { roles: LEADS, unknownIds: true },
  'GET /staff/:id/evidence/:evidenceId/change': leads,
  'POST /staff/:id/evidence/:evidenceId/change': leads,
  'GET /invitations': leads,
  'GET /account/api-tokens': anyoneSignedIn,
  'POST /account/api-tokens/:tokenId/revoke': { roles: signedIn(), unknownIds: true, note: 'a person revokes their own tokens; the matrix has none to revoke' },
  'POST /admin/users/:id/api-tokens/:tokenId/revoke': { roles: ADMIN, unknownIds: true },
  'GET /invitations/new': leads,
  'POST /invitations/new': leads,
  'POST /invitations/:id/withdraw': { roles: LEADS, unknownIds: true },
  'GET /certificates': leads,
  'GET /certificates/download.zip': leads,
  'GET /certificates/:id.pdf': leads,
  'GET /certificates/:id': leads,
  'POST /certificates/:id/revoke': leads,
  'POST /certificates/:id/reissue': leads,
  'GET /compliance': leads,
  'GET /compliance/working-out': admin,
  'GET /compliance/:slug': leads,
  'GET /reminders': leads,
  'GET /reminders/:slug': leads,
  'GET /reminders/:slug/policy': leads,
  'POST /reminders/:slug/policy': leads,
  'GET /api/v1/organisations/:slug/compliance': leads,
  'GET /compliance/:slug/staff': leads,
  'GET /compliance/:slug/staff.csv': leads,
  'GET /compliance/:slug/counts.csv': leads,
  'GET /compliance/:slug/chase.csv': leads,
  'GET /compliance/:slug/self-assessment': leads,
  'GET /headcount': { roles: { 'org-lead': 'any', 'partnership-admin': 'any' }, note: 'lists the caller’s own organisations' },
  'GET /organisations/:slug/headcount': leads,
  'POST /organisations/:slug/headcount': leads,
  'GET /training-sessions/no-shows': leads,
  'GET /training-sessions/charges': leads,
  'GET /training-sessions/:id/bookings/:bookingId/substitute': leads,
  'POST /training-sessions/:id/bookings/:bookingId/substitute': leads,
  'GET /in-house-courses': leads,
  'GET /in-house-courses/new': { roles: { 'org-lead': 'any' } },
  'POST /in-house-courses/new': { roles: { 'org-lead': 'any' } },
  'GET /in-house-courses/:id': { roles: { ...LEADS, trainer: 'any' }, unknownIds: true },
  'POST /in-house-courses/:id/completions': { roles: { ...LEADS, trainer: 'any' }, unknownIds: true },
  'POST /in-house-courses/:id/review': { roles: ADMIN, unknownIds: true },
  'GET /admin/people/:id/subject-access.json': leads,
  'GET /admin/people/:id/subject-access.pdf': leads,

  // The board: partnership-wide totals, never a person's name
  'GET /board': board,
  'GET /board/sectors': board,
  'GET /board/organisations': board,
  'GET /board/report/:file': { roles: BOARD, unknownIds: true },
  'GET /board/evaluation': board,
  'GET /api/v1/board/coverage': board,
  'POST /board/refresh': admin,
  'POST /board/snapshots': admin,
  'POST /board/settings': admin,
  'GET /board/licensing': admin,
  'GET /board/licensing.csv': admin,

  // Partnership administrators
  'GET /admin/organisations/new': admin,
  'POST /admin/organisations/new': admin,
  'GET /admin/organisations/:slug/edit': admin,
  'POST /admin/organisations/:slug/edit': admin,
  'GET /admin/organisations/:slug/licences/new': admin,
  'POST /admin/organisations/:slug/licences/new': admin,
  'GET /admin/framework': admin,
  'POST /admin/framework/draft': admin,
  'GET /admin/framework/versions/:version/framework.json': admin,
  'GET /admin/framework/import': admin,
  'POST /admin/framework/import': admin,
  'POST /admin/framework/draft/discard': onlyWithDraft,
  'GET /admin/framework/draft/groups/:number/competencies/new': onlyWithDraft,
  'POST /admin/framework/draft/groups/:number/competencies/new': onlyWithDraft,
  'GET /admin/framework/draft/competencies/:id/edit': { roles: ADMIN, unknownIds: true },
  'POST /admin/framework/draft/competencies/:id/edit': { roles: ADMIN, unknownIds: true },
  'POST /admin/framework/draft/competencies/:id/:action': { roles: ADMIN, unknownIds: true },
  'GET /admin/framework/draft/groups/:number/edit': onlyWithDraft,
  'POST /admin/framework/draft/groups/:number/edit': onlyWithDraft,
  'GET /admin/framework/draft/publish': onlyWithDraft,
  'POST /admin/framework/draft/publish': onlyWithDraft,
  'GET /admin/job-roles': admin,
  'POST /admin/job-roles': admin,
  'GET /admin/users': admin,
  'GET /admin/users/:id': admin,
  'POST /admin/users/:id/roles': admin,
  'POST /admin/users/:id/roles/revoke': { roles: ADMIN, unknownIds: true, note: 'an empty form names no role to revoke' },
  'POST /admin/users/:id/unlock': admin,
  'GET /admin/audit': admin,
  'GET /courses/new': admin,
  'POST /courses/new': admin,
  'GET /courses/:slug/edit': admin,
  'POST /courses/:slug/edit': admin,
  'GET /admin/reminder-defaults': admin,
  'POST /admin/reminder-defaults': admin,
  'GET /admin/outbox': admin,
  'GET /admin/outbox/:id': { roles: ADMIN, unknownIds: true },
  'GET /scorm/packages': admin,
  'GET /cmi5/packages': admin,
  'POST /cmi5/packages': admin,
  'POST /scorm/packages': admin,
  'GET /scorm/packages/confirm': admin,
  'POST /scorm/packages/confirm': admin,
  'GET /admin/booking-terms': admin,
  'POST /admin/booking-terms': admin,
  'GET /courses/:slug/evaluation/settings': admin,
  'POST /courses/:slug/evaluation/settings': admin,
  'GET /admin/data-protection': admin,
  'POST /admin/data-protection/retention': admin,
  'POST /admin/data-protection/anonymise': admin,
  'GET /admin/sso': admin,
  'GET /admin/sso/:slug': admin,
  'POST /admin/sso/:slug': admin,
  'POST /admin/sso/:slug/import': admin,
  'GET /admin/sso/:slug/last-response': admin,
  // Safety and the training passport (modules/safety, modules/passport)
  'GET /admin/support': admin,
  'POST /admin/support': admin,
  'GET /passport': { roles: signedIn(), note: "a person's own passport; the store finds only their own records" },
  'POST /passport': { roles: signedIn(), note: 'a person decides only their own transfers (404 for anyone else’s)' },
  'GET /training-passports': leads,
};
