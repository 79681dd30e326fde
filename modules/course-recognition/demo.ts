import type { ModuleContext } from '../../server/module';
import { submitInHouseCourse } from './store';

const DEMO_TITLE = 'Housing officers: responding to disclosures (in-house)';

/** One in-house course from the county council awaiting the partnership's review. Safe to run twice. */
export async function seedDemoRecognition(ctx: ModuleContext): Promise<void> {
  const pool = ctx.database.pool;
  if ((await pool.query('select 1 from course_catalogue where title = $1', [DEMO_TITLE])).rows.length) return;
  const { rows: org } = await pool.query<{ id: string }>(`select id from member_organisations where slug = 'vale-county-council'`);
  const { rows: lead } = await pool.query<{ id: string }>(`select id from users where email = 'lead@valecounty.example'`);
  const { rows: competencies } = await pool.query<{ lineage: string }>(
    `select c.lineage from framework_competencies c join framework_versions f on f.id = c.framework_id and f.status = 'published' where c.group_number = 2 and not c.retired order by c.number limit 2`,
  );
  if (!org[0] || !lead[0] || competencies.length < 2) return;
  await submitInHouseCourse(ctx.database, {
    organisationId: org[0].id,
    title: DEMO_TITLE,
    description: 'A half-day course the council runs for its housing officers.',
    learningOutcomes:
      'Recognise the signs of domestic abuse at a tenancy visit\nAsk about abuse safely and privately\nRefer to the local specialist service and record it',
    delivery: 'face-to-face',
    mappings: [
      { lineage: competencies[0].lineage, justification: 'Case studies from tenancy visits; officers practise spotting the signs.' },
      { lineage: competencies[1].lineage, justification: 'Role play of a routine enquiry, with the referral pathway to the local service.' },
    ],
    submittedBy: lead[0].id,
  });
}
