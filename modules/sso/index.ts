import { can } from '../../server/access';
import { defineModule } from '../../server/module';
import { ssoRoutes } from './routes';
import { REQUEST_EXPIRY_MS } from './saml';
import { prepareNextSpKey, switchToNextSpKey } from './sp-keys';
import { refreshAllMetadata, METADATA_REFRESH_EVERY } from './refresh';
import { createSsoStore, pruneRequestCache } from './store';

/** SAML single sign-on, one identity provider per organisation. */
export default defineModule({
  name: 'sso',
  dependsOn: ['organisations', 'staff'],
  routes: ssoRoutes,
  signInChoices: (ctx) => createSsoStore(ctx.database.pool).enabledOrganisations(),
  // The IdP posts the SAML response from its own site: there is no session token to send.
  // So does a LogoutRequest or LogoutResponse sent by HTTP-POST; its signature (or InResponseTo) is the check.
  uploads: [/^\/admin\/sso\/[a-z0-9-]+\/import$/],
  csrfExempt: [/^\/auth\/saml\/[a-z0-9-]+\/acs$/, /^\/auth\/saml\/[a-z0-9-]+\/slo$/],
  nav: [
    {
      label: 'Single sign-on',
      href: '/admin/sso',
      roles: can.administerPartnership,
      order: 90,
      hub: { topic: 'sign-in', description: 'Let an organisation’s staff sign in with their work account (SAML)' },
    },
  ],
  // The service's own SAML key rollover (README: "Rolling over this service's SAML key").
  cli: {
    'saml:key:prepare': {
      summary: 'SAML: make the next encryption key and publish it beside the current one',
      usage: 'npm run cli -- saml:key:prepare',
      async run(ctx) {
        const key = await prepareNextSpKey(ctx.database.pool);
        console.log(`Next SAML key ${key.id} is published in every organisation's metadata beside the current one.`);
        console.log('When each IdP has refreshed its copy of the metadata, run: npm run cli -- saml:key:switch');
      },
    },
    'saml:key:switch': {
      summary: 'SAML: make the prepared key the current one and stop publishing the old one',
      usage: 'npm run cli -- saml:key:switch',
      async run(ctx) {
        if (!(await switchToNextSpKey(ctx.database.pool))) {
          console.log('There is no prepared key. Run npm run cli -- saml:key:prepare first.');
          process.exitCode = 2;
          return;
        }
        console.log('Switched. The old key still decrypts responses for a day, then is no longer used.');
      },
    },
  },
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
