import type { Pool } from 'pg';
import { productPdf } from '../../server/pdf';
import type { SubjectAccess } from './store';

function show(value: unknown): string {
  if (value === null || value === undefined || value === '') return '–';
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** The subject access export as a readable A4 document: the same content as the JSON, one section per kind of record. */
/** `pool`: the product's database pool, which keeps its parsed fonts. */
export function renderSubjectAccessPdf(data: SubjectAccess, partnershipName: string, pool: Pool): Promise<Buffer> {
  const { doc, done } = productPdf({ size: 'A4', margin: 50, info: { Title: `Information held about ${data.person.name}`, Author: partnershipName } }, pool);
  const heading = (text: string) => doc.moveDown(0.6).font('bold').fontSize(13).text(text).moveDown(0.2);
  const row = (record: Record<string, unknown>) => {
    for (const [key, value] of Object.entries(record)) doc.font('bold').fontSize(9).text(`${key}: `, { continued: true }).font('body').text(show(value));
    doc.moveDown(0.4);
  };
  const section = (title: string, rows: Record<string, unknown>[]) => {
    heading(`${title} (${rows.length})`);
    if (!rows.length) doc.font('body').fontSize(9).text('None held.');
    for (const r of rows) row(r);
  };

  doc.font('bold').fontSize(18).text(`Information held about ${data.person.name}`);
  doc
    .font('body')
    .fontSize(10)
    .text(`${data.person.organisation}. Prepared by ${partnershipName} on ${data.generatedAt.slice(0, 10)} in answer to a subject access request.`);
  heading('Staff record');
  row(data.staffRecord);
  section('Sign-in account', data.account ? [data.account] : []);
  for (const [table, rows] of Object.entries(data.records)) section(table.replace(/_/g, ' '), rows);
  section('e-learning progress (SCORM data)', data.scormState);
  section('Emails', data.emails);
  section('Audit log entries', data.audit);
  doc.end();
  return done;
}
