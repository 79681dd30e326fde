import type { Pool, PoolClient } from 'pg';
import { type OrganisationScope, scopeCondition, scopeIncludes } from '../../server/access';
import { audit } from '../../server/auth/users';
import { forgetInvitationsAndResets } from '../accounts/api';
import { renameCertificatesOf } from '../certificates/api';
import { forgetCmi5Documents } from '../cmi5/api';
import { forgetEvidenceDetails } from '../evidence/api';
import { forgetRemindersOf } from '../reminders/api';
import { forgetScormState, scormStateOf } from '../scorm/api';
import { anonymiseStaffRecord, staffRecordOf } from '../staff/api';
import { ANONYMOUS_NAME, leftOnOrBefore, retentionInForce } from './rules';
import { listTables } from '../../server/db/tables';

type Queryable = Pool | PoolClient;
type Row = Record<string, unknown>;

/** Never exported, even to the person themself: they are keys to accounts, not information about anyone. */
const SECRET_COLUMNS = new Set(['password_hash', 'token_hash', 'token', 'secret', 'code_hash', 'sess']);
/** Tables that hold someone else's view of the session or a copy kept elsewhere in the export. */
const SKIP_TABLES = new Set(['staff', 'users', 'sessions', 'current_evidence']);

export interface SubjectAccess {
  generatedAt: string;
  person: { staffId: string; name: string; organisation: string };
  staffRecord: Row;
  account: Row | null;
  /** Every row in any table that points at this staff record or (for administrators) this person's account, by table. */
  records: Record<string, Row[]>;
  scormState: Row[];
  emails: Row[];
  audit: Row[];
}

/** Every table's columns, from the one listing backup and the partnership export also read (server/db/tables.ts). */
async function columnsByTable(db: Queryable): Promise<Map<string, { name: string; type: string }[]>> {
  return new Map((await listTables(db)).map((t) => [t.name, t.columns.map(({ name, type }) => ({ name, type }))]));
}

function selectList(columns: { name: string; type: string }[]): string {
  return columns
    .filter((c) => !SECRET_COLUMNS.has(c.name))
    .map((c) =>
      c.type === 'bytea'
        ? `case when "${c.name}" is null then null else '(file of ' || octet_length("${c.name}") || ' bytes)' end as "${c.name}"`
        : `"${c.name}"`,
    )
    .join(', ');
}

/**
 * Everything held about one member of staff, for a subject access request.
 * Tables are found by their staff_id and user_id columns, so a module added
 * later is included without changing this function. Leads get what is tied
 * to the staff record in their organisation; administrators also get what is
 * tied to the person's account.
 */
export async function subjectAccess(pool: Pool, scope: OrganisationScope, staffId: string): Promise<SubjectAccess | null> {
  const staff = await staffRecordOf(pool, staffId);
  if (!staff || !scopeIncludes(scope, staff.organisation_id)) return null;
  const tables = await columnsByTable(pool);
  const userId = scope.kind === 'all' ? staff.user_id : null;
  const { rows: accounts } = staff.user_id
    ? await pool.query(`select ${selectList(tables.get('users') ?? [])} from users where id = $1`, [staff.user_id])
    : { rows: [] as Row[] };

  const records: Record<string, Row[]> = {};
  for (const [table, columns] of [...tables].sort(([a], [b]) => a.localeCompare(b))) {
    if (SKIP_TABLES.has(table)) continue;
    const names = new Set(columns.map((c) => c.name));
    const where: string[] = [];
    const params: unknown[] = [];
    if (names.has('staff_id')) {
      params.push(staffId);
      where.push(`staff_id::text = $${params.length}`);
    } else if (names.has('user_id') && userId) {
      params.push(userId);
      where.push(`user_id = $${params.length}`);
    }
    if (!where.length) continue;
    const { rows } = await pool.query(`select ${selectList(columns)} from "${table}" where ${where.join(' or ')}`, params);
    if (rows.length) records[table] = rows;
  }
  const scormState = await scormStateOf(pool, staffId);
  const addresses = [staff.email, ...(userId ? accounts.map((a) => a.email) : [])].filter((a): a is string => typeof a === 'string' && a !== '');
  const { rows: emails } = addresses.length
    ? await pool.query(
        `select id, to_address, subject, text_body, category, status, created_at, sent_at from outbound_messages where lower(to_address) = any($1::text[]) order by created_at`,
        [addresses.map((a) => a.toLowerCase())],
      )
    : { rows: [] as Row[] };
  const { rows: auditRows } = await pool.query(
    `select at, actor_user_id, action, subject_type, subject_id, detail from audit_log
      where subject_id = $1 or ($2::uuid is not null and (subject_id = $2::text or actor_user_id = $2::uuid)) order by at`,
    [staffId, userId],
  );
  const { organisation, ...staffRecord } = staff;
  return {
    generatedAt: new Date().toISOString(),
    person: { staffId, name: String(staff.name), organisation: String(organisation) },
    staffRecord,
    account: accounts[0] ?? null,
    records,
    scormState,
    emails,
    audit: auditRows,
  };
}

export interface DueLeaver {
  id: string;
  name: string;
  organisationName: string;
  leavingDate: string;
}

/** `configured`: LEAVER_RETENTION_MONTHS from the configuration. */
export async function retentionMonths(pool: Queryable, configured: number | undefined): Promise<{ months: number; partnershipMonths: number | null }> {
  const { rows } = await pool.query<{ months: number | null }>('select months from leaver_retention where id = 1');
  const partnershipMonths = rows[0]?.months ?? null;
  return { months: retentionInForce(partnershipMonths, configured), partnershipMonths };
}

export async function setRetentionMonths(pool: Pool, months: number | null, actorUserId: string): Promise<void> {
  // Only once the partnership is named, as its other settings.
  const { rowCount } = await pool.query(
    `insert into leaver_retention (id, months) select 1, $1 from partnership_profile where id = 1
       on conflict (id) do update set months = excluded.months`,
    [months],
  );
  if (!rowCount) throw new Error('Set the partnership’s name first (npm run cli -- partnership:set).');
  await audit(pool, { actorUserId, action: 'data-protection.retention-set', subjectType: 'partnership', detail: { months } });
}

/** Leavers past the retention period whose details are still held, oldest leaving date first. */
export async function dueLeavers(pool: Queryable, scope: OrganisationScope, today: string, months: number): Promise<DueLeaver[]> {
  const cond = scopeCondition(scope, 's.organisation_id', 2);
  const { rows } = await pool.query<DueLeaver>(
    `select s.id, s.name, o.name as "organisationName", to_char(s.leaving_date, 'YYYY-MM-DD') as "leavingDate"
       from staff_members s join member_organisations o on o.id = s.organisation_id
      where s.leaving_date is not null and s.leaving_date <= $1::date and s.anonymised_at is null and ${cond.sql}
      order by s.leaving_date, s.id`,
    [leftOnOrBefore(today, months), ...cond.params],
  );
  return rows;
}

/**
 * Removes a leaver's personal details and keeps the facts that figures are
 * made of: the staff record stays in its organisation, staff group and
 * leaving date; evidence, attempts, bookings and certificates stay, so every
 * count is the same afterwards. Certificates keep their code and show
 * "Former member of staff" instead of the name.
 */
export async function anonymiseLeaver(client: PoolClient, staffId: string, actorUserId: string | null, months: number): Promise<boolean> {
  const { rows } = await client.query<{ id: string; organisation_id: string; user_id: string | null; email: string | null; leaving_date: string }>(
    `select id, organisation_id, user_id, email, to_char(leaving_date, 'YYYY-MM-DD') as leaving_date from staff_members
      where id = $1 and leaving_date is not null and anonymised_at is null for update`,
    [staffId],
  );
  const staff = rows[0];
  if (!staff) return false;
  const addresses = [staff.email];
  await anonymiseStaffRecord(client, staffId, ANONYMOUS_NAME);
  await forgetEvidenceDetails(client, staffId);
  await renameCertificatesOf(client, staffId, ANONYMOUS_NAME);
  await forgetScormState(client, staffId);
  await forgetCmi5Documents(client, staffId);

  let accountErased: string | null = null;
  if (staff.user_id) {
    // The account goes too, unless the person still works for another organisation in the partnership.
    const { rows: current } = await client.query('select 1 from staff_members where user_id = $1 and (leaving_date is null or leaving_date > current_date)', [
      staff.user_id,
    ]);
    if (!current.length) {
      const { rows: account } = await client.query<{ email: string }>('select email from users where id = $1', [staff.user_id]);
      addresses.push(account[0]?.email ?? null);
      await client.query(`update users set email = $2, display_name = $3, password_hash = null, disabled = true, locked_until = null where id = $1`, [
        staff.user_id,
        `erased-${staff.user_id}@invalid`,
        ANONYMOUS_NAME,
      ]);
      await client.query('delete from user_roles where user_id = $1', [staff.user_id]);
      await client.query('delete from api_tokens where user_id = $1', [staff.user_id]);
      accountErased = staff.user_id;
      await client.query(`delete from sessions where sess::text like $1`, [`%"user":"${staff.user_id}"%`]);
    }
  }
  const known = addresses.filter((a): a is string => !!a).map((a) => a.toLowerCase());
  if (known.length) {
    await client.query(
      `update outbound_messages set to_address = 'erased', subject = 'Message to a former member of staff', text_body = '', html_body = null where lower(to_address) = any($1::text[])`,
      [known],
    );
  }
  await forgetRemindersOf(client, staffId, accountErased);
  await forgetInvitationsAndResets(client, known, accountErased);
  await audit(client, {
    actorUserId,
    action: 'data-protection.anonymised',
    organisationId: staff.organisation_id,
    subjectType: 'staff',
    subjectId: staffId,
    detail: { leavingDate: staff.leaving_date, retentionMonths: months, by: actorUserId ? 'administrator' : 'scheduled job' },
  });
  return true;
}
