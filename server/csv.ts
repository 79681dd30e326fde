import { stringify } from 'csv-stringify/sync';
import type { Response } from 'express';

/**
 * CSV for files people open in a spreadsheet (RFC 4180, CRLF line ends): the
 * one way the product writes CSV, downloads and exports alike.
 *
 * A cell that starts with = + - @, a tab or a carriage return is read by
 * Excel and LibreOffice as a formula, so a staff name such as
 * "=HYPERLINK(...)" typed into an import could run when a lead opens the
 * export. csv-stringify's escape_formulas gives such cells a leading
 * apostrophe, which spreadsheets show as text. Every value is made text first
 * (as String() writes it), so a number or a date is never re-formatted and a
 * negative number is guarded like any other cell starting with a minus.
 */
// quote_record_delimiter: a lone \n or \r in a cell is quoted too, not only the \r\n that ends a line.
const OPTIONS = { escape_formulas: true, record_delimiter: 'windows', quote_record_delimiter: true } as const;

const text = (value: unknown): string => (value === null || value === undefined ? '' : String(value));

/** One cell as it appears in a CSV line. */
export function csvCell(value: unknown): string {
  return stringify([[text(value)]], OPTIONS).slice(0, -2);
}

/** A whole CSV file: the header row, then one line per row. */
export function toCsv(header: string[], rows: unknown[][]): string {
  return stringify(
    [header, ...rows].map((row) => row.map(text)),
    OPTIONS,
  );
}

/** Send a CSV download. The byte order mark makes Excel read names with accents as UTF-8. */
export function sendCsv(res: Response, filename: string, header: string[], rows: unknown[][]): void {
  res.attachment(filename);
  res.type('text/csv; charset=utf-8');
  res.send(`\uFEFF${toCsv(header, rows)}`);
}
