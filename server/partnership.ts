export interface SupportLink {
  name: string;
  url: string;
  description?: string;
}

export interface PartnershipInfo {
  name: string;
  areaName: string;
  serviceName: string;
  supportLinks: SupportLink[];
  /** The partnership's own local services only (supportLinks adds the national ones after them). */
  localSupportLinks: SupportLink[];
  /** Where the quick-exit control takes a learner (modules/safety). */
  exitUrl: string;
  smallNumberThreshold: number;
}

// National services every partnership page points to, before a partnership adds its own.
export const NATIONAL_SUPPORT: SupportLink[] = [
  { name: 'National Domestic Abuse Helpline (Refuge)', url: 'https://www.nationaldahelpline.org.uk/', description: '0808 2000 247, free, 24 hours' },
  { name: "Men's Advice Line", url: 'https://mensadviceline.org.uk/', description: '0808 8010 327' },
  { name: 'Galop (LGBT+ domestic abuse)', url: 'https://galop.org.uk/', description: '0800 999 5428' },
  { name: 'Karma Nirvana (honour-based abuse and forced marriage)', url: 'https://karmanirvana.org.uk/', description: '0800 5999 247' },
  { name: 'Respect Phoneline (if you are worried about your own behaviour)', url: 'https://respectphoneline.org.uk/', description: '0808 8024 040' },
];

const DEFAULT: PartnershipInfo = {
  name: 'Domestic Abuse Partnership',
  areaName: 'local',
  serviceName: 'Domestic abuse training',
  supportLinks: NATIONAL_SUPPORT,
  localSupportLinks: [],
  exitUrl: 'https://www.bbc.co.uk/weather',
  smallNumberThreshold: 5,
};

/**
 * What modules say of the partnership for every page (FeatureModule.siteSettings):
 * the partnership module its name, area, local services and small-number
 * threshold, the safety module where the quick exit goes.
 */
export interface SiteSettings {
  name: string;
  areaName: string;
  localSupportLinks: SupportLink[];
  smallNumberThreshold: number;
  exitUrl: string;
}

/** The partnership's name and links change rarely; read them at most every few seconds. */
export function createPartnershipCache(load: () => Promise<Partial<SiteSettings>>, ttlMs = 5000) {
  let cached: { at: number; info: PartnershipInfo } | undefined;
  return {
    async get(): Promise<PartnershipInfo> {
      if (cached && Date.now() - cached.at < ttlMs) return cached.info;
      const settings = await load();
      // Nothing is shown of a partnership that has not been named yet: the defaults stand.
      const info: PartnershipInfo =
        settings.name !== undefined
          ? {
              ...DEFAULT,
              ...settings,
              name: settings.name,
              supportLinks: [...(settings.localSupportLinks ?? []), ...NATIONAL_SUPPORT],
              localSupportLinks: settings.localSupportLinks ?? [],
            }
          : DEFAULT;
      cached = { at: Date.now(), info };
      return info;
    },
    forget() {
      cached = undefined;
    },
    fallback: DEFAULT,
  };
}
