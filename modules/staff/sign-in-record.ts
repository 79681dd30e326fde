import type { PoolClient } from 'pg';
import { defaultMappings, groupForJobTitle } from './mapping';

/** How a job title finds its group (tests give their own). */
export type GroupLookup = (client: PoolClient, organisationId: string, jobTitle: string) => Promise<{ group: number; source: string } | null>;

/**
 * The group for a job title by the staff module's rules: the organisation's
 * own mapping, then the partnership's, else null ("unmapped: for the
 * organisational lead to map"). Never a guess.
 */
export const mappedGroup: GroupLookup = async (client, organisationId, jobTitle) => {
  const { rows } = await client.query<{ organisation_id: string | null; job_title_key: string; group_number: number }>(
    'select organisation_id, job_title_key, group_number from job_role_mappings where organisation_id is null or organisation_id = $1',
    [organisationId],
  );
  const own = rows.filter((r) => r.organisation_id).map((r) => ({ key: r.job_title_key, group: r.group_number }));
  let partnership = rows.filter((r) => !r.organisation_id).map((r) => ({ key: r.job_title_key, group: r.group_number }));
  // Until the partnership has saved its own table, the framework's default titles apply.
  if (partnership.length === 0) partnership = defaultMappings([]).map((m) => ({ key: m.key, group: m.group }));
  const decision = groupForJobTitle(jobTitle, partnership, own);
  return 'group' in decision ? { group: decision.group, source: decision.source } : null;
};

/** Who the organisation's identity provider says signed in, as far as their staff record goes. */
export interface SignedInPerson {
  name: string;
  jobTitle: string;
  team: string;
  staffNumber: string | null;
}

/**
 * The staff record of someone who signed in with their organisation's single
 * sign-on, created or brought up to date from what the identity provider
 * says, in the caller's transaction: the record already linked to the account,
 * else one without an account with the same address or staff number, else a
 * new one, placed in a group by its job title (and the group history kept).
 */
export async function provisionStaffRecord(
  client: PoolClient,
  input: { organisationId: string; userId: string; email: string; person: SignedInPerson; lookupGroup: GroupLookup },
): Promise<{ staffId: string; created: boolean }> {
  const { organisationId, userId, email, person, lookupGroup } = input;
  const staff = await client.query<{ id: string; job_title: string; group_number: number | null; group_source: string | null }>(
    `select id, job_title, group_number, group_source from staff
     where organisation_id = $1
       -- Someone else's staff record (one with an account) is never taken over by a matching email or staff number.
       and (user_id = $2 or (user_id is null and (lower(email) = $3 or ($4::text is not null and staff_number = $4::text))))
     order by (user_id = $2) desc nulls last limit 1 for update`,
    [organisationId, userId, email, person.staffNumber],
  );
  const row = staff.rows[0];
  if (!row) {
    const decision = person.jobTitle ? await lookupGroup(client, organisationId, person.jobTitle) : null;
    const group = decision?.group ?? null;
    // A staff number already on someone else's record (who has an account) is not taken: the new record goes without one rather than the sign-in failing.
    const numberTaken =
      person.staffNumber !== null &&
      (await client.query('select 1 from staff where organisation_id = $1 and staff_number = $2', [organisationId, person.staffNumber])).rows.length > 0;
    const { rows } = await client.query<{ id: string }>(
      `insert into staff (organisation_id, user_id, name, email, job_title, team, staff_number, start_date, group_number, group_source)
       values ($1, $2, $3, $4, $5, $6, $7, current_date, $8, $9) returning id`,
      [organisationId, userId, person.name, email, person.jobTitle, person.team, numberTaken ? null : person.staffNumber, group, decision?.source ?? null],
    );
    await client.query(`insert into staff_group_history (staff_id, group_number, previous_group_number, source, reason) values ($1, $2, null, 'sso', $3)`, [
      rows[0].id,
      group,
      `first sign-in with single sign-on as "${person.jobTitle}"`,
    ]);
    return { staffId: rows[0].id, created: true };
  }

  let group = row.group_number;
  let source = row.group_source;
  // A lead's decision about someone's group outlives a new job title from the IdP.
  if (person.jobTitle && person.jobTitle !== row.job_title && row.group_source !== 'lead-override') {
    const decision = await lookupGroup(client, organisationId, person.jobTitle);
    const mapped = decision?.group ?? null;
    if (mapped !== row.group_number) {
      group = mapped;
      source = decision?.source ?? null;
      await client.query(`insert into staff_group_history (staff_id, group_number, previous_group_number, source, reason) values ($1, $2, $3, 'sso', $4)`, [
        row.id,
        group,
        row.group_number,
        `job title changed from "${row.job_title}" to "${person.jobTitle}"`,
      ]);
    }
  }
  await client.query(
    `update staff set user_id = $2, name = $3, email = $4, job_title = coalesce(nullif($5, ''), job_title), team = coalesce(nullif($6, ''), team),
       -- A number already on another record of the organisation is not taken from it (nor does the sign-in fail).
       staff_number = case when $7::text is null or exists (select 1 from staff o where o.organisation_id = staff.organisation_id and o.staff_number = $7::text and o.id <> staff.id)
                           then staff_number else $7::text end,
       group_number = $8, group_source = $9, updated_at = now()
     where id = $1`,
    [row.id, userId, person.name, email, person.jobTitle, person.team, person.staffNumber, group, source],
  );
  return { staffId: row.id, created: false };
}
