/**
 * Charts drawn on the server as SVG: no script, readable at a glance, each
 * with role="img" and a text alternative, and always beside a table of the
 * same figures. Colours meet 3:1 against white except the grey "other" part,
 * which carries no information of its own.
 */

import { type ShownPercent, WITHHELD } from './suppression';

export const COLOURS = { compliant: '#00703c', dueSoon: '#8a5a00', overdue: '#d4351c', other: '#b1b4b6', trend: '#1d70b8' } as const;

/** Every colour a compliance bar can show, named as its legend names it (page and PDF). */
export const STACKED_LEGEND = [
  ['Compliant', COLOURS.compliant],
  ['Due soon', COLOURS.dueSoon],
  ['Overdue', COLOURS.overdue],
  [`In induction, not started, or withheld (${WITHHELD})`, COLOURS.other],
] as const;
export const TREND_LEGEND = ['Share compliant', COLOURS.trend] as const;

export interface StackedRow {
  label: string;
  /** Nobody in this row: drawn as "no staff", not as hidden. */
  empty?: boolean;
  compliant: number | null;
  dueSoon: number | null;
  overdue: number | null;
}

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A share as text: withheld figures carry the one label, "[c]". */
const pct = (n: number | string | null) => (typeof n === 'number' ? `${n}%` : n == null ? WITHHELD : n);

/**
 * Each chart is drawn twice, for a wide column and for a phone, and the page's
 * CSS shows one: scaled down to a phone, the wide drawing's labels would be too small to read.
 */
type Layout = 'wide' | 'narrow';

/** The chart's opening: an image to assistive technology, named by its text alternative, scaling to the column. */
function svgOpen(alt: string, width: number, height: number, layout: Layout): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" class="board-chart board-chart--${layout}" role="img" aria-label="${esc(alt)}" viewBox="0 0 ${width} ${height}" width="100%" preserveAspectRatio="xMinYMin meet"><title>${esc(alt)}</title>`;
}

export function stackedRowText(r: StackedRow): string {
  if (r.empty) return `${r.label}: no staff`;
  if (r.compliant == null) return `${r.label}: ${WITHHELD} (withheld to protect individuals)`;
  return `${r.label}: ${pct(r.compliant)} compliant, ${pct(r.dueSoon)} due soon, ${pct(r.overdue)} overdue`;
}

/** One horizontal bar per row: compliant, due soon and overdue as shares of 100%. */
export function stackedBarChart(title: string, rows: StackedRow[]): string {
  return stackedBars(title, rows, 'wide') + stackedBars(title, rows, 'narrow');
}

function stackedBars(title: string, rows: StackedRow[], layout: Layout): string {
  // On a phone each label sits above its bar, so the bar can take the whole width.
  const narrow = layout === 'narrow';
  const labelWidth = narrow ? 0 : 220;
  const barWidth = narrow ? 270 : 360;
  const rowHeight = narrow ? 46 : 30;
  const barTop = narrow ? 20 : 4;
  const top = 56;
  const width = labelWidth + barWidth + (narrow ? 46 : 60);
  const height = top + rows.length * rowHeight + 10;
  const alt = `${title}. ${rows.map(stackedRowText).join('. ')}.`;
  const parts: string[] = [svgOpen(alt, width, height, layout)];
  // Legend: the three statuses on one line, the grey that fills the rest of a bar (or all of a withheld one) on the next.
  STACKED_LEGEND.forEach(([name, colour], i) => {
    const lx = labelWidth + (i < 3 ? i * (narrow ? 96 : 100) : 0);
    const ly = i < 3 ? 6 : 28;
    parts.push(
      `<rect x="${lx}" y="${ly}" width="14" height="14" fill="${colour}"/><text x="${lx + 18}" y="${ly + 12}" font-size="13" fill="#0b0c0c">${esc(name)}</text>`,
    );
  });
  rows.forEach((r, i) => {
    const y = top + i * rowHeight + (barTop - 4);
    const label = esc(r.label.length > 40 ? `${r.label.slice(0, 39)}…` : r.label);
    parts.push(
      narrow
        ? `<text x="0" y="${y - 2}" font-size="13" fill="#0b0c0c">${label}</text>`
        : `<text x="${labelWidth - 8}" y="${y + 18}" font-size="13" text-anchor="end" fill="#0b0c0c">${label}</text>`,
    );
    parts.push(`<rect x="${labelWidth}" y="${y + 4}" width="${barWidth}" height="20" fill="${COLOURS.other}"/>`);
    if (r.empty || r.compliant == null) {
      parts.push(
        `<text x="${labelWidth + 8}" y="${y + 18}" font-size="13" fill="#0b0c0c">${r.empty ? 'no staff' : `${WITHHELD} withheld to protect individuals`}</text>`,
      );
      return;
    }
    let x = labelWidth;
    for (const [value, colour] of [
      [r.compliant, COLOURS.compliant],
      [r.dueSoon, COLOURS.dueSoon],
      [r.overdue, COLOURS.overdue],
    ] as const) {
      if (value == null || value <= 0) continue;
      const w = Math.round((Math.min(value, 100) / 100) * barWidth);
      parts.push(`<rect x="${x}" y="${y + 4}" width="${w}" height="20" fill="${colour}"/>`);
      x += w;
    }
    parts.push(`<text x="${labelWidth + barWidth + 6}" y="${y + 18}" font-size="13" fill="#0b0c0c">${pct(r.compliant)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

export interface TrendPoint {
  label: string;
  /** A share compliant, or "[c]" when withheld. */
  value: ShownPercent;
}

/** Vertical bars, one per quarter: the share compliant. Drawn on the same width as the other charts. */
export function trendChart(title: string, points: TrendPoint[]): string {
  return trendBars(title, points, 'wide') + trendBars(title, points, 'narrow');
}

function trendBars(title: string, points: TrendPoint[], layout: Layout): string {
  const narrow = layout === 'narrow';
  const width = narrow ? 316 : 640;
  const left = 50;
  const top = 44;
  const chartHeight = 150;
  const height = top + chartHeight + 36;
  const slot = (width - left - 10) / Math.max(points.length, 1);
  const barWidth = Math.min(56, slot * 0.7);
  const alt = `${title}. ${points.map((p) => `${p.label}: ${pct(p.value)}`).join(', ')}.`;
  const parts: string[] = [
    svgOpen(alt, width, height, layout),
    `<line x1="${left}" y1="${top + chartHeight}" x2="${width - 10}" y2="${top + chartHeight}" stroke="#0b0c0c"/>`,
    `<text x="${left - 6}" y="${top + 5}" font-size="12" text-anchor="end" fill="#0b0c0c">100%</text>`,
    `<text x="${left - 6}" y="${top + chartHeight}" font-size="12" text-anchor="end" fill="#0b0c0c">0%</text>`,
    `<rect x="${narrow ? 0 : left}" y="4" width="14" height="14" fill="${TREND_LEGEND[1]}"/><text x="${(narrow ? 0 : left) + 18}" y="16" font-size="13" fill="#0b0c0c">${TREND_LEGEND[0]}${narrow ? ` (withheld: ${WITHHELD})` : `; a quarter withheld to protect individuals shows ${WITHHELD}`}</text>`,
  ];
  points.forEach((p, i) => {
    const x = left + i * slot + (slot - barWidth) / 2;
    if (typeof p.value === 'number') {
      const h = Math.round((Math.min(p.value, 100) / 100) * chartHeight);
      parts.push(`<rect x="${x}" y="${top + chartHeight - h}" width="${barWidth}" height="${h}" fill="${COLOURS.trend}"/>`);
    }
    parts.push(
      `<text x="${x + barWidth / 2}" y="${top + chartHeight - (typeof p.value === 'number' ? p.value : 0) * (chartHeight / 100) - 4}" font-size="12" text-anchor="middle" fill="#0b0c0c">${pct(p.value)}</text>`,
    );
    // "2026 Q3" on two lines on a phone, so nine quarters fit side by side.
    const [first, ...rest] = p.label.split(' ');
    parts.push(
      narrow && rest.length
        ? `<text x="${x + barWidth / 2}" y="${top + chartHeight + 16}" font-size="11" text-anchor="middle" fill="#0b0c0c"><tspan x="${x + barWidth / 2}">${esc(first)}</tspan><tspan x="${x + barWidth / 2}" dy="13">${esc(rest.join(' '))}</tspan></text>`
        : `<text x="${x + barWidth / 2}" y="${top + chartHeight + 18}" font-size="12" text-anchor="middle" fill="#0b0c0c">${esc(p.label)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('');
}
