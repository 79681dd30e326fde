import { defineModule } from '../../server/module';
import { ssoRoutes } from './routes';
import { REQUEST_EXPIRY_MS } from './saml';
import { refreshAllMetadata, METADATA_REFRESH_EVERY } from './refresh';
import { createSsoStore, pruneRequestCache } from './store';

/** SAML single sign-on, one identity provider per organisation. */
export default defineModule({
  name: 'sso',
  dependsOn: ['organisations', 'staff'],
  routes: ssoRoutes,
  // The IdP posts the SAML response from its own site: there is no session token to send.
  // So does a LogoutRequest or LogoutResponse sent by HTTP-POST; its signature (or InResponseTo) is the check.
  csrfExempt: [/^\/auth\/saml\/[a-z0-9-]+\/acs$/, /^\/auth\/saml\/[a-z0-9-]+\/slo$/],
  nav: [{ label: 'Single sign-on', href: '/admin/sso', roles: ['partnership-admin'], order: 90 }],
  async jobs(ctx, jobs) {
    jobs.define('sso:prune', async () => {
      await pruneRequestCache(ctx.database.pool, REQUEST_EXPIRY_MS);
    });
    await jobs.every('1 hour', 'sso:prune');
    const store = createSsoStore(ctx.database.pool);
    jobs.define('sso:refresh-metadata', async () => {
      await refreshAllMetadata(ctx, store);
    });
    await jobs.every(METADATA_REFRESH_EVERY, 'sso:refresh-metadata');
  },
});
