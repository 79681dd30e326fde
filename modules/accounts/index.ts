import { can } from '../../server/access';
import { findUserByEmail } from '../../server/auth/users';
import { readFlags, required } from '../../server/cli-args';
import { UsageError } from '../../server/errors';
import { defineModule } from '../../server/module';
import { accountRoutes } from './routes';
import { createResetToken, RESET_LINK_MINUTES } from './store';

/** Local accounts: password reset, invitations, people and roles, and the audit log. */
export default defineModule({
  name: 'accounts',
  dependsOn: ['organisations', 'staff'],
  routes: accountRoutes,
  nav: [
    {
      label: 'Invitations',
      href: '/invitations',
      roles: can.manageStaff,
      order: 85,
      hub: { topic: 'sign-in', description: 'Invite people to sign in, and see who has not accepted yet' },
    },
    {
      label: 'People and roles',
      href: '/admin/users',
      roles: can.administerPartnership,
      order: 86,
      hub: { topic: 'sign-in', description: 'Everyone who can sign in, their roles, and their API tokens' },
    },
    {
      label: 'Audit log',
      href: '/admin/audit',
      roles: can.administerPartnership,
      order: 95,
      hub: { topic: 'data', description: 'Who changed what and when, including sign-ins refused' },
    },
    { label: 'API tokens', href: '/account/api-tokens', order: 96, account: true },
  ],
  cli: {
    'user:reset-link': {
      summary: 'Print a single-use password reset link for a user (when email is not set up)',
      usage: 'npm run cli -- user:reset-link --email E',
      async run(ctx, args) {
        const USAGE = 'npm run cli -- user:reset-link --email E';
        const email = required(readFlags(args, { email: { type: 'string' } }, USAGE).values.email, 'email', USAGE);
        const user = await findUserByEmail(ctx.database.pool, email);
        if (!user || user.disabled) throw new UsageError(`No active user with the email ${email}.`);
        const token = await createResetToken(ctx.database.pool, user.id);
        if (!token) throw new UsageError('Too many reset links for this account in the last hour; try again later.');
        console.log(`${ctx.config.publicUrl}/password-reset/${token}\n(works once, for ${RESET_LINK_MINUTES} minutes)`);
      },
    },
  },
  async jobs(ctx, jobs) {
    jobs.define('accounts:prune-tokens', async () => {
      await ctx.database.pool.query(`delete from password_reset_tokens where expires_at < now() - interval '7 days'`);
      // Strangers' unconfirmed registrations (names, addresses, password hashes) and failed sign-ins are kept no longer than needed.
      await ctx.database.pool.query(`delete from registration_requests where expires_at < now() - interval '7 days'`);
      await ctx.database.pool.query(`delete from sign_in_failures where at < now() - interval '1 day'`);
    });
    await jobs.every('1 day', 'accounts:prune-tokens');
  },
});
