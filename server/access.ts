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

/** Permission on the route line: `router.get(path, allow('org-lead', 'partnership-admin'), handler)`. */
export function allow(...roles: Role[]): RequestHandler {
  return (req, res, next) => {
    if (!req.caller) return requireSignIn(req, res, next);
    if (roles.length === 0 || hasRole(req.caller, ...roles)) return next();
    next(new HttpError(403, 'You do not have permission to see this page.'));
  };
}

export function caller(req: Request): Caller {
  if (!req.caller) throw new HttpError(401, 'You need to sign in.');
  return req.caller;
}
