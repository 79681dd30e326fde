import type { Pool, PoolClient } from 'pg';
import type { OrganisationScope } from '../../server/access';
import { audit } from '../../server/auth/users';
import { HttpError } from '../../server/errors';
import { inTransaction } from '../../server/db';
import { generateCode } from './codes';
import { evaluationAllowsCertificate } from '../evaluation/api';
import { computeCompliance, requirementsFor } from '../compliance/api';
import { refresherMonthsFor } from '../organisations/api';
import { expiryFor, frameworkAchievement } from './rules';
import {
  courseCompletions,
  courseFacts,
  getScoped,
  hasCurrentFrameworkCertificate,
  insertCertificate,
  markReplaced,
  personFacts,
  type PublishedFramework,
  publishedFramework,
  staffWithEvidence,
  staffGroup,
  standingEvidence,
} from './store';

/**
 * A course certificate for one completion. Runs inside the completion's
 * transaction; a second completion of the same course on the same day (or the
 * same one arriving twice at once) finds the first and issues nothing.
 */
export async function issueCourseCertificate(
  client: PoolClient,
  completion: { staffId: string; courseId: string; achievedOn: string },
): Promise<string | null> {
  // Issued later, on 'evaluation.completed', when the course asks for a confidence rating after completion.
  if (!(await evaluationAllowsCertificate(client, completion))) return null;
  const person = await personFacts(client, completion.staffId);
  const course = await courseFacts(client, completion.courseId);
  if (!person || !course) return null;
  return insertCertificate(client, {
    code: generateCode(),
    kind: 'course',
    staffId: person.staffId,
    organisationId: person.organisationId,
    courseId: completion.courseId,
    groupNumber: person.groupNumber,
    achievementKey: `course:${completion.courseId}:${completion.achievedOn}`,
    achievement: course.title,
    competencies: course.competencies,
    personName: person.personName,
    organisationName: person.organisationName,
    partnershipName: person.partnershipName,
    issuedOn: completion.achievedOn,
    expiresOn: expiryFor(completion.achievedOn, {
      courseValidityMonths: course.validityMonths,
      refresherMonths: person.refresherMonths,
      groupNumber: person.groupNumber,
    }),
  });
}

/**
 * Whether the person has current evidence for every competency their group
 * needs (cumulative through the groups it includes), decided by the
 * compliance engine so the certificate and the compliance record agree.
 */
export async function groupEvidencedInFull(client: PoolClient | Pool, staffId: string, today: string, preloaded?: PublishedFramework) {
  const person = await personFacts(client, staffId);
  if (!person || person.groupNumber === null) return null;
  const framework = preloaded ?? (await publishedFramework(client));
  const group = framework.groups.find((g) => g.number === person.groupNumber);
  if (!group) return null;
  const requirements = requirementsFor(framework, group.number);
  const result = computeCompliance({
    groupNumber: group.number,
    requirements,
    evidence: await standingEvidence(client, staffId),
    refresherMonths: refresherMonthsFor(person.refresherMonths, group.number),
    dueSoonDays: 0,
    inductionDays: 0,
    startDate: null,
    leavingDate: null,
    today,
  });
  const complete = requirements.length > 0 && result.competencies.every((c) => c.met);
  return { person, group, required: requirements, complete };
}

/** A framework certificate ("Group 2 Responder level") once every competency the person's group needs is evidenced. */
export async function issueFrameworkCertificateIfDue(
  client: PoolClient,
  staffId: string,
  today: string,
  framework?: PublishedFramework,
): Promise<string | null> {
  // Most evidence arrives for people who already hold a current certificate: answer those with one query.
  const groupNumber = await staffGroup(client, staffId);
  if (groupNumber == null || (await hasCurrentFrameworkCertificate(client, staffId, groupNumber, today))) return null;
  const status = await groupEvidencedInFull(client, staffId, today, framework);
  if (!status?.complete) return null;
  const { person, group, required } = status;
  return insertCertificate(client, {
    code: generateCode(),
    kind: 'framework',
    staffId,
    organisationId: person.organisationId,
    courseId: null,
    groupNumber: group.number,
    achievementKey: `group:${group.number}:${today}`,
    achievement: frameworkAchievement(group),
    competencies: required.map(({ groupNumber, number, text }) => ({ groupNumber, number, text })),
    personName: person.personName,
    organisationName: person.organisationName,
    partnershipName: person.partnershipName,
    issuedOn: today,
    expiresOn: expiryFor(today, { refresherMonths: person.refresherMonths, groupNumber: group.number }),
  });
}

/**
 * Issues any certificate that should exist and does not (a completion
 * recorded before this module was installed, a framework certificate whose
 * last piece of evidence came by import). Safe to run any number of times.
 */
export async function issueMissingCertificates(pool: Pool, today: string): Promise<{ course: number; framework: number }> {
  const issued = { course: 0, framework: 0 };
  for (const completion of await courseCompletions(pool)) {
    if (await inTransaction(pool, (client) => issueCourseCertificate(client, completion))) issued.course++;
  }
  const framework = await publishedFramework(pool);
  for (const staffId of await staffWithEvidence(pool, today)) {
    if (await inTransaction(pool, (client) => issueFrameworkCertificateIfDue(client, staffId, today, framework))) issued.framework++;
  }
  return issued;
}

/**
 * A new certificate for the same achievement, with today's name and
 * organisation (after a name change, say) and a new code. Issue and expiry
 * dates stay those of the achievement; the old code resolves to the new one.
 */
export async function reissueCertificate(client: PoolClient, scope: OrganisationScope, id: string, reason: string, userId: string): Promise<string> {
  const old = await getScoped(client, scope, id);
  if (!old) throw new HttpError(404, 'We could not find that certificate.');
  if (old.replacedBy) throw new HttpError(409, 'This certificate has already been reissued.');
  if (old.status === 'revoked') throw new HttpError(409, 'A revoked certificate cannot be reissued.');
  const person = await personFacts(client, old.staffId);
  if (!person) throw new HttpError(404, 'We could not find that certificate.');
  const newId = await insertCertificate(client, {
    code: generateCode(),
    kind: old.kind,
    staffId: old.staffId,
    organisationId: old.organisationId,
    courseId: old.courseId,
    groupNumber: old.groupNumber,
    achievementKey: `reissue:${old.id}`,
    achievement: old.achievement,
    competencies: old.competencies,
    personName: person.personName,
    // The achievement was made at the organisation that issued it; a move of employer does not rewrite that.
    organisationName: person.organisationId === old.organisationId ? person.organisationName : old.organisationName,
    partnershipName: person.partnershipName,
    issuedOn: old.issuedOn,
    expiresOn: old.expiresOn,
    replacesId: old.id,
    reissueReason: reason,
    issuedBy: userId,
  });
  if (!newId || !(await markReplaced(client, old.id, newId))) throw new HttpError(409, 'This certificate has already been reissued.');
  await audit(client, {
    actorUserId: userId,
    action: 'certificate.reissued',
    organisationId: old.organisationId,
    subjectType: 'certificate',
    subjectId: old.id,
    detail: { reason, newId },
  });
  return newId;
}
