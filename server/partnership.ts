import type { Pool } from 'pg';

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

/** The partnership's name and links change rarely; read them at most every few seconds. */
export function createPartnershipCache(pool: Pool, ttlMs = 5000) {
  let cached: { at: number; info: PartnershipInfo } | undefined;
  return {
    async get(): Promise<PartnershipInfo> {
      if (cached && Date.now() - cached.at < ttlMs) return cached.info;
      const { rows } = await pool.query<{ name: string; area_name: string; support_links: SupportLink[]; small_number_threshold: number; exit_url: string }>(
        'select name, area_name, support_links, small_number_threshold, exit_url from partnership where id = 1',
      );
      const row = rows[0];
      const info: PartnershipInfo = row
        ? {
            name: row.name,
            areaName: row.area_name,
            serviceName: 'Domestic abuse training',
            supportLinks: [...row.support_links, ...NATIONAL_SUPPORT],
            localSupportLinks: row.support_links,
            exitUrl: row.exit_url,
            smallNumberThreshold: row.small_number_threshold,
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
