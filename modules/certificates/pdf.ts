import type { Pool } from 'pg';
import type { CompetencySnapshot } from './store';
import { formatCode } from './codes';
import { longDate, productPdf } from '../../server/pdf';

// Loaded when the first certificate is drawn, not with this file (see server/pdf.ts).
const qrcode = () => require('qrcode') as typeof import('qrcode');

export interface CertificateForPrint {
  code: string;
  kind: 'course' | 'framework';
  personName: string;
  organisationName: string;
  achievement: string;
  competencies: CompetencySnapshot[];
  issuedOn: string;
  expiresOn: string | null;
  partnershipName: string;
  /** The partnership's own logo (PNG); a drawn emblem stands in when there is none. */
  logoPng?: Buffer;
}

export function verificationUrl(publicUrl: string, code: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/verify?code=${formatCode(code)}`;
}

const INK = '#0b0c0c';
const ACCENT = '#1d70b8';
const QUIET = '#505a5f';

/** The partnership's emblem, drawn as vectors so it prints sharply: linked hands of a circle around a heart-shaped shield. */
function drawEmblem(doc: PDFKit.PDFDocument, x: number, y: number, size: number): void {
  const r = size / 2;
  const cx = x + r;
  const cy = y + r;
  doc.save();
  doc.circle(cx, cy, r).lineWidth(2).strokeColor(ACCENT).stroke();
  doc
    .circle(cx, cy, r * 0.78)
    .lineWidth(0.8)
    .strokeColor(ACCENT)
    .stroke();
  for (let i = 0; i < 8; i++) {
    const a = (Math.PI * 2 * i) / 8;
    doc
      .circle(cx + Math.cos(a) * r * 0.89, cy + Math.sin(a) * r * 0.89, r * 0.06)
      .fillColor(ACCENT)
      .fill();
  }
  const s = r * 0.5;
  doc
    .moveTo(cx, cy + s)
    .bezierCurveTo(cx - s * 1.4, cy, cx - s * 0.9, cy - s * 1.1, cx, cy - s * 0.45)
    .bezierCurveTo(cx + s * 0.9, cy - s * 1.1, cx + s * 1.4, cy, cx, cy + s)
    .fillColor('#d4351c')
    .fill();
  doc.restore();
}

/** The QR code as filled squares, not a bitmap, so it scans from any printer. */
function drawQr(doc: PDFKit.PDFDocument, text: string, x: number, y: number, size: number): void {
  const qr = qrcode().create(text, { errorCorrectionLevel: 'M' });
  const n = qr.modules.size;
  const quiet = 2;
  const cell = size / (n + quiet * 2);
  doc.save();
  doc.rect(x, y, size, size).fillColor('#ffffff').fill();
  doc.fillColor('#000000');
  for (let row = 0; row < n; row++) {
    for (let col = 0; col < n; col++) {
      if (qr.modules.get(row, col)) doc.rect(x + (col + quiet) * cell, y + (row + quiet) * cell, cell + 0.05, cell + 0.05);
    }
  }
  doc.fill();
  doc.restore();
}

/** A4 landscape certificate as a PDF. */
export function renderCertificatePdf(cert: CertificateForPrint, publicUrl: string, pool: Pool): Promise<Buffer> {
  const { doc, done } = productPdf(
    {
      size: 'A4',
      layout: 'landscape',
      margin: 0,
      info: { Title: `${cert.achievement}: ${cert.personName}`, Author: cert.partnershipName, Subject: `Certificate ${formatCode(cert.code)}` },
    },
    pool,
  );

  const W = doc.page.width;
  const H = doc.page.height;
  const left = 64;
  const contentWidth = W - left * 2;
  doc
    .rect(20, 20, W - 40, H - 40)
    .lineWidth(3)
    .strokeColor(ACCENT)
    .stroke();
  doc
    .rect(28, 28, W - 56, H - 56)
    .lineWidth(0.8)
    .strokeColor(ACCENT)
    .stroke();

  if (cert.logoPng) doc.image(cert.logoPng, left, 48, { fit: [56, 56] });
  else drawEmblem(doc, left, 48, 56);
  doc
    .font('bold')
    .fontSize(14)
    .fillColor(INK)
    .text(cert.partnershipName, left + 70, 60, { width: contentWidth - 70, lineBreak: false });
  doc
    .font('body')
    .fontSize(10)
    .fillColor(QUIET)
    .text('Domestic abuse training', left + 70, 80, { width: contentWidth - 70, lineBreak: false });

  let y = 122;
  doc
    .font('bold')
    .fontSize(26)
    .fillColor(ACCENT)
    .text(cert.kind === 'framework' ? 'Certificate of competence' : 'Certificate of completion', left, y, { width: contentWidth, align: 'center' });
  y += 44;
  doc.font('body').fontSize(12).fillColor(QUIET).text('This certifies that', left, y, { width: contentWidth, align: 'center' });
  y += 20;
  doc.font('bold').fontSize(24).fillColor(INK).text(cert.personName, left, y, { width: contentWidth, align: 'center', height: 32, ellipsis: true });
  y += 34;
  doc.font('body').fontSize(12).fillColor(QUIET).text(`of ${cert.organisationName}`, left, y, { width: contentWidth, align: 'center' });
  y += 24;
  doc
    .font('body')
    .fontSize(12)
    .fillColor(QUIET)
    .text(cert.kind === 'framework' ? 'has evidenced every competency of' : 'has completed', left, y, { width: contentWidth, align: 'center' });
  y += 18;
  doc.font('bold').fontSize(18).fillColor(INK).text(cert.achievement, left, y, { width: contentWidth, align: 'center', height: 46, ellipsis: true });
  y += doc.heightOfString(cert.achievement, { width: contentWidth }) + 12;

  // Competencies covered: in one column while they fit at a readable size, else two, shrinking the type until they fit above the footer.
  const boxTop = y;
  const boxBottom = H - 152;
  if (cert.competencies.length) {
    doc.font('bold').fontSize(10).fillColor(INK).text('Competencies covered (Learning Development Framework)', left, boxTop, { width: contentWidth });
    const lines = cert.competencies.map((c) => `${c.groupNumber}.${c.number}  ${c.text}`).join('\n');
    const available = boxBottom - boxTop - 16;
    const gap = 18;
    const halfWidth = (contentWidth - gap) / 2;
    doc.font('body');
    let layout: { size: number; columns: 1 | 2 } = { size: 5, columns: 2 };
    for (let size = 9; size >= 7; size -= 0.5) {
      if (doc.fontSize(size).heightOfString(lines, { width: contentWidth, paragraphGap: 1 }) <= available) {
        layout = { size, columns: 1 };
        break;
      }
    }
    if (layout.columns === 2) {
      for (let size = 8.5; size >= 5; size -= 0.5) {
        // Two columns hold about half the height, plus the item that straddles the break.
        if (doc.fontSize(size).heightOfString(lines, { width: halfWidth, paragraphGap: 1 }) / 2 + size * 2.5 <= available) {
          layout = { size, columns: 2 };
          break;
        }
      }
    }
    doc
      .fontSize(layout.size)
      .fillColor(INK)
      .text(lines, left, boxTop + 14, {
        width: contentWidth,
        height: available,
        paragraphGap: 1,
        ellipsis: true,
        ...(layout.columns === 2 ? { columns: 2, columnGap: gap } : {}),
      });
  }

  // Footer: dates and code on the left, QR code on the right.
  const footerY = H - 136;
  const col = (label: string, value: string, x: number) => {
    doc.font('body').fontSize(9).fillColor(QUIET).text(label, x, footerY, { width: 170, lineBreak: false });
    doc
      .font('bold')
      .fontSize(13)
      .fillColor(INK)
      .text(value, x, footerY + 13, { width: 190, lineBreak: false });
  };
  col('Date of issue', longDate(cert.issuedOn), left);
  col('Valid until', cert.expiresOn ? longDate(cert.expiresOn) : 'No expiry date', left + 180);
  col('Verification code', formatCode(cert.code), left + 360);
  const url = verificationUrl(publicUrl, cert.code);
  doc
    .font('body')
    .fontSize(9)
    .fillColor(QUIET)
    .text(`Check this certificate at ${url.replace(/\?.*$/, '')} with its code, or scan the QR code.`, left, footerY + 44, {
      width: 540,
    });
  const qrSize = 104;
  drawQr(doc, url, W - left - qrSize, H - 48 - qrSize, qrSize);
  doc.link(W - left - qrSize, H - 48 - qrSize, qrSize, qrSize, url);

  doc.end();
  return done;
}
