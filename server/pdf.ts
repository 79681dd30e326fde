import fs from 'node:fs';
import type * as fontkit from 'fontkit';
import { DateTime } from 'luxon';

// Loaded when the first PDF is made, not with this file: pdfkit and fontkit
// take a good part of a second to load, and the server starts without them.
const lazy = {
  fontkit: () => require('fontkit') as typeof import('fontkit'),
  PDFDocument: () => require('pdfkit') as typeof import('pdfkit'),
};

/**
 * Fonts embedded in every PDF the product makes (certificates, the board
 * report, subject access exports), so the text is real, selectable and
 * prints the same everywhere. DejaVu Sans comes from Debian's
 * fonts-dejavu-core (installed by .ci/run); Liberation Sans is the second
 * choice; pdfkit's built-in Helvetica (not embedded) is the last resort.
 */
const FONT_CANDIDATES = [
  { regular: '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf', bold: '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf' },
  { regular: '/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf', bold: '/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf' },
];

export function productFonts(): { regular: string; bold: string; embedded: boolean } {
  const found = FONT_CANDIDATES.find((f) => fs.existsSync(f.regular) && fs.existsSync(f.bold));
  return found ? { ...found, embedded: true } : { regular: 'Helvetica', bold: 'Helvetica-Bold', embedded: false };
}

type ParsedFont = fontkit.Font;
let parsedFonts: { regular: ParsedFont | string; bold: ParsedFont | string } | null = null;

/**
 * The product's fonts parsed once per process: parsing a 700 KB TrueType
 * file (and the layout tables fontkit reads as text is set) cost most of each
 * certificate's time. pdfkit takes the parsed font and makes its own subset
 * per document, so sharing it between documents changes nothing printed.
 */
function loadedFonts(): { regular: ParsedFont | string; bold: ParsedFont | string } {
  if (!parsedFonts) {
    const fonts = productFonts();
    const open = (path: string) => lazy.fontkit().create(fs.readFileSync(path)) as ParsedFont;
    parsedFonts = fonts.embedded ? { regular: open(fonts.regular), bold: open(fonts.bold) } : { regular: fonts.regular, bold: fonts.bold };
  }
  return parsedFonts;
}

export function longDate(date: string): string {
  return DateTime.fromISO(date, { zone: 'utc' }).toFormat('d LLLL yyyy');
}

/**
 * A PDF in the product's fonts ('body' and 'bold', parsed once per process),
 * with the bytes it writes collected into `done`. Certificates, the board
 * report and subject access exports all start here.
 */
export function productPdf(options: PDFKit.PDFDocumentOptions): { doc: PDFKit.PDFDocument; done: Promise<Buffer> } {
  const fonts = loadedFonts();
  const PDFDocument = lazy.PDFDocument();
  const doc = new PDFDocument(options);
  // pdfkit accepts a parsed fontkit font as well as a path (its types list only paths and buffers).
  doc.registerFont('body', fonts.regular as string);
  doc.registerFont('bold', fonts.bold as string);
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  return { doc, done };
}

