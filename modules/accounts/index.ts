import { defineModule } from '../../server/module';
import { accountRoutes } from './routes';

/** Local accounts: password reset, invitations, people and roles, and the audit log. */
export default defineModule({
  name: 'accounts',
  dependsOn: ['organisations', 'staff'],
  routes: accountRoutes,
  nav: [
    { label: 'Invitations', href: '/invitations', roles: ['org-lead', 'partnership-admin'], order: 85 },
    { label: 'People and roles', href: '/admin/users', roles: ['partnership-admin'], order: 86 },
    { label: 'Audit log', href: '/admin/audit', roles: ['partnership-admin'], order: 95 },
  ],
  async jobs(ctx, jobs) {
    jobs.define('accounts:prune-tokens', async () => {
      await ctx.database.pool.query(`delete from password_reset_tokens where expires_at < now() - interval '7 days'`);
    });
    await jobs.every('1 day', 'accounts:prune-tokens');
  },
});
