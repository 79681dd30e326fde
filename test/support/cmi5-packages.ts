import fs from 'node:fs';
import { importCmi5 } from '../../modules/cmi5/service';
import { createCourse } from '../../modules/courses/store';
import type { TestServer } from './server';
import { rawZip } from './zip';

/** The third-party cmi5 client (@xapi/cmi5), as its browser build, which test AUs load. */
export const CMI5_CLIENT = fs.readFileSync(require.resolve('@xapi/cmi5/dist/Cmi5.umd.js'));

export interface TestAu {
  id: string;
  title: string;
  moveOn?: string;
  masteryScore?: string;
  /** Written as the AU's <url>; a relative one is a file of the zip. */
  url?: string;
}

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');

/** A cmi5.xml for a course of these AUs; `extra` goes inside <courseStructure> as written. */
export function cmi5Xml(courseId: string, title: string, aus: TestAu[], extra = ''): string {
  return `<?xml version="1.0" encoding="utf-8"?>
<courseStructure xmlns="https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd">
  <course id="${xml(courseId)}"><title><langstring lang="en-GB">${xml(title)}</langstring></title><description><langstring lang="en-GB">A test course</langstring></description></course>
  ${aus
    .map(
      (a) => `<au id="${xml(a.id)}"${a.moveOn ? ` moveOn="${a.moveOn}"` : ''}${a.masteryScore ? ` masteryScore="${a.masteryScore}"` : ''}>
    <title><langstring lang="en-GB">${xml(a.title)}</langstring></title><description><langstring lang="en-GB">Part</langstring></description>
    <url>${xml(a.url ?? 'au/index.html')}</url></au>`,
    )
    .join('\n  ')}
  ${extra}
</courseStructure>`;
}

/**
 * An AU that does no more than load the cmi5 client with the launch URL it
 * was given and leave it as `window.au`; the test drives it as a learner's
 * clicks would drive a real AU, through the library's own calls.
 */
export const AU_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Test AU</title><script src="Cmi5.umd.js"></script></head>
<body><h1>Test AU</h1><script>window.au = new Cmi5();</script></body></html>`;

/** A cmi5 zip: cmi5.xml at the top and one AU page with the client beside it. */
export function cmi5Zip(
  dir: string,
  courseId: string,
  title: string,
  aus: TestAu[],
  extraEntries: { name: string; content: string | Buffer; mode?: number; claimedSize?: number; deflate?: boolean }[] = [],
): string {
  return rawZip(dir, [
    { name: 'cmi5.xml', content: cmi5Xml(courseId, title, aus) },
    { name: 'au/index.html', content: AU_HTML },
    { name: 'au/Cmi5.umd.js', content: CMI5_CLIENT, deflate: true },
    ...extraEntries,
  ]);
}

/**
 * A published e-learning course for groups 1 and 2, evidencing competency
 * 1.1, whose content is a cmi5 zip of these AUs (course id
 * https://example.org/courses/SLUG).
 */
export async function addCmi5Course(server: TestServer, dir: string, slug: string, title: string, aus: TestAu[]): Promise<void> {
  await server.product.database.transaction((client) =>
    createCourse(client, {
      slug,
      title,
      description: '',
      audience: 'professionals',
      delivery: 'elearning',
      groupNumbers: [1, 2],
      passMark: null,
      validityMonths: null,
      contentWarning: null,
      status: 'published',
      finishedAttempt: 'review-or-retake',
      competencyLineages: ['g1c1'],
      prerequisiteIds: [],
    }),
  );
  await importCmi5({ config: server.product.config, database: server.product.database }, cmi5Zip(dir, `https://example.org/courses/${slug}`, title, aus), {
    courseSlug: slug,
  });
}
