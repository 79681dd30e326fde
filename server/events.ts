import type { PoolClient } from 'pg';
import type { Logger } from './logger';

/**
 * Things that happen in one module that others act on, named in the users'
 * words. Handlers run in the same transaction as the change when a client is
 * given, so a certificate is issued with the completion or not at all.
 */
export interface ProductEvents {
  /** A person finished a course (e-learning passed/completed, or attended a face-to-face session). */
  'course.completed': {
    client: PoolClient;
    staffId: string;
    courseId: string;
    achievedOn: string;
    source: 'elearning' | 'face-to-face' | 'external';
    sourceRef: string;
    evidenceIds: string[];
  };
  /** New evidence was recorded for a person (any source). */
  'evidence.recorded': { client: PoolClient; staffId: string; evidenceIds: string[] };
  /** A person rated their confidence after completing a course that requires evaluation (its certificate can now be issued). */
  'evaluation.completed': { client: PoolClient; staffId: string; courseId: string; completedOn: string };
  /** A person's staff group changed. */
  'staff.group-changed': { client: PoolClient; staffId: string; from: number | null; to: number | null };
  /** A staff import was applied: many people of one organisation added, changed or marked as leavers at once. */
  'staff.imported': { client: PoolClient; organisationId: string; changed: number };
  /** A new framework version is in force: its staff groups, each with its example job roles. */
  'framework.published': { client: PoolClient; version: number; groups: { number: number; exampleRoles: string[] }[]; publishedBy: string };
}

type Handler<K extends keyof ProductEvents> = (payload: ProductEvents[K]) => Promise<void>;

export interface EventBus {
  on<K extends keyof ProductEvents>(name: K, handler: Handler<K>): void;
  /** Runs every handler in turn; a failing handler fails the emit (and so the caller's transaction). */
  emit<K extends keyof ProductEvents>(name: K, payload: ProductEvents[K]): Promise<void>;
}

export function createEventBus(logger: Logger): EventBus {
  const handlers = new Map<string, Handler<never>[]>();
  return {
    on(name, handler) {
      handlers.set(name, [...(handlers.get(name) ?? []), handler as Handler<never>]);
    },
    async emit(name, payload) {
      for (const handler of handlers.get(name) ?? []) {
        await (handler as Handler<typeof name>)(payload);
      }
      logger.debug({ event: name }, 'event handled');
    },
  };
}
