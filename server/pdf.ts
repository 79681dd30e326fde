import fs from 'node:fs';
import type * as fontkit from 'fontkit';
import { DateTime } from 'luxon';
import type { Pool } from 'pg';
import { keptBy, keptPerProduct } from './cache';

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

/**
 * The product's fonts parsed once per product (kept with its database pool,
 * server/cache.ts): parsing a 700 KB TrueType file (and the layout tables
 * fontkit reads as text is set) cost most of each certificate's time. pdfkit
 * takes the parsed font and makes its own subset per document, so sharing it
 * between documents changes nothing printed.
 */
const PARSED_FONTS = keptPerProduct('parsed PDF fonts', (): { regular: ParsedFont | string; bold: ParsedFont | string } => {
  const fonts = productFonts();
  const open = (path: string) => rememberGlyphOutlines(rememberLayouts(lazy.fontkit().create(fs.readFileSync(path)) as ParsedFont));
  return fonts.embedded ? { regular: open(fonts.regular), bold: open(fonts.bold) } : { regular: fonts.regular, bold: fonts.bold };
});

/**
 * Shaping a word (fontkit's layout: glyphs, ligatures, kerning) gives the same
 * result in every PDF, and the certificate measures most of its words many
 * times (each size it tries for the competencies); pdfkit remembers them only
 * within one document. Remembered here with the parsed font, up to a bound.
 * pdfkit scales the positions it is given in place, so each call gets its own.
 */
function rememberLayouts(font: ParsedFont, limit = 20_000): ParsedFont {
  const runs = new Map<string, fontkit.GlyphRun>();
  const layout = font.layout.bind(font);
  font.layout = (text, features, ...rest) => {
    if (features !== undefined || rest.length) return layout(text, features, ...rest);
    let run = runs.get(text);
    if (!run) {
      if (runs.size >= limit) runs.clear();
      run = layout(text);
      runs.set(text, run);
    }
    const positions = run.positions.map((p) => Object.assign(Object.create(Object.getPrototypeOf(p)), p));
    return Object.assign(Object.create(Object.getPrototypeOf(run)), run, { positions });
  };
  return font;
}

/**
 * pdfkit writes into each PDF a subset of the font with just the glyphs it
 * uses, and fontkit decodes every such glyph's outline again for each PDF
 * only to see whether it is made of other glyphs. The outline never changes
 * (these are not variable fonts, whose outlines depend on settings), so it is
 * decoded once per glyph of the parsed font.
 */
function rememberGlyphOutlines(font: ParsedFont): ParsedFont {
  type Decodable = fontkit.Glyph & { _decode?: () => unknown };
  if ((font as { _variationProcessor?: unknown })._variationProcessor) return font;
  const getGlyph = font.getGlyph.bind(font);
  const remembered = new WeakSet<object>();
  font.getGlyph = (id, codePoints) => {
    const glyph = getGlyph(id, codePoints) as Decodable;
    const decode = glyph._decode;
    if (typeof decode === 'function' && !remembered.has(glyph)) {
      remembered.add(glyph);
      let outline: { value: unknown } | undefined;
      glyph._decode = () => {
        outline ??= { value: decode.call(glyph) };
        return outline.value;
      };
    }
    return glyph;
  };
  return font;
}

export function longDate(date: string): string {
  return DateTime.fromISO(date, { zone: 'utc' }).toFormat('d LLLL yyyy');
}

/**
 * A PDF in the product's fonts ('body' and 'bold', parsed once per product:
 * `pool` is its database pool),
 * with the bytes it writes collected into `done`. Certificates, the board
 * report and subject access exports all start here.
 */
export function productPdf(options: PDFKit.PDFDocumentOptions, pool: Pool): { doc: PDFKit.PDFDocument; done: Promise<Buffer> } {
  const fonts = keptBy(pool, PARSED_FONTS);
  const PDFDocument = lazy.PDFDocument();
  // No starting font of pdfkit's own, which would parse Helvetica's metrics
  // for every document only to be replaced: the body font is the start.
  const doc = new PDFDocument({ font: null as unknown as string, ...options });
  // pdfkit accepts a parsed fontkit font as well as a path (its types list only paths and buffers).
  doc.registerFont('body', fonts.regular as string);
  doc.registerFont('bold', fonts.bold as string);
  doc.font('body');
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  return { doc, done };
}
