import { defineModule } from '../../server/module';
import { PartnershipSettingsError, setPartnership } from './settings';

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  if (i === -1) return undefined;
  const value = args[i + 1];
  if (!value || value.startsWith('--')) throw new PartnershipSettingsError(`--${name} needs a value.`);
  return value;
}

export default defineModule({
  name: 'partnership',
  cli: {
    'partnership:set': {
      summary: "Set the partnership's name, area, logo (PNG) and local support links",
      usage: 'npm run cli -- partnership:set [--name NAME] [--area AREA] [--logo FILE.png] [--support-link "Name|https://url|Description"]...',
      async run(ctx, args) {
        const supportLinks = args
          .flatMap((a, i) => (a === '--support-link' ? [args[i + 1] ?? ''] : []))
          .map((spec) => {
            const [name, url, description] = spec.split('|').map((p) => p.trim());
            if (!name || !url) throw new PartnershipSettingsError(`A support link is "Name|https://url|Description"; got "${spec}".`);
            return { name, url, ...(description ? { description } : {}) };
          });
        await setPartnership(ctx.database.pool, {
          name: flag(args, 'name'),
          areaName: flag(args, 'area'),
          logoFile: flag(args, 'logo'),
          supportLinks: supportLinks.length ? supportLinks : undefined,
        });
        console.log('Partnership settings saved.');
      },
    },
  },
});
