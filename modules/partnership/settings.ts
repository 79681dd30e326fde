import fs from 'node:fs';
import type { Pool } from 'pg';
import { UsageError } from '../../server/errors';
import type { SiteSettings, SupportLink } from '../../server/partnership';

export interface PartnershipSettings {
  name?: string;
  areaName?: string;
  /** Path to a PNG file, at most 1 MB. */
  logoFile?: string;
  supportLinks?: { name: string; url: string; description?: string }[];
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const MAX_LOGO_BYTES = 1024 * 1024;

export class PartnershipSettingsError extends UsageError {}

/** Reads and checks a logo file: a PNG of at most 1 MB, or a clear reason why not. */
export function readLogo(file: string): Buffer {
  if (!fs.existsSync(file)) throw new PartnershipSettingsError(`No file at ${file}.`);
  const bytes = fs.readFileSync(file);
  if (bytes.length > MAX_LOGO_BYTES) throw new PartnershipSettingsError('The logo must be 1 MB or smaller.');
  if (!bytes.subarray(0, 8).equals(PNG_SIGNATURE)) throw new PartnershipSettingsError('The logo must be a PNG image.');
  return bytes;
}

/**
 * Sets the partnership's name, area, support links and logo. The first call on
 * a new installation creates the partnership; later calls change only what is given.
 */
export async function setPartnership(pool: Pool, settings: PartnershipSettings): Promise<void> {
  const logo = settings.logoFile ? readLogo(settings.logoFile) : undefined;
  for (const link of settings.supportLinks ?? []) {
    if (!/^https?:\/\/\S+$/.test(link.url)) throw new PartnershipSettingsError(`"${link.url}" is not a web address (it must start with https://).`);
  }
  const { rows } = await pool.query<{ n: number }>('select count(*)::int as n from partnership');
  if (rows[0].n === 0) {
    if (!settings.name || !settings.areaName) throw new PartnershipSettingsError('The first time, give both --name and --area.');
    await pool.query('insert into partnership (id, name, area_name) values (1, $1, $2)', [settings.name, settings.areaName]);
  }
  await pool.query(
    `update partnership set name = coalesce($1, name), area_name = coalesce($2, area_name),
       support_links = coalesce($3, support_links), logo_png = coalesce($4, logo_png), updated_at = now() where id = 1`,
    [settings.name ?? null, settings.areaName ?? null, settings.supportLinks ? JSON.stringify(settings.supportLinks) : null, logo ?? null],
  );
}

/** The partnership's name, or undefined before anyone has set it (each caller has its own wording for that). */
export async function partnershipName(db: Pick<Pool, 'query'>): Promise<string | undefined> {
  const { rows } = await db.query<{ name: string }>('select name from partnership where id = 1');
  return rows[0]?.name;
}

export async function partnershipLogo(pool: Pool): Promise<Buffer | undefined> {
  const { rows } = await pool.query<{ logo_png: Buffer | null }>('select logo_png from partnership where id = 1');
  return rows[0]?.logo_png ?? undefined;
}

/** What every page shows of the partnership (FeatureModule.siteSettings); nothing before it has been named. */
export async function partnershipSiteSettings(db: Pick<Pool, 'query'>): Promise<Partial<SiteSettings>> {
  const { rows } = await db.query<{ name: string; area_name: string; support_links: SupportLink[]; small_number_threshold: number }>(
    'select name, area_name, support_links, small_number_threshold from partnership where id = 1',
  );
  const row = rows[0];
  return row ? { name: row.name, areaName: row.area_name, localSupportLinks: row.support_links, smallNumberThreshold: row.small_number_threshold } : {};
}
