import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { HttpError } from './errors';

export const ROLES = ['learner', 'trainer', 'org-lead', 'partnership-admin', 'board-member'] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_NAMES: Record<Role, string> = {
  learner: 'Learner',
  trainer: 'Trainer',
  'org-lead': 'Organisational lead',
  'partnership-admin': 'Partnership administrator',
  'board-member': 'Board member',
};

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

export interface RoleGrant {
  role: Role;
  /** The organisation an org-lead (or trainer) acts for; null for partnership-wide roles. */
  organisationId: string | null;
}

/** The signed-in person making a request, with everything access decisions need. */
export interface Caller {
  userId: string;
  email: string;
  name: string;
  grants: RoleGrant[];
  /** Current staff records of this person (one per organisation they work for). */
  staffIds: string[];
  /** Organisations of those staff records. */
  staffOrganisationIds: string[];
  /** How the request was authenticated. */
  via: 'session' | 'token';
  /** For a bearer token: 'read' tokens may only read (reporting); 'full' ones do what their user may. */
  tokenScope?: 'read' | 'full';
}

/**
 * Which organisations' people a query may touch. Every store that reads or
 * writes staff, evidence or certificates takes one of these, so a query
 * without a scope does not compile.
 */
export type OrganisationScope = { kind: 'all' } | { kind: 'organisations'; organisationIds: string[] };

export function hasRole(caller: Caller | undefined, ...roles: Role[]): boolean {
  return !!caller && caller.grants.some((g) => roles.includes(g.role));
}

/** Organisations a caller manages: everything for an administrator, their own for a lead. */
export function managedScope(caller: Caller): OrganisationScope {
  if (hasRole(caller, 'partnership-admin')) return { kind: 'all' };
  const ids = caller.grants.filter((g) => g.role === 'org-lead' && g.organisationId).map((g) => g.organisationId!);
  return { kind: 'organisations', organisationIds: [...new Set(ids)] };
}

/** Trainers see the people booked on training across the partnership; leads and admins as managedScope. */
export function trainingScope(caller: Caller): OrganisationScope {
  if (hasRole(caller, 'partnership-admin', 'trainer')) return { kind: 'all' };
  return managedScope(caller);
}

export function scopeIncludes(scope: OrganisationScope, organisationId: string): boolean {
  return scope.kind === 'all' || scope.organisationIds.includes(organisationId);
}

/** SQL fragment and parameter for "organisation_id is in scope", for hand-written queries. */
export function scopeCondition(scope: OrganisationScope, column: string, paramIndex: number): { sql: string; params: unknown[] } {
  if (scope.kind === 'all') return { sql: 'true', params: [] };
  return { sql: `${column} = any($${paramIndex}::uuid[])`, params: [scope.organisationIds] };
}

/** Whether the caller (a script, such as the SCORM player) would rather have JSON than a page. */
export function asksForJson(req: Request): boolean {
  return req.accepts(['html', 'json']) === 'json';
}

export function requireSignIn(req: Request, res: Response, next: NextFunction): void {
  if (req.caller) return next();
  if (req.path.startsWith('/api/') || req.baseUrl.startsWith('/api/')) {
    return next(new HttpError(401, 'Sign in or send an API token (Authorization: Bearer <token>).'));
  }
  // A script must be told, not sent to a sign-in page its request would quietly follow and take for success.
  if (asksForJson(req)) return next(new HttpError(401, 'You are signed out. Sign in again to go on.'));
  res.redirect(`/sign-in?returnTo=${encodeURIComponent(req.originalUrl)}`);
}

/** What a permission is: the roles that hold it. */
export type Permission = readonly Role[];

/**
 * Who may do what, in the users' words: every route, navigation entry and
 * page that depends on someone's roles names one of these, so the reader sees
 * the intent and a change of who may do something is made in one place. The
 * access matrix (test/security/access-matrix.test.ts) checks every route
 * against what each role should get. A lead's permissions cover their own
 * organisations only: the stores take managedScope(caller).
 */
export const can = {
  /** The partnership's own set-up: the framework, organisations, accounts and roles, sign-in, settings, the audit log, the outbox. */
  administerPartnership: ['partnership-admin'],
  /** Courses and their e-learning: create and edit them, import packages, evaluation settings, review in-house courses. */
  manageCourses: ['partnership-admin'],
  /** People's records: staff lists and imports, invitations, evidence, certificates, passports, reminders, bookings, subject access. */
  manageStaff: ['org-lead', 'partnership-admin'],
  /** An organisation's own details: its settings and its declared headcount. */
  manageOrganisation: ['org-lead', 'partnership-admin'],
  /** An organisation's compliance dashboard, its CSVs and its self-assessment. */
  viewOrganisationCompliance: ['org-lead', 'partnership-admin'],
  /** Face-to-face sessions: create them and take the register. */
  runTrainingSessions: ['trainer', 'partnership-admin'],
  /** Sign off competencies shown in training, and record completions of an in-house course. */
  recordTraining: ['org-lead', 'trainer', 'partnership-admin'],
  /** A course's progress report. */
  viewCourseReports: ['org-lead', 'trainer', 'partnership-admin'],
  /** Put forward the organisation's own course to be recognised. */
  proposeInHouseCourses: ['org-lead'],
  /** The board's figures, reports and evaluation results. */
  viewBoard: ['board-member', 'partnership-admin'],
} as const satisfies Record<string, Permission>;

/** Whether the caller holds the permission. */
export function may(caller: Caller | undefined, permission: Permission): boolean {
  return hasRole(caller, ...permission);
}

/**
 * Permission on the route line: `router.get(path, allow(can.manageStaff), handler)`;
 * `allow()` lets in anyone signed in.
 */
export function allow(permission?: Permission): RequestHandler {
  return (req, res, next) => {
    if (!req.caller) return requireSignIn(req, res, next);
    if (!permission || may(req.caller, permission)) return next();
    next(new HttpError(403, 'You do not have permission to see this page.'));
  };
}

export function caller(req: Request): Caller {
  if (!req.caller) throw new HttpError(401, 'You need to sign in.');
  return req.caller;
}
