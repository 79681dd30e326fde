import type { Request, RequestHandler } from 'express';
import { allow, type Caller, can, hasRole, may, type Permission, ROLES } from './access';
import { HUB_TOPICS, type HubTopic, type NavEntry } from './module';

export const HUB_PATH = '/admin';

/**
 * The navigation every page shows and the admin hub behind it, both composed
 * from the modules' `nav` declarations. The row holds each role's daily pages
 * and one link to the hub, which lists the rest by topic, each with what it is for.
 */
export function createNavigation(declared: NavEntry[]) {
  const entries = [...declared].sort((a, b) => (a.order ?? 50) - (b.order ?? 50));
  const row = entries.filter((n) => !n.hub && !n.account);
  const account = entries.filter((n) => n.account);
  const hub = entries.filter((n) => n.hub);
  const visible = (caller: Caller, n: NavEntry) => !n.roles || hasRole(caller, ...n.roles);
  const hubFor = (caller: Caller) => hub.filter((n) => visible(caller, n));
  // A lead manages their organisation; only the partnership's administrators administer the service.
  const hubLabel = (caller: Caller) => (may(caller, can.administerPartnership) ? 'Admin' : 'Manage');
  const hubRoles: Permission = hub.some((n) => !n.roles) ? ROLES : [...new Set(hub.flatMap((n) => n.roles ?? []))];

  return {
    /** The navigation row for this request, with the current page marked. */
    rowFor(req: Request): { label: string; href: string; active: boolean }[] {
      const caller = req.caller;
      if (!caller) return [];
      const isAt = (href: string) => (href === '/' ? req.path === '/' : req.path === href || req.path.startsWith(`${href}/`));
      const items = row.filter((n) => visible(caller, n)).map((n) => ({ label: n.label, href: n.href, active: isAt(n.href) }));
      const mine = hubFor(caller);
      if (!mine.length) return items;
      const inHub = req.path === HUB_PATH || (!items.some((i) => i.active) && mine.some((n) => isAt(n.href)));
      return [...items, { label: hubLabel(caller), href: HUB_PATH, active: inHub }];
    },

    /** Links to the caller's own settings, beside their name. */
    accountFor(req: Request): { label: string; href: string }[] {
      const caller = req.caller;
      return caller ? account.filter((n) => visible(caller, n)).map((n) => ({ label: n.label, href: n.href })) : [];
    },

    /** GET /admin: the caller's hub entries grouped by topic. */
    hubPage(): RequestHandler[] {
      return [
        allow(hubRoles),
        (req, res) => {
          const caller = req.caller!;
          const mine = hubFor(caller);
          const topics = (Object.keys(HUB_TOPICS) as HubTopic[])
            .map((topic) => ({ heading: HUB_TOPICS[topic], id: `topic-${topic}`, entries: mine.filter((n) => n.hub!.topic === topic) }))
            .filter((t) => t.entries.length);
          const admin = may(caller, can.administerPartnership);
          const title = admin ? 'Administration' : 'Manage your organisation';
          res.render('pages/hub', { title, topics, admin });
        },
      ];
    },
  };
}
