import type { Pool, PoolClient } from 'pg';
import { type OrganisationScope, scopeIncludes } from '../../server/access';
import { audit } from '../../server/auth/users';
import type { Database } from '../../server/db';
import { HttpError } from '../../server/errors';
import type { EventBus } from '../../server/events';
import { type EvidenceEntry, listEvidence, SOURCE_NAMES } from '../evidence/store';

export type TransferStatus = 'pending' | 'shared' | 'declined' | 'withdrawn';
export type Decision = 'share' | 'decline' | 'withdraw';

export interface Transfer {
  id: string;
  status: TransferStatus;
  fromStaffId: string;
  fromOrganisationId: string;
  fromOrganisation: string;
  toStaffId: string;
  toOrganisationId: string;
  toOrganisation: string;
  personName: string;
  toGroupNumber: number | null;
  createdAt: Date;
  decidedAt: Date | null;
}

export interface SharedCertificate {
  id: string;
  achievement: string;
  issuedOn: string;
  expiresOn: string | null;
  organisationName: string;
}

/** Evidence copied into the new record names the transfer and the entry it came from. */
const copyPrefix = (transferId: string) => `passport:${transferId}@`;

/**
 * Offers a transfer for every current staff record created after another
 * record of the same person in another organisation (a move, or a second
 * organisation's import), when the earlier record holds evidence or a
 * certificate. Pending until the person decides; safe to run any time.
 */
export async function offerTransfers(db: Pool | PoolClient, to: { organisationId: string } | { userId: string }): Promise<void> {
  const filter =
    'organisationId' in to
      ? 'b.organisation_id = $1'
      : '(b.user_id = $1 or lower(b.email) = (select lower(email) from users where id = $1))';
  // The same person: the same account, or the same email (two equality joins, so each can be hashed on a large staff list).
  const pairs = (same: string) => `
    select a.id as from_id, b.id as to_id from staff b join staff a on ${same}
     where ${filter} and a.organisation_id <> b.organisation_id and a.created_at < b.created_at
       and (b.leaving_date is null or b.leaving_date > current_date)`;
  await db.query(
    `insert into passport_transfers (from_staff_id, to_staff_id)
     select p.from_id, p.to_id from (${pairs('a.user_id = b.user_id')} union ${pairs('lower(a.email) = lower(b.email)')}) p
      where exists (select 1 from evidence e where e.staff_id = p.from_id) or exists (select 1 from certificates c where c.staff_id = p.from_id)
     on conflict (from_staff_id, to_staff_id) do nothing`,
    ['organisationId' in to ? to.organisationId : to.userId],
  );
}

const TRANSFER_COLUMNS = `t.id, t.status, t.created_at as "createdAt", t.decided_at as "decidedAt",
  a.id as "fromStaffId", a.organisation_id as "fromOrganisationId", ao.name as "fromOrganisation",
  b.id as "toStaffId", b.organisation_id as "toOrganisationId", bo.name as "toOrganisation", b.name as "personName", b.group_number as "toGroupNumber"
  from passport_transfers t join staff a on a.id = t.from_staff_id join organisations ao on ao.id = a.organisation_id
  join staff b on b.id = t.to_staff_id join organisations bo on bo.id = b.organisation_id`;

/** The signed-in person's own transfers, newest first. */
export async function transfersOfPerson(pool: Pool, userId: string): Promise<Transfer[]> {
  await offerTransfers(pool, { userId });
  const { rows } = await pool.query<Transfer>(
    `select ${TRANSFER_COLUMNS}
      where b.user_id = $1 or lower(b.email) = (select lower(email) from users where id = $1)
      order by t.created_at desc`,
    [userId],
  );
  return rows;
}

/** Transfers into one organisation, for its leads (and administrators). */
export async function transfersInto(pool: Pool, scope: OrganisationScope, organisationId: string): Promise<Transfer[]> {
  if (!scopeIncludes(scope, organisationId)) throw new HttpError(404, 'We could not find that organisation.');
  await offerTransfers(pool, { organisationId });
  const { rows } = await pool.query<Transfer>(`select ${TRANSFER_COLUMNS} where b.organisation_id = $1 order by b.name, t.created_at desc`, [organisationId]);
  return rows;
}

/** What the earlier record holds that would be shared: current evidence and certificates. */
export async function shareableRecord(pool: Pool, fromStaffId: string): Promise<{ evidence: (EvidenceEntry & { sourceName: string })[]; certificates: SharedCertificate[] }> {
  const [entries, certificates] = await Promise.all([
    listEvidence(pool, { kind: 'all' }, fromStaffId),
    pool.query<SharedCertificate>(
      `select id, achievement, issued_on as "issuedOn", expires_on as "expiresOn", organisation_name as "organisationName"
         from certificates where staff_id = $1 and status = 'valid' and replaced_by is null order by issued_on desc`,
      [fromStaffId],
    ),
  ]);
  const evidence = entries.filter((e) => !e.withdrawn && !e.replacedById).map((e) => ({ ...e, sourceName: SOURCE_NAMES[e.source] }));
  return { evidence, certificates: certificates.rows };
}

/** Evidence in the new record that came from a transfer, as it stands now. */
export async function sharedEvidenceIds(pool: Pool, transfer: Transfer): Promise<string[]> {
  const { rows } = await pool.query<{ id: string }>(
    `select e.id from evidence e where e.staff_id = $1 and e.source_ref like $2 and not e.withdrawn
        and not exists (select 1 from evidence r where r.replaces_id = e.id)`,
    [transfer.toStaffId, `${copyPrefix(transfer.id)}%`],
  );
  return rows.map((r) => r.id);
}

const NEXT_STATUS: Record<Decision, { from: TransferStatus[]; to: TransferStatus }> = {
  share: { from: ['pending', 'declined', 'withdrawn'], to: 'shared' },
  decline: { from: ['pending'], to: 'declined' },
  withdraw: { from: ['shared'], to: 'withdrawn' },
};

/**
 * The person's decision. Sharing copies their current evidence into the new
 * record as recognised prior learning (dates kept, naming where it came from),
 * so the new organisation's compliance counts it like any other evidence.
 * Withdrawing withdraws those copies, keeping their history. Both are audited.
 */
export async function decide(db: Database, events: EventBus, input: { transferId: string; userId: string; decision: Decision }): Promise<Transfer> {
  const mine = (await transfersOfPerson(db.pool, input.userId)).find((t) => t.id === input.transferId);
  if (!mine) throw new HttpError(404, 'We could not find that request to share your training record.');
  const step = NEXT_STATUS[input.decision];
  if (!step.from.includes(mine.status)) throw new HttpError(409, 'This has already been decided. The page shows where it stands now.');
  const { evidence } = input.decision === 'share' ? await shareableRecord(db.pool, mine.fromStaffId) : { evidence: [] };
  await db.transaction(async (client) => {
    const { rowCount } = await client.query(
      `update passport_transfers set status = $2, decided_at = now(), decided_by = $3 where id = $1 and status = any($4::text[])`,
      [mine.id, step.to, input.userId, step.from],
    );
    if (!rowCount) throw new HttpError(409, 'This has already been decided. The page shows where it stands now.');
    let evidenceIds: string[] = [];
    if (input.decision === 'share' && evidence.length) {
      const { rows } = await client.query<{ id: string }>(
        `insert into evidence (staff_id, competency_id, achieved_on, source, source_ref, course_id, evidence_example, note, recorded_by, verified_by, verified_at)
         select $1, e.competency_id, e.achieved_on, 'prior-learning', $2::text || e.id::text, e.course_id, e.evidence_example,
                'Shared with consent from the training record at ' || $3::text || coalesce(': ' || e.note, ''), $4, coalesce(e.verified_by, e.recorded_by), coalesce(e.verified_at, e.recorded_at)
           from evidence e where e.id = any($5::uuid[])
         returning id`,
        [mine.toStaffId, `${copyPrefix(mine.id)}${Date.now()}:`, mine.fromOrganisation, input.userId, evidence.map((e) => e.id)],
      );
      evidenceIds = rows.map((r) => r.id);
      await events.emit('evidence.recorded', { client, staffId: mine.toStaffId, evidenceIds });
    }
    if (input.decision === 'withdraw') {
      const { rows } = await client.query<{ id: string }>(
        `insert into evidence (staff_id, competency_id, achieved_on, source, source_ref, course_id, evidence_example, sign_off_kind, note, recorded_by, verified_by, verified_at, replaces_id, withdrawn, change_reason)
         select e.staff_id, e.competency_id, e.achieved_on, e.source, e.source_ref, e.course_id, e.evidence_example, e.sign_off_kind, e.note, $3, e.verified_by, e.verified_at, e.id, true,
                'The person stopped sharing their training record from ' || $4::text
           from evidence e where e.staff_id = $1 and e.source_ref like $2 and not e.withdrawn
            and not exists (select 1 from evidence r where r.replaces_id = e.id)
         returning id`,
        [mine.toStaffId, `${copyPrefix(mine.id)}%`, input.userId, mine.fromOrganisation],
      );
      evidenceIds = rows.map((r) => r.id);
    }
    await audit(client, {
      actorUserId: input.userId,
      action: `passport.${step.to}`,
      organisationId: mine.toOrganisationId,
      subjectType: 'staff',
      subjectId: mine.toStaffId,
      detail: { transferId: mine.id, fromOrganisation: mine.fromOrganisation, toOrganisation: mine.toOrganisation, evidenceEntries: evidenceIds.length },
    });
  });
  return { ...mine, status: step.to };
}
