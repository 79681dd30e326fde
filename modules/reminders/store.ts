import type { Pool, PoolClient } from 'pg';
import { type OrganisationScope, scopeCondition } from '../../server/access';
import { createOrganisationStore } from '../organisations/api';
import { partnershipName as nameOfPartnership } from '../partnership/api';

export interface OrganisationForScan {
  id: string;
  slug: string;
  name: string;
  inductionDays: number;
  policy: unknown;
  lastScanOn: string | null;
  lastScanAt: Date | null;
}

export interface StaffContact {
  id: string;
  name: string;
  email: string | null;
  startDate: string | null;
}

export interface Lead {
  userId: string;
  name: string;
  email: string;
  unsubscribed: boolean;
}

export interface ReminderRow {
  key: string;
  organisationId: string;
  staffId: string | null;
  kind: string;
  lineage: string | null;
  dueDate: string | null;
  step: string;
  recipient: string;
  summary: string;
  messageId: string | null;
}

/** SQL for the reminders module; every read of people's reminders takes the caller's scope. */
export function createReminderStore(pool: Pool) {
  return {
    async partnershipName(): Promise<string> {
      return (await nameOfPartnership(pool)) ?? 'the training partnership';
    },
    /** The partnership's name and default policy in one round trip (the scan runs often). */
    async settings(): Promise<{ defaults: unknown; partnership: string }> {
      const { rows } = await pool.query<{ policy: unknown; name: string | null }>(
        'select d.policy, (select name from partnership_profile where id = 1) as name from reminder_defaults d where d.id = 1',
      );
      return { defaults: rows[0]?.policy ?? {}, partnership: rows[0]?.name ?? 'the training partnership' };
    },
    async defaults(): Promise<unknown> {
      const { rows } = await pool.query<{ policy: unknown }>('select policy from reminder_defaults where id = 1');
      return rows[0]?.policy ?? {};
    },
    async saveDefaults(policy: object, userId: string | null): Promise<void> {
      await pool.query(
        `insert into reminder_defaults (id, policy, updated_by) values (1, $1, $2)
         on conflict (id) do update set policy = excluded.policy, updated_by = excluded.updated_by, updated_at = now()`,
        [JSON.stringify(policy), userId],
      );
    },
    saveOrganisationPolicy(scope: OrganisationScope, organisationId: string, policy: object): Promise<boolean> {
      return createOrganisationStore(pool).saveReminderPolicy(scope, organisationId, policy);
    },
    async organisations(scope: OrganisationScope, slug?: string): Promise<OrganisationForScan[]> {
      const where = scopeCondition(scope, 'o.id', 2);
      const { rows } = await pool.query<OrganisationForScan>(
        `select o.id, o.slug, o.name, o.induction_days as "inductionDays", o.reminder_policy as policy,
                r.last_scan_on as "lastScanOn", r.last_scan_at as "lastScanAt"
           from member_organisations o left join reminder_scan_runs r on r.organisation_id = o.id
          where ($1::text is null or o.slug = $1) and ${where.sql}
          order by o.name`,
        [slug ?? null, ...where.params],
      );
      return rows;
    },
    /** The organisation's staff's contact details, by staff id: everyone's, or only those of the staff ids given. */
    async staffContacts(organisationId: string, staffIds?: string[]): Promise<Map<string, StaffContact>> {
      const columns = `s.id, s.name, coalesce(s.email, u.email) as email, s.start_date as "startDate"`;
      const users = 'left join users u on u.id = s.user_id and not u.disabled';
      // Some: looked up by id, rather than every row of the organisation tested against the list.
      const { rows } = staffIds
        ? await pool.query<StaffContact>(
            `select ${columns} from unnest($2::uuid[]) i(id) join staff_members s on s.id = i.id ${users} where s.organisation_id = $1`,
            [organisationId, staffIds],
          )
        : await pool.query<StaffContact>(`select ${columns} from staff_members s ${users} where s.organisation_id = $1`, [organisationId]);
      return new Map(rows.map((r) => [r.id, r]));
    },
    async leads(organisationId: string): Promise<Lead[]> {
      const { rows } = await pool.query<Lead>(
        `select distinct u.id as "userId", u.display_name as name, u.email,
                exists (select 1 from reminder_digest_unsubscribes d where d.user_id = u.id and d.organisation_id = $1) as unsubscribed
           from user_roles r join users u on u.id = r.user_id
          where r.role = 'org-lead' and r.organisation_id = $1 and not u.disabled
          order by u.email`,
        [organisationId],
      );
      return rows;
    },
    async coursesFor(lineages: string[]): Promise<Map<string, { slug: string; title: string }[]>> {
      const out = new Map<string, { slug: string; title: string }[]>();
      if (!lineages.length) return out;
      const { rows } = await pool.query<{ lineage: string; slug: string; title: string }>(
        `select cc.competency_lineage as lineage, c.slug, c.title from course_catalogue_competencies cc join course_catalogue c on c.id = cc.course_id
          where c.status = 'published' and cc.competency_lineage = any($1::text[]) order by c.title`,
        [lineages],
      );
      for (const r of rows) out.set(r.lineage, [...(out.get(r.lineage) ?? []), { slug: r.slug, title: r.title }]);
      return out;
    },
    /** Idempotent: the key is the message's dedupe key; a re-run after a crash fills in the link. */
    async record(r: Omit<ReminderRow, 'messageId'>): Promise<void> {
      await pool.query(
        `insert into reminders (dedupe_key, organisation_id, staff_id, kind, lineage, due_date, step, recipient, summary, message_id)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, (select id from outbound_messages where dedupe_key = $1))
         on conflict (dedupe_key) do update set message_id = coalesce(reminders.message_id, excluded.message_id)`,
        [r.key, r.organisationId, r.staffId, r.kind, r.lineage, r.dueDate, r.step, r.recipient, r.summary],
      );
    },
    /** As record, for many reminders in one statement per thousand (in key order, as the outbox writes them). */
    async recordMany(list: Omit<ReminderRow, 'messageId'>[]): Promise<void> {
      const sorted = [...new Map(list.map((r) => [r.key, r])).values()].sort((a, b) => (a.key < b.key ? -1 : 1));
      for (let i = 0; i < sorted.length; i += 1000) {
        const batch = sorted.slice(i, i + 1000);
        const column = <T>(f: (r: Omit<ReminderRow, 'messageId'>) => T) => batch.map(f);
        await pool.query(
          `insert into reminders (dedupe_key, organisation_id, staff_id, kind, lineage, due_date, step, recipient, summary, message_id)
           select r.k, r.o::uuid, r.s::uuid, r.kind, r.l, r.d::date, r.step, r.rcpt, r.summary, m.id
             from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[]) with ordinality
                  as r(k, o, s, kind, l, d, step, rcpt, summary, n)
             left join outbound_messages m on m.dedupe_key = r.k
            order by r.n
           on conflict (dedupe_key) do update set message_id = coalesce(reminders.message_id, excluded.message_id)`,
          [
            column((r) => r.key),
            column((r) => r.organisationId),
            column((r) => r.staffId),
            column((r) => r.kind),
            column((r) => r.lineage),
            column((r) => r.dueDate),
            column((r) => r.step),
            column((r) => r.recipient),
            column((r) => r.summary),
          ],
        );
      }
    },
    /** Keys already queued and recorded as reminders: a daily scan skips them without writing. */
    /** Which of these keys have been queued already. */
    async alreadyDone(keys: string[]): Promise<Set<string>> {
      if (!keys.length) return new Set();
      const { rows } = await pool.query<{ key: string }>(
        'select r.dedupe_key as key from reminders r where r.dedupe_key = any($1::text[]) and r.message_id is not null',
        [keys],
      );
      return new Set(rows.map((r) => r.key));
    },
    /** True when at least one of these dedupe keys has not been queued yet. */
    async anyMissing(keys: string[]): Promise<boolean> {
      if (!keys.length) return false;
      const { rows } = await pool.query<{ n: number }>('select count(*)::int as n from outbound_messages where dedupe_key = any($1::text[])', [keys]);
      return (rows[0]?.n ?? 0) < keys.length;
    },
    /** The keys of the reminders that were due and queued at the organisation's last scan (migration 002). */
    async doneAtLastScan(organisationId: string): Promise<Set<string>> {
      const { rows } = await pool.query<{ keys: string | null }>('select done_keys as keys from reminder_scan_runs where organisation_id = $1', [
        organisationId,
      ]);
      return new Set(rows[0]?.keys ? rows[0].keys.split('\n') : []);
    },
    async markScanned(organisationId: string, day: string, queued: number, doneKeys: string[]): Promise<void> {
      await pool.query(
        `insert into reminder_scan_runs (organisation_id, last_scan_on, last_scan_at, queued, done_keys) values ($1, $2, now(), $3, $4)
         on conflict (organisation_id) do update set last_scan_on = greatest(reminder_scan_runs.last_scan_on, excluded.last_scan_on), last_scan_at = now(),
                queued = excluded.queued, done_keys = excluded.done_keys`,
        [organisationId, day, queued, doneKeys.join('\n')],
      );
    },
    async forStaff(staffIds: string[]) {
      if (!staffIds.length) return [];
      const { rows } = await pool.query(
        `select r.kind, r.due_date as "dueDate", r.step, r.summary, r.created_at as "createdAt", m.status, m.sent_at as "sentAt", m.subject
           from reminders r left join outbound_messages m on m.id = r.message_id
          where r.staff_id = any($1::uuid[]) and r.kind <> 'escalation'
          order by r.created_at desc limit 200`,
        [staffIds],
      );
      return rows;
    },
    async forOrganisation(scope: OrganisationScope, organisationId: string, limit = 200) {
      const where = scopeCondition(scope, 'r.organisation_id', 3);
      const { rows } = await pool.query(
        `select r.kind, r.due_date as "dueDate", r.step, r.summary, r.recipient, r.created_at as "createdAt", s.name as "staffName",
                m.status, m.sent_at as "sentAt", m.attempts, m.id as "messageId"
           from reminders r left join outbound_messages m on m.id = r.message_id left join staff_members s on s.id = r.staff_id
          where r.organisation_id = $1 and ${where.sql}
          order by r.created_at desc, r.dedupe_key limit $2`,
        [organisationId, limit, ...where.params],
      );
      return rows;
    },
    async outbox(status: string | null, limit = 300) {
      const { rows } = await pool.query(
        `select m.id, m.to_address as "to", m.subject, m.category, m.status, m.attempts, m.last_error as "lastError",
                m.next_attempt_at as "nextAttemptAt", m.created_at as "createdAt", m.sent_at as "sentAt", o.name as "organisationName"
           from outbound_messages m left join member_organisations o on o.id = m.organisation_id
          where ($1::text is null or m.status = $1) order by m.created_at desc limit $2`,
        [status, limit],
      );
      const counts = await pool.query<{ status: string; n: number }>('select status, count(*)::int as n from outbound_messages group by status');
      return { messages: rows, counts: Object.fromEntries(counts.rows.map((r) => [r.status, r.n])) as Record<string, number> };
    },
    async outboxMessage(id: string) {
      const { rows } = await pool.query(
        `select id, to_address as "to", subject, text_body as "text", category, status, attempts, last_error as "lastError",
                next_attempt_at as "nextAttemptAt", created_at as "createdAt", sent_at as "sentAt", dedupe_key as "dedupeKey"
           from outbound_messages where id::text = $1`,
        [id],
      );
      return rows[0] ?? null;
    },
    async unsubscribe(userId: string, organisationId: string): Promise<void> {
      await pool.query('insert into reminder_digest_unsubscribes (user_id, organisation_id) values ($1, $2) on conflict do nothing', [userId, organisationId]);
    },
  };
}

export type ReminderStore = ReturnType<typeof createReminderStore>;

/** A leaver's reminders without their address or name (data protection), and their account's digest choices gone. */
export async function forgetRemindersOf(client: PoolClient, staffId: string, userId: string | null): Promise<void> {
  await client.query(`update reminders set recipient = '', summary = $2 where staff_id = $1`, [staffId, 'Reminder to a former member of staff']);
  if (userId) await client.query('delete from reminder_digest_unsubscribes where user_id = $1', [userId]);
}
