import express from 'express';
import { allow, caller, can, managedScope } from '../../server/access';
import { HttpError } from '../../server/errors';
import { defineModule } from '../../server/module';
import { londonToday } from '../../server/london';
import { complianceForStaff, findOrganisation, listOrganisations } from '../compliance/api';
import { addRecordElsewhere } from '../staff/api';
import { type Decision, decide, shareableRecord, sharedEvidenceIds, type TransferStatus, transfersInto, transfersOfPerson } from './store';

const STATUS_LABEL: Record<TransferStatus, string> = {
  pending: 'Waiting for the person to decide',
  shared: 'Shared',
  declined: 'Kept private',
  withdrawn: 'Sharing stopped',
};
const STATUS_TAG: Record<TransferStatus, string> = {
  pending: 'govuk-tag--yellow',
  shared: 'govuk-tag--green',
  declined: 'govuk-tag--grey',
  withdrawn: 'govuk-tag--grey',
};
const DECISIONS: Decision[] = ['share', 'decline', 'withdraw'];
const DONE: Record<Decision, string> = {
  share: 'Your training record is now shared',
  decline: 'Your training record stays private',
  withdraw: 'You have stopped sharing your training record',
};

/**
 * The training passport: a person's evidence and certificates follow them to
 * another organisation of the partnership, with their consent.
 */
export default defineModule({
  name: 'passport',
  dependsOn: ['staff', 'evidence', 'certificates', 'compliance'],
  nav: [
    { label: 'Training passport', href: '/passport', roles: ['learner', 'trainer', 'board-member'], order: 35 },
    {
      label: 'My training passport',
      href: '/passport',
      roles: ['org-lead', 'partnership-admin'],
      order: 35,
      hub: { topic: 'learning', description: 'Your own training record, to share with another organisation in the partnership' },
    },
    {
      label: 'Passports received',
      href: '/training-passports',
      roles: can.manageStaff,
      order: 66,
      hub: { topic: 'people', description: 'Training records that staff joining from another organisation have shared with you' },
    },
  ],
  async seedDemo(ctx) {
    // A council housing officer who also volunteers at Vale Women's Aid: the
    // charity's record is newer, so the council record can follow them once they agree.
    const pool = ctx.database.pool;
    const { rows } = await pool.query<{ id: string; organisationId: string }>(
      `select s.id, w.id as "organisationId"
         from staff_members s join member_organisations c on c.id = s.organisation_id and c.slug = 'vale-county-council'
         join member_organisations w on w.slug = 'vale-womens-aid'
        where s.email is not null and s.user_id is null and s.group_number is not null
          and exists (select 1 from evidence_entries e where e.staff_id = s.id)
          and not exists (select 1 from staff_members x where x.staff_number = 'PASSPORT-DEMO')
        order by s.staff_number limit 1`,
    );
    if (rows[0]) {
      await addRecordElsewhere(pool, {
        fromStaffId: rows[0].id,
        organisationId: rows[0].organisationId,
        team: 'Helpline volunteers',
        staffNumber: 'PASSPORT-DEMO',
        startedDaysAgo: 20,
        isVolunteer: true,
      });
    }
  },
  routes(ctx) {
    const router = express.Router();
    const pool = ctx.database.pool;

    router.get('/passport', allow(), async (req, res) => {
      const transfers = await transfersOfPerson(pool, caller(req).userId);
      const items = await Promise.all(
        transfers.map(async (t) => ({
          ...t,
          statusLabel: STATUS_LABEL[t.status],
          statusTag: STATUS_TAG[t.status],
          canShare: t.status !== 'shared',
          canDecline: t.status === 'pending',
          canWithdraw: t.status === 'shared',
          record: await shareableRecord(pool, t.fromStaffId),
        })),
      );
      res.render(ctx.view('passport'), { title: 'Your training passport', transfers: items });
    });

    router.post('/passport', allow(), async (req, res) => {
      const decision = String(req.body.decision ?? '') as Decision;
      if (!DECISIONS.includes(decision)) throw new HttpError(400, 'Choose whether to share your training record.');
      await decide(ctx.database, ctx.events, { transferId: String(req.body.transferId ?? ''), userId: caller(req).userId, decision });
      req.session.flash = DONE[decision];
      res.redirect('/passport');
    });

    router.get('/training-passports', allow(can.manageStaff), async (req, res) => {
      const scope = managedScope(caller(req));
      const organisations = await listOrganisations(pool, scope);
      const slug = typeof req.query.org === 'string' ? req.query.org : organisations.length === 1 ? organisations[0].slug : undefined;
      const org = slug ? await findOrganisation(pool, scope, { slug }) : null;
      if (slug && !org) throw new HttpError(404, 'We could not find that organisation.');
      if (!org) {
        res.render(ctx.view('passport-organisations'), { title: 'Training passports received', organisations });
        return;
      }
      const today = londonToday();
      const transfers = await transfersInto(pool, scope, org.id);
      const items = await Promise.all(
        transfers.map(async (t) => {
          // Where the person worked before is theirs to share too.
          if (t.status !== 'shared') return { ...t, fromOrganisation: '', statusLabel: STATUS_LABEL[t.status], statusTag: STATUS_TAG[t.status] };
          const [shared, record, compliance] = await Promise.all([
            sharedEvidenceIds(pool, t),
            shareableRecord(pool, t.fromStaffId),
            complianceForStaff(pool, scope, t.toStaffId, today),
          ]);
          const counting = new Set((compliance?.competencies ?? []).flatMap((c) => c.evidenceIds));
          const { rows } = await pool.query<{ id: string; groupNumber: number; number: number; text: string; achievedOn: string }>(
            `select e.id, c.group_number as "groupNumber", c.number, c.text, e.achieved_on as "achievedOn"
               from evidence_entries e join framework_competencies c on c.id = e.competency_id where e.id = any($1::uuid[]) order by c.group_number, c.number`,
            [shared],
          );
          return {
            ...t,
            shared: true,
            statusLabel: STATUS_LABEL[t.status],
            statusTag: STATUS_TAG[t.status],
            evidence: rows.map((e) => ({ ...e, counts: counting.has(e.id) })),
            certificates: record.certificates,
          };
        }),
      );
      res.render(ctx.view('passport-organisation'), {
        title: `Training passports received: ${org.name}`,
        organisation: org,
        transfers: items,
        several: organisations.length > 1,
      });
    });
    return router;
  },
});
