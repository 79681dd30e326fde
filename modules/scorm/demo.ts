import fs from 'node:fs';
import path from 'node:path';
import type { ModuleContext } from '../../server/module';
import { createCourse } from '../courses/api';
import { SHIPPED_PACKAGES_DIR, shippedPackageZip } from './package-zip';
import { importPackage } from './service';

/** The project's own awareness module, scorm-packages/domestic-abuse-awareness/ (the identifier its imsmanifest.xml gives). */
const DEMO_PACKAGE = 'domestic-abuse-awareness';
const DEMO_PACKAGE_IDENTIFIER = 'org.example.vale-partnership.domestic-abuse-awareness';

const AWARENESS = {
  slug: 'domestic-abuse-awareness',
  title: 'Domestic abuse awareness',
  description: 'A short e-learning module for everyone in Group 1: what domestic abuse is, signs you might notice at work, and what to do.',
  lineages: ['g1c1', 'g1c2', 'g1c3', 'g1c4', 'g1c5', 'g1c6'],
};

const RESPONDING = {
  slug: 'responding-to-domestic-abuse',
  title: 'Responding to domestic abuse',
  description: 'A one-day face-to-face course for Group 2 staff: asking about abuse, responding safely, assessing risk and referring on. Complete the Group 1 awareness e-learning first.',
  lineages: ['g2c1', 'g2c2', 'g2c3', 'g2c4', 'g2c5'],
};

/** The demo catalogue: the project's own awareness module and the Group 2 course that follows it. Safe to run twice. */
export async function seedDemoScorm(ctx: ModuleContext): Promise<void> {
  const pool = ctx.database.pool;
  const ids = new Map<string, string>();
  for (const [course, group, delivery] of [
    [AWARENESS, 1, 'elearning'],
    [RESPONDING, 2, 'face-to-face'],
  ] as const) {
    const { rows } = await pool.query<{ id: string }>('select id from courses where slug = $1', [course.slug]);
    if (rows[0]) {
      ids.set(course.slug, rows[0].id);
      continue;
    }
    const id = await ctx.database.transaction((client) =>
      createCourse(client, {
        slug: course.slug,
        title: course.title,
        description: course.description,
        audience: 'professionals',
        delivery,
        groupNumbers: [group],
        passMark: delivery === 'elearning' ? 66 : null,
        validityMonths: 36,
        contentWarning: 'This course talks about domestic abuse. If it affects you, support is available: see “Get help with domestic abuse” at the foot of every page.',
        status: 'published',
        finishedAttempt: 'review-or-retake',
        competencyLineages: course.lineages,
        prerequisiteIds: course === RESPONDING && ids.get(AWARENESS.slug) ? [ids.get(AWARENESS.slug)!] : [],
      }),
    );
    ids.set(course.slug, id);
  }
  // Another module may have created the Group 2 course first; the prerequisite holds either way.
  await pool.query('insert into course_prerequisites (course_id, prerequisite_course_id) values ($1, $2) on conflict do nothing', [ids.get(RESPONDING.slug), ids.get(AWARENESS.slug)]);
  const { rows: pkg } = await pool.query('select 1 from scorm_packages p join scorm_package_versions v on v.package_id = p.id where p.identifier = $1', [DEMO_PACKAGE_IDENTIFIER]);
  if (pkg.length) return;
  const zip = shippedPackageZip(DEMO_PACKAGE);
  try {
    await importPackage(ctx, zip, { courseSlug: AWARENESS.slug });
  } finally {
    // A zip made from the sources just now (not the build's) was only for this import.
    if (path.dirname(zip) !== SHIPPED_PACKAGES_DIR) fs.rmSync(path.dirname(zip), { recursive: true, force: true });
  }
}
