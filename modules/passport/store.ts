import type { Pool, PoolClient } from 'pg';
import { type OrganisationScope, scopeIncludes } from '../../server/access';
import { audit } from '../../server/auth/users';
import type { Database } from '../../server/db';
import { HttpError } from '../../server/errors';
import type { EventBus } from '../../server/events';
import { copySharedEvidence, type EvidenceEntry, listEvidence, SOURCE_NAMES, withdrawSharedEvidence } from '../evidence/api';

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
 * The staff records that are this person's: those linked to their account,
 * and, once they have proved they read mail at their account's address,
 * unlinked records a lead entered with that address. A typed address alone
 * (an account whose address was never proved, a lead's import) matches
 * nothing, so nobody sees another person's record by claiming their address.
 */
const PERSON_RECORDS = `(select s.id, s.organisation_id, s.created_at, s.leaving_date from staff_members s join users u on u.id = $1
   where s.user_id = u.id or (s.user_id is null and u.email_verified_at is not null and lower(s.email) = lower(u.email)))`;

/**
 * Offers a transfer for every current staff record of the person created
 * after another of their records in another organisation (a move, or a
 * second organisation's import), when the earlier record holds evidence or a
 * certificate. Pending until the person decides; safe to run any time. Only
 * the person's own visit offers: a lead importing addresses learns nothing.
 */
export async function offerTransfers(db: Pool | PoolClient, to: { userId: string }): Promise<void> {
  await db.query(
    `with mine as ${PERSON_RECORDS}
     insert into passport_transfers (from_staff_id, to_staff_id)
     select a.id, b.id from mine a join mine b on a.organisation_id <> b.organisation_id and a.created_at < b.created_at
      where (b.leaving_date is null or b.leaving_date > current_date)
        and (exists (select 1 from evidence_entries e where e.staff_id = a.id) or exists (select 1 from issued_certificates c where c.staff_id = a.id))
     on conflict (from_staff_id, to_staff_id) do nothing`,
    [to.userId],
  );
}

const TRANSFER_COLUMNS = `t.id, t.status, t.created_at as "createdAt", t.decided_at as "decidedAt",
  a.id as "fromStaffId", a.organisation_id as "fromOrganisationId", ao.name as "fromOrganisation",
  b.id as "toStaffId", b.organisation_id as "toOrganisationId", bo.name as "toOrganisation", b.name as "personName", b.group_number as "toGroupNumber"
  from passport_transfers t join staff_members a on a.id = t.from_staff_id join member_organisations ao on ao.id = a.organisation_id
  join staff_members b on b.id = t.to_staff_id join member_organisations bo on bo.id = b.organisation_id`;

/** The signed-in person's own transfers, newest first: both records must be theirs (PERSON_RECORDS). */
export async function transfersOfPerson(pool: Pool, userId: string): Promise<Transfer[]> {
  await offerTransfers(pool, { userId });
  const { rows } = await pool.query<Transfer>(
    `with mine as ${PERSON_RECORDS}
     select ${TRANSFER_COLUMNS}
      where a.id in (select id from mine) and b.id in (select id from mine)
      order by t.created_at desc`,
    [userId],
  );
  return rows;
}

/**
 * Transfers into one organisation, for its leads (and administrators): only
 * those the person has agreed to share (or shared and then stopped). That a
 * new starter has a record elsewhere is theirs to tell.
 */
export async function transfersInto(pool: Pool, scope: OrganisationScope, organisationId: string): Promise<Transfer[]> {
  if (!scopeIncludes(scope, organisationId)) throw new HttpError(404, 'We could not find that organisation.');
  const { rows } = await pool.query<Transfer>(
    `select ${TRANSFER_COLUMNS} where b.organisation_id = $1 and t.status in ('shared', 'withdrawn') order by b.name, t.created_at desc`,
    [organisationId],
  );
  return rows;
}

/** What the earlier record holds that would be shared: current evidence and certificates. */
export async function shareableRecord(
  pool: Pool,
  fromStaffId: string,
): Promise<{ evidence: (EvidenceEntry & { sourceName: string })[]; certificates: SharedCertificate[] }> {
  const [entries, certificates] = await Promise.all([
    listEvidence(pool, { kind: 'all' }, fromStaffId),
    pool.query<SharedCertificate>(
      `select id, achievement, issued_on as "issuedOn", expires_on as "expiresOn", organisation_name as "organisationName"
         from issued_certificates where staff_id = $1 and status = 'valid' and replaced_by is null order by issued_on desc`,
      [fromStaffId],
    ),
  ]);
  const evidence = entries.filter((e) => !e.withdrawn && !e.replacedById).map((e) => ({ ...e, sourceName: SOURCE_NAMES[e.source] }));
  return { evidence, certificates: certificates.rows };
}

/** Evidence in the new record that came from a transfer, as it stands now. */
export async function sharedEvidenceIds(pool: Pool, transfer: Transfer): Promise<string[]> {
  const { rows } = await pool.query<{ id: string }>(
    `select e.id from evidence_entries e where e.staff_id = $1 and e.source_ref like $2 and not e.withdrawn
        and not exists (select 1 from evidence_entries r where r.replaces_id = e.id)`,
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
      evidenceIds = await copySharedEvidence(client, {
        toStaffId: mine.toStaffId,
        sourceRefPrefix: `${copyPrefix(mine.id)}${Date.now()}:`,
        fromOrganisation: mine.fromOrganisation,
        recordedBy: input.userId,
        evidenceIds: evidence.map((e) => e.id),
      });
      await events.emit('evidence.recorded', { client, staffId: mine.toStaffId, evidenceIds });
    }
    if (input.decision === 'withdraw') {
      evidenceIds = await withdrawSharedEvidence(client, {
        staffId: mine.toStaffId,
        sourceRefPrefix: copyPrefix(mine.id),
        withdrawnBy: input.userId,
        fromOrganisation: mine.fromOrganisation,
      });
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
