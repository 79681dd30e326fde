import type { Pool, PoolClient } from 'pg';
import { londonToday } from '../../server/london';

export interface Licence {
  id?: string;
  /** 'YYYY-MM-DD', first day the licence covers. */
  startsOn: string;
  /** 'YYYY-MM-DD', last day the licence covers. */
  endsOn: string;
  seats: number;
}

export type LicenceStatus = { status: 'active'; licence: Licence } | { status: 'lapsed'; licence: Licence } | { status: 'none'; upcoming?: Licence };

/**
 * Whether an out-of-area organisation holds a licence on `today` ('YYYY-MM-DD'):
 * active when one covers the day (the latest-ending one is reported), lapsed
 * when every licence has ended, none when there has never been one in force
 * (a licence that starts later is reported as upcoming).
 */
export function licenceStatus(licences: Licence[], today: string): LicenceStatus {
  const byEnd = [...licences].sort((a, b) => b.endsOn.localeCompare(a.endsOn));
  const active = byEnd.find((l) => l.startsOn <= today && today <= l.endsOn);
  if (active) return { status: 'active', licence: active };
  const ended = byEnd.find((l) => l.endsOn < today);
  if (ended) return { status: 'lapsed', licence: ended };
  const upcoming = [...licences].sort((a, b) => a.startsOn.localeCompare(b.startsOn)).find((l) => l.startsOn > today);
  return upcoming ? { status: 'none', upcoming } : { status: 'none' };
}

// A licence ends at midnight UK time, not UTC.
export { londonToday };

export async function licencesOf(db: Pool | PoolClient, organisationId: string): Promise<Licence[]> {
  const { rows } = await db.query<{ id: string; starts_on: string; ends_on: string; seats: number }>(
    `select id, to_char(starts_on, 'YYYY-MM-DD') as starts_on, to_char(ends_on, 'YYYY-MM-DD') as ends_on, seats
       from organisation_licences where organisation_id = $1 order by starts_on desc`,
    [organisationId],
  );
  return rows.map((r) => ({ id: r.id, startsOn: r.starts_on, endsOn: r.ends_on, seats: r.seats }));
}

/**
 * May staff of this organisation start new e-learning today? Inside the
 * partnership's area always (the e-learning is free there); outside it only
 * while a licence is in force. Records already made are never affected.
 * `today` is a 'YYYY-MM-DD' day, or a moment taken as its day in London.
 */
export async function canLaunchElearning(
  pool: Pool | PoolClient,
  organisationId: string,
  today: string | Date = londonToday(),
): Promise<{ allowed: boolean; reason?: string }> {
  const day = typeof today === 'string' ? today : londonToday(today);
  const { rows } = await pool.query<{ in_area: boolean; name: string }>('select in_area, name from organisations where id = $1', [organisationId]);
  const org = rows[0];
  if (!org) return { allowed: false, reason: 'Your organisation is not a member of the partnership.' };
  if (org.in_area) return { allowed: true };
  const status = licenceStatus(await licencesOf(pool, organisationId), day);
  if (status.status === 'active') return { allowed: true };
  if (status.status === 'lapsed') {
    return {
      allowed: false,
      reason: `${org.name}'s licence for the e-learning ended on ${status.licence.endsOn}. Your records are kept; ask your organisation's lead to renew the licence.`,
    };
  }
  return {
    allowed: false,
    reason: `${org.name} works outside the partnership's area and does not hold a licence for the e-learning. Ask your organisation's lead.`,
  };
}
