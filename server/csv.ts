import type { Response } from 'express';

/**
 * CSV for downloads people open in a spreadsheet (RFC 4180, CRLF line ends).
 *
 * A cell that starts with = + - @, a tab or a carriage return is read by
 * Excel and LibreOffice as a formula, so a staff name such as
 * "=HYPERLINK(...)" typed into an import could run when a lead opens the
 * export. Such cells get a leading apostrophe, which spreadsheets show as text.
 */
export function csvCell(value: unknown): string {
  let text = value === null || value === undefined ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A whole CSV file: the header row, then one line per row. */
export function toCsv(header: string[], rows: unknown[][]): string {
  return [header, ...rows].map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

/** Send a CSV download. The byte order mark makes Excel read names with accents as UTF-8. */
export function sendCsv(res: Response, filename: string, header: string[], rows: unknown[][]): void {
  res.attachment(filename);
  res.type('text/csv; charset=utf-8');
  res.send(`\uFEFF${toCsv(header, rows)}`);
}
