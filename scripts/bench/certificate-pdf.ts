/**
 * Certificate PDFs per second on one core: the product's own renderer
 * (A4 landscape, embedded fonts, emblem, QR code) over real certificates
 * from the data set, one after another in this process, against the floor of
 * a minimal pdfkit document (one line of text) made the same way.
 */
import { performance } from 'node:perf_hooks';
import PDFDocument from 'pdfkit';
import pg from 'pg';
import { PRODUCT_TYPES } from '../../server/db';
import { type CertificateForPrint, renderCertificatePdf } from '../../modules/certificates/pdf';
import { round } from './support';
import type { BenchContext, BenchResult } from './types';

function minimalPdf(text: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument();
    const chunks: Buffer[] = [];
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
    doc.text(text);
    doc.end();
  });
}

async function perSecond(seconds: number, make: (i: number) => Promise<Buffer>): Promise<{ rate: number; bytes: number }> {
  for (let i = 0; i < 5; i++) await make(i); // warm up
  const started = performance.now();
  let n = 0;
  let bytes = 0;
  while (performance.now() - started < seconds * 1000) bytes += (await make(n++)).length;
  return { rate: n / ((performance.now() - started) / 1000), bytes: bytes / n };
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
    const seconds = ctx.quick ? 3 : 10;
    const product = await perSecond(seconds, (i) => renderCertificatePdf(rows[i % rows.length], 'https://training.vale-partnership.example', pool));
    const floor = await perSecond(seconds, (i) => minimalPdf(`Certificate ${rows[i % rows.length].code}`));
    const ratio = round(product.rate / floor.rate, 3);
    ctx.log(`certificates ${product.rate.toFixed(1)}/s (${Math.round(product.bytes / 1024)} KB each); minimal pdfkit ${floor.rate.toFixed(1)}/s; ratio ${ratio}`);
    return {
      id: 'certificate-pdf',
      title: 'Certificate PDFs per second on one core',
      target: 'no number in the issue; reported with its ratio to a minimal pdfkit document',
      met: true,
      figures: [
        { label: 'certificate PDFs per second (one core)', value: round(product.rate), unit: '/s' },
        { label: 'certificate size', value: Math.round(product.bytes / 1024), unit: 'KB' },
        { label: 'minimal pdfkit documents per second (floor)', value: round(floor.rate), unit: '/s' },
        { label: 'certificates per hour on one core', value: Math.round(product.rate * 3600), unit: '/h' },
      ],
      ratios: [{ label: 'certificate PDFs per second / minimal pdfkit documents per second', value: ratio }],
      notes: [`${rows.length} real certificates from the data set rendered in turn for ${seconds} s in one Node process (one core), after 5 warm-up renders; the floor is a one-line pdfkit document made the same way.`],
    };
  } finally {
    await pool.end();
  }
}
