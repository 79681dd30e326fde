import type { Pool } from 'pg';
import { longDate, productPdf } from '../../server/pdf';
import { COLOURS, STACKED_LEGEND, TREND_LEGEND } from './charts';
import { boardHeadlines } from './headlines';
import { ROUNDING_BASE, type ShownFigure, type ShownPercent, WITHHELD } from './suppression';
import type { BoardView, EntityFigures, FigureRow } from './view';

export interface BoardReport {
  partnershipName: string;
  quarterId: string;
  quarterLabel: string;
  view: BoardView;
  commentary: string[];
  trend: { label: string; value: ShownPercent }[];
}

const INK = '#0b0c0c';
const QUIET = '#505a5f';
const show = (f: ShownFigure) => String(f);
const pct = (n: ShownPercent) => (typeof n === 'number' ? `${n}%` : n === WITHHELD ? WITHHELD : '–');
const csvPct = (n: ShownPercent) => (n == null ? '' : String(n));

/** The method in one sentence, as on the board pages. */
export function methodText(threshold: number): string {
  return `To protect individuals, counts from 1 to ${threshold - 1} are withheld and shown as ${WITHHELD}; every other count is rounded to the nearest ${ROUNDING_BASE}, and totals are the sums of the rounded counts, so they may differ a little from the true totals. Percentages are worked out from the rounded counts.`;
}

export const BOARD_CSV_HEADER = [
  'level',
  'name',
  'group',
  'on_system',
  'compliant',
  'due_soon',
  'overdue',
  'in_induction',
  'not_started',
  'compliant_percent',
  'declared_headcount',
  'compliant_of_declared_percent',
];

function csvRows(level: string, e: EntityFigures): string[][] {
  return [e.total, ...e.groups].map((r) => [
    level,
    e.name,
    r === e.total ? 'all' : r.label.replace('Group ', ''),
    show(r.onSystem),
    show(r.compliant),
    show(r.dueSoon),
    show(r.overdue),
    show(r.inInduction),
    show(r.notStarted),
    csvPct(r.compliantPercent),
    r.declared == null ? '' : String(r.declared),
    csvPct(r.compliantOfDeclaredPercent),
  ]);
}

/** The quarter's figures for the CSV (under BOARD_CSV_HEADER): one row per partnership, sector and organisation by group, suppressed as on screen. */
export function boardCsvRows(view: BoardView): string[][] {
  const rows = [
    ...csvRows('partnership', view.partnership),
    ...view.sectors.flatMap((s) => csvRows('sector', s)),
    ...view.organisations.flatMap((o) => csvRows('organisation', o)),
  ];
  rows.push(['learning', 'E-learning modules completed', 'all', show(view.elearning.completions), '', '', '', '', '', '', '', '']);
  rows.push(['learning', 'Face-to-face sessions run', 'all', String(view.faceToFace.sessionsRun), '', '', '', '', '', '', '', '']);
  rows.push(['learning', 'Face-to-face places filled', 'all', show(view.faceToFace.placesFilled), '', '', '', '', '', '', '', '']);
  rows.push(['learning', 'Agencies represented', 'all', show(view.faceToFace.agenciesRepresented), '', '', '', '', '', '', '', '']);
  return rows;
}

/** The quarterly board report: A4 portrait, commentary, charts as vector shapes, and the same figures as tables. */
/** `pool`: the product's database pool, which keeps its parsed fonts. */
export function renderBoardReportPdf(report: BoardReport, pool: Pool): Promise<Buffer> {
  const { doc, done } = productPdf(
    {
      size: 'A4',
      margin: 50,
      info: { Title: `Board report ${report.quarterId}`, Author: report.partnershipName, Subject: 'Domestic abuse training coverage' },
    },
    pool,
  );
  const left = 50;
  const width = doc.page.width - 100;
  const bottom = doc.page.height - 60;
  const { view } = report;
  const room = (h: number) => {
    if (doc.y + h > bottom) doc.addPage();
  };
  const heading = (text: string) => {
    room(60);
    doc.moveDown(0.8).font('bold').fontSize(14).fillColor(INK).text(text, left, doc.y, { width });
    doc.moveDown(0.3);
  };

  doc.font('bold').fontSize(20).fillColor(INK).text(report.partnershipName, left, 50, { width });
  doc.font('bold').fontSize(16).text(`Board report for ${report.quarterLabel}`, { width });
  doc.font('body').fontSize(12).text('Domestic abuse training coverage', { width });
  doc
    .font('body')
    .fontSize(10)
    .fillColor(QUIET)
    .text(`Figures as at ${longDate(view.asOf)}. Learning activity from ${longDate(view.periodStart)} to ${longDate(view.periodEnd)}.`, { width });
  doc.text(methodText(view.threshold), { width });

  heading('Headline figures');
  const previous = report.trend.length > 1 ? report.trend[report.trend.length - 2] : undefined;
  for (const h of boardHeadlines(view.partnership.total, previous)) {
    doc.font('bold').fontSize(11).fillColor(INK).text(`${h.label}: ${h.value}`, left, doc.y, { width });
    doc.font('body').fontSize(9).fillColor(QUIET).text(h.detail, left, doc.y, { width, paragraphGap: 4 });
  }

  heading('Biggest changes since the previous quarter');
  doc.font('body').fontSize(10).fillColor(INK);
  for (const s of report.commentary) doc.text(`•  ${s}`, left, doc.y, { width, paragraphGap: 3 });

  // Chart: share compliant, due soon and overdue by staff group (stacked horizontal bars).
  heading('Compliance by staff group');
  const chartRows = [view.partnership.total, ...view.partnership.groups];
  const labelW = 110;
  const barW = width - labelW - 50;
  room(chartRows.length * 22 + 30);
  let y = doc.y;
  STACKED_LEGEND.forEach(([name, colour], i) => {
    const lx = left + labelW + (i < 3 ? i * 90 : 0);
    const ly = i < 3 ? y : y + 14;
    doc.rect(lx, ly, 9, 9).fillColor(colour).fill();
    doc
      .font('body')
      .fontSize(9)
      .fillColor(INK)
      .text(name, lx + 13, ly, { lineBreak: false });
  });
  y += 32;
  for (const r of chartRows) {
    doc
      .font('body')
      .fontSize(9)
      .fillColor(INK)
      .text(r.label, left, y + 3, { width: labelW - 8, lineBreak: false });
    doc
      .rect(left + labelW, y, barW, 14)
      .fillColor(COLOURS.other)
      .fill();
    if (r.onSystem === 0 || typeof r.compliantPercent !== 'number') {
      doc.fillColor(INK).text(r.onSystem === 0 ? 'no staff' : WITHHELD, left + labelW + 4, y + 3, { lineBreak: false });
    } else {
      let x = left + labelW;
      for (const [value, colour] of [
        [r.compliantPercent, COLOURS.compliant],
        [r.dueSoonPercent, COLOURS.dueSoon],
        [r.overduePercent, COLOURS.overdue],
      ] as const) {
        if (typeof value !== 'number' || !value) continue;
        const w = (Math.min(value, 100) / 100) * barW;
        doc.rect(x, y, w, 14).fillColor(colour).fill();
        x += w;
      }
      doc.fillColor(INK).text(pct(r.compliantPercent), left + labelW + barW + 6, y + 3, { lineBreak: false });
    }
    y += 22;
  }
  doc.y = y;
  doc.x = left;
  table(['Group', 'On system', 'Compliant', 'Due soon', 'Overdue', '% compliant', 'Declared', '% of declared'], chartRows.map(rowCells));

  if (report.trend.length > 1) {
    heading('Share compliant by quarter');
    room(166);
    doc
      .rect(left + 30, doc.y, 9, 9)
      .fillColor(TREND_LEGEND[1])
      .fill();
    doc
      .font('body')
      .fontSize(9)
      .fillColor(INK)
      .text(`${TREND_LEGEND[0]}; a quarter withheld to protect individuals shows ${WITHHELD}`, left + 43, doc.y, { lineBreak: false });
    const top = doc.y + 20;
    const h = 100;
    const bw = Math.min(50, (width - 40) / report.trend.length - 12);
    doc
      .moveTo(left + 30, top + h)
      .lineTo(left + width, top + h)
      .strokeColor(INK)
      .lineWidth(0.8)
      .stroke();
    report.trend.forEach((p, i) => {
      const x = left + 40 + i * (bw + 12);
      if (typeof p.value === 'number') {
        const bh = (Math.min(p.value, 100) / 100) * h;
        doc
          .rect(x, top + h - bh, bw, bh)
          .fillColor(COLOURS.trend)
          .fill();
      }
      doc
        .font('body')
        .fontSize(8)
        .fillColor(INK)
        .text(pct(p.value), x, top + h - ((typeof p.value === 'number' ? p.value : 0) / 100) * h - 11, { width: bw, align: 'center', lineBreak: false });
      doc.text(p.label, x - 6, top + h + 4, { width: bw + 12, align: 'center', lineBreak: false });
    });
    doc.y = top + h + 24;
    doc.x = left;
    table(
      ['Quarter', '% compliant'],
      report.trend.map((p) => [p.label, pct(p.value)]),
    );
  }

  heading('By sector');
  table(
    ['Sector', 'On system', 'Compliant', 'Due soon', 'Overdue', '% compliant', 'Declared', '% of declared'],
    view.sectors.map((s) => rowCells({ ...s.total, label: s.name })),
  );
  heading('By organisation');
  table(
    ['Organisation', 'On system', 'Compliant', 'Due soon', 'Overdue', '% compliant', 'Declared', '% of declared'],
    view.organisations.map((o) => rowCells({ ...o.total, label: o.name })),
  );
  heading('Learning activity in the quarter');
  table(
    ['Measure', 'Number'],
    [
      ['E-learning modules completed', show(view.elearning.completions)],
      ...view.elearning.byCourse.map((c) => [`  ${c.title}`, show(c.completions)]),
      ['Face-to-face sessions run', String(view.faceToFace.sessionsRun)],
      ['Places filled', show(view.faceToFace.placesFilled)],
      ['Agencies represented', show(view.faceToFace.agenciesRepresented)],
    ],
  );

  doc.end();
  return done;

  function rowCells(r: FigureRow): string[] {
    return [
      r.label,
      show(r.onSystem),
      show(r.compliant),
      show(r.dueSoon),
      show(r.overdue),
      pct(r.compliantPercent),
      r.declared == null ? 'not declared' : String(r.declared),
      pct(r.compliantOfDeclaredPercent),
    ];
  }

  function table(header: string[], rows: string[][]): void {
    const first = header.length > 2 ? 120 : 300;
    const other = header.length > 1 ? (width - first) / (header.length - 1) : 0;
    const colX = (i: number) => left + (i === 0 ? 0 : first + (i - 1) * other);
    const colW = (i: number) => (i === 0 ? first : other) - 4;
    const line = (cells: string[], bold: boolean) => {
      doc.font(bold ? 'bold' : 'body').fontSize(8);
      const h = Math.max(...cells.map((c, i) => doc.heightOfString(c, { width: colW(i) }))) + 4;
      room(h);
      const top = doc.y;
      cells.forEach((c, i) => {
        doc.fillColor(INK).text(c, colX(i), top + 2, { width: colW(i), align: i === 0 ? 'left' : 'right' });
      });
      doc
        .moveTo(left, top + h)
        .lineTo(left + width, top + h)
        .strokeColor('#b1b4b6')
        .lineWidth(0.5)
        .stroke();
      doc.y = top + h;
    };
    line(header, true);
    for (const r of rows) line(r, false);
    doc.x = left;
  }
}
