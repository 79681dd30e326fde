import type { Express } from 'express';

/**
 * Every `METHOD /path` the running app answers, read from Express's own route
 * table (API routes under /api/v1), so the security suites cover routes added
 * after they were written.
 */
export function routeTable(app: Express): string[] {
  const out: string[] = [];
  // biome-ignore lint/suspicious/noExplicitAny: Express keeps its route table untyped
  const walk = (stack: any[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const method of Object.keys(layer.route.methods)) out.push(`${method.toUpperCase()} ${prefix}${layer.route.path}`);
      } else if (layer.handle?.stack) {
        walk(layer.handle.stack, prefix + (layer.match('/api/v1/x') && !layer.match('/x') ? '/api/v1' : ''));
      }
    }
  };
  // biome-ignore lint/suspicious/noExplicitAny: as above
  walk((app as any).router.stack, '');
  return [...new Set(out)];
}

export const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The parameter names in a route path (`:id`, `*path`). */
export function routeParams(route: string): string[] {
  return [...route.split(' ')[1].matchAll(/[:*](\w+)/g)].map((m) => m[1]);
}
