import { audit } from '../../server/auth/users';
import type { ModuleContext } from '../../server/module';
import { fetchMetadata, MetadataError, parseIdpMetadata } from './metadata';
import { fingerprint, toPem } from './routes';
import type { IdentityProvider, SsoStore } from './store';

/** How often metadata imported from a URL is fetched again. IdPs publish a new certificate weeks before they sign with it. */
export const METADATA_REFRESH_EVERY = '6 hours';

/**
 * Fetches one IdP's metadata again and takes its certificates and endpoints,
 * so a certificate rollover at the IdP needs no administrator. The entity ID
 * never changes this way: metadata for another entity is refused and what is
 * in use is kept, with the reason shown on the settings page.
 */
export async function refreshProviderMetadata(
  ctx: ModuleContext,
  store: SsoStore,
  provider: IdentityProvider,
): Promise<{ changed: boolean; problem?: string }> {
  if (!provider.metadataUrl) return { changed: false };
  const production = ctx.config.env === 'production';
  let md: ReturnType<typeof parseIdpMetadata>;
  try {
    md = parseIdpMetadata(await fetchMetadata(provider.metadataUrl, production), provider.idpEntityId);
  } catch (err) {
    const problem = err instanceof MetadataError ? err.message : `The metadata could not be read (${(err as Error).message}).`;
    await store.refreshedFromMetadata(provider.organisationId, { problem });
    ctx.logger.warn({ organisation: provider.slug, problem }, 'SAML metadata refresh failed; the settings in use are kept');
    return { changed: false, problem };
  }
  const certificates = md.signingCertificates.map(toPem);
  const before = provider.idpCertificates.map(fingerprint).sort();
  const after = certificates.map(fingerprint).sort();
  const idpEntryPoint = md.ssoRedirectUrl ?? provider.idpEntryPoint;
  const changed = before.join() !== after.join() || idpEntryPoint !== provider.idpEntryPoint || md.sloRedirectUrl !== provider.idpLogoutUrl;
  await store.refreshedFromMetadata(provider.organisationId, { idpEntryPoint, idpCertificates: certificates, idpLogoutUrl: md.sloRedirectUrl });
  if (changed) {
    await audit(ctx.database.pool, {
      action: 'sso.metadata-refreshed',
      organisationId: provider.organisationId,
      subjectType: 'organisation',
      subjectId: provider.organisationId,
      detail: {
        metadataUrl: provider.metadataUrl,
        idpEntryPoint,
        idpLogoutUrl: md.sloRedirectUrl,
        certificateFingerprints: after,
        previousCertificateFingerprints: before,
      },
    });
  }
  return { changed };
}

/** The scheduled job: every organisation whose metadata came from a URL, one at a time. */
export async function refreshAllMetadata(ctx: ModuleContext, store: SsoStore): Promise<void> {
  for (const provider of await store.withMetadataUrl()) {
    await refreshProviderMetadata(ctx, store, provider);
  }
}
