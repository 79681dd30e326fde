import { defineModule } from '../../server/module';
import { ssoRoutes } from './routes';
import { REQUEST_EXPIRY_MS } from './saml';
import { pruneRequestCache } from './store';

/** SAML single sign-on, one identity provider per organisation. */
export default defineModule({
  name: 'sso',
  dependsOn: ['organisations', 'staff'],
  routes: ssoRoutes,
  // The IdP posts the SAML response from its own site: there is no session token to send.
  csrfExempt: [/^\/auth\/saml\/[a-z0-9-]+\/acs$/],
  nav: [{ label: 'Single sign-on', href: '/admin/sso', roles: ['partnership-admin'], order: 90 }],
  async jobs(ctx, jobs) {
    jobs.define('sso:prune', async () => {
      await pruneRequestCache(ctx.database.pool, REQUEST_EXPIRY_MS);
    });
    await jobs.every('1 hour', 'sso:prune');
  },
});
