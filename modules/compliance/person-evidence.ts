import type { Request, Response } from 'express';
import { caller, managedScope } from '../../server/access';
import { NotFoundError } from '../../server/errors';
import { londonToday } from '../../server/london';
import type { ModuleContext } from '../../server/module';
import { createOrganisationStore } from '../organisations/api';
import { findStaffInScope, frameworkChoices, listDocuments, listEvidence, SIGN_OFF_KINDS, signOffScope, SOURCE_NAMES, viewScope } from '../evidence/api';
import { addMonths } from './engine';
import { complianceForStaff, refresherMonthsOf, STATUS_NAMES } from './service';
import { statusSummary } from './summary';

/**
 * A person's evidence page (/staff/:id/evidence): their compliance status, and
 * the evidence behind it with when each piece expires. Served by this module,
 * not the evidence module, because it shows this module's rules and this
 * module builds on evidence (the evidence module's other pages do not need it).
 */
export function personEvidencePage(ctx: ModuleContext) {
  const pool = ctx.database.pool;
  return async (req: Request, res: Response) => {
    const c = caller(req);
    const staffId = String(req.params.id);
    const scope = viewScope(c, staffId);
    const person = await findStaffInScope(pool, scope, staffId);
    if (!person) throw new NotFoundError('member of staff');
    const today = londonToday();
    const [entries, documents, compliance, choices, refresherMonths, inductionDays] = await Promise.all([
      listEvidence(pool, scope, staffId),
      listDocuments(pool, scope, staffId),
      complianceForStaff(pool, scope, staffId, today),
      frameworkChoices(pool, person.groupNumber),
      refresherMonthsOf(pool, person),
      createOrganisationStore(pool)
        .byId(person.organisationId)
        .then((o) => o?.inductionDays ?? 0),
    ]);
    const canManage = !!(await findStaffInScope(pool, managedScope(c), staffId));
    const canSignOff = !!(await findStaffInScope(pool, signOffScope(c), staffId));
    const shaped = entries.map((e) => ({
      ...e,
      sourceName: SOURCE_NAMES[e.source],
      signOffKindName: e.signOffKind ? SIGN_OFF_KINDS[e.signOffKind as keyof typeof SIGN_OFF_KINDS] : null,
      current: !e.withdrawn && !e.replacedById,
      // Evidence counts for the refresher interval of the person's group, from the day it was achieved.
      expires: addMonths(String(e.achievedOn).slice(0, 10), refresherMonths),
    }));
    const standing = shaped.filter((e) => e.current);
    res.render(ctx.view('person-evidence'), {
      title: `Evidence: ${person.name}`,
      person,
      isSelf: c.staffIds.includes(staffId),
      compliance: compliance && { ...compliance, statusName: STATUS_NAMES[compliance.status], summary: statusSummary(compliance, inductionDays) },
      current: standing.filter((e) => e.expires > today),
      expired: standing.filter((e) => e.expires <= today),
      currentEmpty: standing.length ? 'No current evidence: everything recorded has expired.' : 'No evidence recorded yet.',
      history: shaped.filter((e) => !e.current),
      documents: documents.map((d) => ({ ...d, pending: !d.verifiedAt })),
      verifyCompetencies: choices.competencies.filter((x) => x.ownGroup || person.groupNumber == null),
      canManage,
      canSignOff,
      today,
    });
  };
}
