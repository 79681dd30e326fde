/**
 * Certificate PDFs per second on one core: the product's own renderer
 * (A4 landscape, embedded fonts, emblem, QR code) over real certificates
 * from the data set, one after another in this process, against the floor of
 * a minimal pdfkit document with the same fonts and page size: one line of
 * text in DejaVu Sans on an A4 landscape page, the fonts parsed once as the
 * product parses them. The two take turns in short slices, so a busy machine
 * slows both alike and their ratio holds. The old floor (one line in pdfkit's
 * built-in Helvetica, nothing embedded) is reported beside it.
 */
import fs from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import * as fontkit from 'fontkit';
import PDFDocument from 'pdfkit';
import pg from 'pg';
import { PRODUCT_TYPES } from '../../server/db';
import { type CertificateForPrint, renderCertificatePdf } from '../../modules/certificates/pdf';
import { productFonts } from '../../server/pdf';
import { round } from './support';
import type { BenchContext, BenchResult } from './types';

const TARGET = 0.25;

function collect(doc: PDFKit.PDFDocument): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
}

/** One line of text in pdfkit's default Helvetica on its default page: the floor before issue 26. */
function helveticaPdf(text: string): Promise<Buffer> {
  const doc = new PDFDocument();
  const done = collect(doc);
  doc.text(text);
  doc.end();
  return done;
}

/** One line of text in the certificate's font, embedded as a subset, on an A4 landscape page. */
function sameFontsPdf(): (text: string) => Promise<Buffer> {
  const fonts = productFonts();
  const parse = (file: string) => (fonts.embedded ? fontkit.create(fs.readFileSync(file)) : file);
  const regular = parse(fonts.regular);
  const bold = parse(fonts.bold);
  return (text) => {
    const doc = new PDFDocument({ size: 'A4', layout: 'landscape', margin: 0 });
    const done = collect(doc);
    // pdfkit takes a parsed fontkit font as well as a path (its types list only paths and buffers).
    doc.registerFont('body', regular as string);
    doc.registerFont('bold', bold as string);
    doc.font('body').text(text, 64, 64);
    doc.end();
    return done;
  };
}

type Maker = (i: number) => Promise<Buffer>;

/** Each maker in turn for slices of a quarter of a second until `seconds` have passed: rates and mean sizes. */
async function inTurns(seconds: number, makers: Maker[]): Promise<{ rate: number; bytes: number }[]> {
  for (const make of makers) for (let i = 0; i < 5; i++) await make(i); // warm up
  const totals = makers.map(() => ({ ms: 0, n: 0, bytes: 0 }));
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    for (const [k, make] of makers.entries()) {
      const t = totals[k];
      const started = performance.now();
      while (performance.now() - started < 250) t.bytes += (await make(t.n++)).length;
      t.ms += performance.now() - started;
    }
  }
  return totals.map((t) => ({ rate: t.n / (t.ms / 1000), bytes: t.bytes / t.n }));
}

export async function run(ctx: BenchContext): Promise<BenchResult> {
  const pool = new pg.Pool({ connectionString: ctx.databaseUrl, max: 1, types: PRODUCT_TYPES });
  try {
    const { rows } = await pool.query<CertificateForPrint & { groupNumber: number | null }>(
      `select code, kind, person_name as "personName", organisation_name as "organisationName", achievement, competencies,
              issued_on as "issuedOn", expires_on as "expiresOn", partnership_name as "partnershipName", group_number as "groupNumber"
         from certificates order by code limit 200`,
    );
    // Certificates print the competencies they evidence; fill them from the framework where the row has none.
    const { rows: comps } = await pool.query<{ groupNumber: number; number: number; text: string }>(
      `select c.group_number as "groupNumber", c.number, c.text from competencies c join frameworks f on f.id = c.framework_id and f.status = 'published' order by 1, 2`,
    );
    for (const r of rows) if (!r.competencies?.length) r.competencies = comps.filter((c) => c.groupNumber === 1);
    const seconds = ctx.quick ? 6 : 30;
    const load = os.loadavg().map((n) => round(n, 2));
    const sameFonts = sameFontsPdf();
    const [product, floor, helvetica] = await inTurns(seconds, [
      (i) => renderCertificatePdf(rows[i % rows.length], 'https://training.vale-partnership.example', pool),
      (i) => sameFonts(`Certificate ${rows[i % rows.length].code}`),
      (i) => helveticaPdf(`Certificate ${rows[i % rows.length].code}`),
    ]);
    const ratio = round(product.rate / floor.rate, 3);
    ctx.log(
      `certificates ${product.rate.toFixed(1)}/s (${Math.round(product.bytes / 1024)} KB each); minimal pdfkit, same fonts and page ${floor.rate.toFixed(1)}/s; ratio ${ratio}; load average ${load.join(', ')}`,
    );
    return {
      id: 'certificate-pdf',
      title: 'Certificate PDFs per second on one core',
      target: `at least ${TARGET} of a minimal pdfkit document with the same fonts and page size`,
      met: ratio >= TARGET,
      figures: [
        { label: 'certificate PDFs per second (one core)', value: round(product.rate), unit: '/s' },
        { label: 'certificate size', value: Math.round(product.bytes / 1024), unit: 'KB' },
        { label: 'minimal pdfkit documents, same fonts and page size, per second (floor)', value: round(floor.rate), unit: '/s' },
        { label: 'minimal pdfkit documents in built-in Helvetica per second (the earlier floor)', value: round(helvetica.rate), unit: '/s' },
        { label: 'certificates per hour on one core', value: Math.round(product.rate * 3600), unit: '/h' },
      ],
      ratios: [
        { label: 'certificate PDFs per second / minimal pdfkit documents with the same fonts and page size per second', value: ratio },
        { label: 'certificate PDFs per second / minimal Helvetica pdfkit documents per second', value: round(product.rate / helvetica.rate, 3) },
      ],
      notes: [
        `${rows.length} real certificates from the data set rendered in turn in one Node process (one core), after 5 warm-up renders, taking turns with the two floors in quarter-second slices for ${seconds} s in all; load average ${load.join(', ')} as it began.`,
        'The floor is one line of DejaVu Sans (the certificate font, parsed once, embedded as a subset) on an A4 landscape page; the earlier floor, one line of built-in Helvetica, is beside it.',
      ],
    };
  } finally {
    await pool.end();
  }
}
