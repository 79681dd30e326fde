import fs from 'node:fs';
import path from 'node:path';
import type { RequestHandler, Router } from 'express';
import type { Config } from './config';
import type { Database } from './db';
import type { Logger } from './logger';
import type { Role } from './access';
import type { Jobs } from './jobs';
import type { Mailer } from './mail';
import type { EventBus } from './events';
import type { Metrics } from './metrics';
import type { SiteSettings } from './partnership';

/**
 * What a feature module is handed: explicit dependencies, no globals.
 * A module builds its own stores and services from these.
 */
export interface ModuleContext {
  config: Config;
  database: Database;
  logger: Logger;
  mailer: Mailer;
  /** Product events shared by every module (course completed, evidence recorded ...). */
  events: EventBus;
  /**
   * Counters and histograms for Prometheus (/metrics), e.g. the SCORM module's
   * commits by outcome. Names start with lms_; labels take a few fixed values, never ids.
   */
  metrics: Metrics;
  /** Absolute path to one of this module's views, for res.render. */
  view(name: string): string;
}

/** The topics of the admin hub (/admin), in the order the page shows them. */
export const HUB_TOPICS = {
  people: 'People',
  learning: 'Learning',
  'sign-in': 'Sign-in',
  partnership: 'Partnership',
  data: 'Data',
} as const;
export type HubTopic = keyof typeof HUB_TOPICS;

export interface NavEntry {
  label: string;
  href: string;
  /** Shown to callers holding any of these roles; omit for every signed-in person. */
  roles?: readonly Role[];
  /** Lower comes first in the navigation (and within a hub topic). */
  order?: number;
  /**
   * Puts the entry on the admin hub, under a topic with a one-line description,
   * instead of the navigation row: the row keeps only each role's daily pages,
   * so it fits one line. To be in the row for some roles and on the hub for
   * others, declare two entries.
   */
  hub?: { topic: HubTopic; description: string };
  /** Puts the entry beside "Signed in as": settings of the person's own account, not a place they work in. */
  account?: true;
}

export interface CliCommand {
  summary: string;
  usage: string;
  run(ctx: ModuleContext, args: string[]): Promise<void>;
}

/**
 * One feature of the product, declared in modules/<name>/index.ts.
 * The server composes every folder under modules/ from these declarations;
 * adding a module touches no other module.
 */
export interface FeatureModule {
  name: string;
  /** Modules whose tables or services this one uses; they load and migrate first. */
  dependsOn?: string[];
  /** Pages, mounted at the site root. */
  routes?(ctx: ModuleContext): Router;
  /**
   * A rule of this module on another module's pages, mounted after sign-in and
   * before every module's routes, so it can send a request elsewhere before
   * that page answers (evaluation asks for a confidence rating before the
   * e-learning player starts a course) without the page's module knowing of it.
   */
  routesBeforeOthers?(ctx: ModuleContext): Router;
  /**
   * Routes for a busy endpoint that signs the caller in without the session
   * (a signed token in a header). They are mounted first, before request
   * logging, security headers, sessions and CSRF checks, so they must set any
   * headers they need themselves; errors they pass on are still logged.
   * Whatever they pass on with next() goes through all of those and the
   * routes below, as any other request does.
   */
  routesBeforeSession?(ctx: ModuleContext): RequestHandler;
  /**
   * Mounted first of all, before every module's routesBeforeSession: for a
   * module that serves e-learning of its own on the content origin (cmi5).
   * It answers only requests to the content origin under its own paths and
   * passes everything else on; what reaches the SCORM module's content site
   * unanswered is refused there, so nothing else of the product ever answers
   * on that origin. The same rules as routesBeforeSession apply.
   */
  routesOnContentOrigin?(ctx: ModuleContext): RequestHandler;
  /** JSON endpoints, mounted under /api/v1 (bearer token or session). */
  api?(ctx: ModuleContext): Router;
  /** Paths that accept POSTs without a CSRF token (an IdP posting a SAML response). */
  csrfExempt?: RegExp[];
  /** Upload forms (multipart): their routes check the form's token themselves with `checkUploadToken`. */
  uploads?: RegExp[];
  jobs?(ctx: ModuleContext, jobs: Jobs): void | Promise<void>;
  nav?: NavEntry[];
  cli?: Record<string, CliCommand>;
  /** Subscribes to product events; called once per process, before any route or job runs. */
  events?(ctx: ModuleContext): void;
  /** This module's part of what every page shows of the partnership (its name, support links, where the quick exit goes). */
  siteSettings?(ctx: ModuleContext): Promise<Partial<SiteSettings>>;
  /** Organisations whose staff sign in another way (their own single sign-on), offered on the sign-in page. */
  signInChoices?(ctx: ModuleContext): Promise<{ slug: string; name: string }[]>;
  /** Runs after migrations on every start (e.g. load the default framework when none exists). */
  onStart?(ctx: ModuleContext): Promise<void>;
  /**
   * Whether this module holds anything someone entered (an organisation, say):
   * the demo partnership is loaded on a start only when no module does.
   */
  holdsData?(ctx: ModuleContext): Promise<boolean>;
  /** Adds this module's part of the demo partnership; must be safe to run twice. */
  seedDemo?(ctx: ModuleContext): Promise<void>;
}

export interface LoadedModule {
  definition: FeatureModule;
  dir: string;
  migrationsDir: string;
  viewsDir: string;
  publicDir: string;
}

export function defineModule(definition: FeatureModule): FeatureModule {
  return definition;
}

export const MODULES_DIR = path.resolve(__dirname, '..', 'modules');

/** Loads every modules/<name>/index.ts and orders them so dependencies come first. */
export function loadModules(modulesDir = MODULES_DIR): LoadedModule[] {
  const found = new Map<string, LoadedModule>();
  for (const entry of fs.readdirSync(modulesDir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const dir = path.join(modulesDir, entry.name);
    const index = ['index.ts', 'index.js'].map((f) => path.join(dir, f)).find((f) => fs.existsSync(f));
    if (!index) continue;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const exported = require(index) as { default?: FeatureModule };
    const definition = exported.default;
    if (!definition?.name) throw new Error(`modules/${entry.name}/index.ts must export default defineModule({ name, ... })`);
    found.set(definition.name, {
      definition,
      dir,
      migrationsDir: path.join(dir, 'migrations'),
      viewsDir: path.join(dir, 'views'),
      publicDir: path.join(dir, 'public'),
    });
  }
  const ordered: LoadedModule[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, from?: string) => {
    const mod = found.get(name);
    if (!mod) throw new Error(`Module "${from}" depends on "${name}", which does not exist under modules/`);
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') throw new Error(`Modules depend on each other in a circle through "${name}"`);
    state.set(name, 'visiting');
    for (const dep of mod.definition.dependsOn ?? []) visit(dep, name);
    state.set(name, 'done');
    ordered.push(mod);
  };
  for (const name of [...found.keys()].sort()) visit(name);
  return ordered;
}
