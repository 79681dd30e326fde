import { inTransaction } from '../../server/db';
import type { ModuleContext } from '../../server/module';
import { computeCompliance, type EvidenceItem, requirementsFor } from '../compliance/api';
import { refresherMonthsFor } from '../organisations/api';
import { generateCode } from './codes';
import { issueCourseCertificate } from './issue';
import { expiryFor, frameworkAchievement, todayInLondon } from './rules';
import { courseCompletions, publishedFramework } from './store';

/**
 * Certificates for the demo partnership's training: a group certificate for
 * everyone whose evidence covers all their group needs, dated the day it was
 * first complete (their training was before the LMS, so not today), and a
 * course certificate for any completion. Worked out for everyone at once and
 * written in one statement: the nightly sweep's one transaction per person
 * was the slowest part of a first start. Safe to run twice.
 */
export async function seedDemoCertificates(ctx: ModuleContext): Promise<void> {
  const pool = ctx.database.pool;
  const today = todayInLondon();
  const [framework, { rows: people }, { rows: evidence }] = await Promise.all([
    publishedFramework(pool),
    pool.query<{
      id: string;
      name: string;
      organisationId: string;
      organisationName: string;
      groupNumber: number;
      refresherMonths: Record<string, number> | null;
      partnershipName: string;
    }>(
      `select s.id, s.name, s.organisation_id as "organisationId", o.name as "organisationName", s.group_number as "groupNumber", o.refresher_months as "refresherMonths",
              coalesce((select name from partnership_profile where id = 1), 'Domestic Abuse Partnership') as "partnershipName"
         from staff_members s join member_organisations o on o.id = s.organisation_id
        where s.group_number is not null and (s.leaving_date is null or s.leaving_date > $1::date)
          and not exists (select 1 from certificates c where c.staff_id = s.id and c.kind = 'framework')`,
      [today],
    ),
    pool.query<{ staffId: string; id: string; lineage: string; achievedOn: string }>(
      `select e.staff_id as "staffId", e.id, c.lineage, e.achieved_on as "achievedOn"
         from evidence_entries e join framework_competencies c on c.id = e.competency_id
        where e.replaced_at is null and not e.withdrawn`,
    ),
  ]);
  const byStaff = new Map<string, EvidenceItem[]>();
  for (const e of evidence) {
    const list = byStaff.get(e.staffId);
    if (list) list.push(e);
    else byStaff.set(e.staffId, [e]);
  }
  const certificates: unknown[][] = [];
  for (const person of people) {
    const group = framework.groups.find((g) => g.number === person.groupNumber);
    const items = byStaff.get(person.id);
    if (!group || !items) continue;
    const requirements = requirementsFor(framework, group.number);
    const refresherMonths = person.refresherMonths ?? {};
    // The same test the sweep makes (groupEvidencedInFull): every competency met today.
    const result = computeCompliance({
      groupNumber: group.number,
      requirements,
      evidence: items,
      refresherMonths: refresherMonthsFor(refresherMonths, group.number),
      dueSoonDays: 0,
      inductionDays: 0,
      startDate: null,
      leavingDate: null,
      today,
    });
    if (!requirements.length || !result.competencies.every((c) => c.met)) continue;
    const latest = new Map<string, string>();
    for (const e of items) if (e.achievedOn <= today && (latest.get(e.lineage) ?? '') < e.achievedOn) latest.set(e.lineage, e.achievedOn);
    const completedOn = requirements.reduce((day, r) => ((latest.get(r.lineage) ?? '') > day ? (latest.get(r.lineage) as string) : day), '');
    certificates.push([
      generateCode(),
      person.id,
      person.organisationId,
      group.number,
      `group:${group.number}:${completedOn}`,
      frameworkAchievement(group),
      JSON.stringify(requirements.map(({ groupNumber, number, text }) => ({ groupNumber, number, text }))),
      person.name,
      person.organisationName,
      person.partnershipName,
      completedOn,
      expiryFor(completedOn, { refresherMonths, groupNumber: group.number }),
    ]);
  }
  if (certificates.length) {
    await pool.query(
      `insert into certificates (code, kind, staff_id, organisation_id, group_number, achievement_key, achievement, competencies,
          person_name, organisation_name, partnership_name, issued_on, expires_on)
       select code, 'framework', staff_id, organisation_id, group_number, achievement_key, achievement, competencies::jsonb,
              person_name, organisation_name, partnership_name, issued_on, expires_on
         from unnest($1::text[], $2::uuid[], $3::uuid[], $4::int[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::date[], $12::date[])
           as c (code, staff_id, organisation_id, group_number, achievement_key, achievement, competencies, person_name, organisation_name, partnership_name, issued_on, expires_on)
       on conflict (staff_id, kind, achievement_key) where replaces_id is null do nothing`,
      Array.from({ length: certificates[0].length }, (_, c) => certificates.map((row) => row[c])),
    );
  }
  // The demo records no course completions of its own; any there are get their certificates as the sweep gives them.
  for (const completion of await courseCompletions(pool)) await inTransaction(pool, (client) => issueCourseCertificate(client, completion));
}
