import { readFlags } from '../../server/cli-args';
import { defineModule } from '../../server/module';
import { seedDemoPartnershipSettings } from './demo';
import { PartnershipSettingsError, partnershipSiteSettings, setPartnership } from './settings';

const USAGE = 'npm run cli -- partnership:set [--name NAME] [--area AREA] [--logo FILE.png] [--support-link "Name|https://url|Description"]...';

export default defineModule({
  name: 'partnership',
  seedDemo: seedDemoPartnershipSettings,
  siteSettings: (ctx) => partnershipSiteSettings(ctx.database.pool),
  cli: {
    'partnership:set': {
      summary: "Set the partnership's name, area, logo (PNG) and local support links",
      usage: USAGE,
      async run(ctx, args) {
        const { values } = readFlags(
          args,
          { name: { type: 'string' }, area: { type: 'string' }, logo: { type: 'string' }, 'support-link': { type: 'string', multiple: true } },
          USAGE,
        );
        for (const name of ['name', 'area', 'logo'] as const) {
          if (values[name] === '') throw new PartnershipSettingsError(`--${name} needs a value.`);
        }
        const supportLinks = (values['support-link'] ?? []).map((spec) => {
          const [name, url, description] = spec.split('|').map((p) => p.trim());
          if (!name || !url) throw new PartnershipSettingsError(`A support link is "Name|https://url|Description"; got "${spec}".`);
          return { name, url, ...(description ? { description } : {}) };
        });
        await setPartnership(ctx.database.pool, {
          name: values.name,
          areaName: values.area,
          logoFile: values.logo,
          supportLinks: supportLinks.length ? supportLinks : undefined,
        });
        console.log('Partnership settings saved.');
      },
    },
  },
});
