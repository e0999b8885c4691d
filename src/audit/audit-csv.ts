import { canonicalJson, type AuditEvent } from './audit-event.js';

/** Column order of the CSV export; `details` is its canonical JSON. */
export const CSV_COLUMNS = ['seq', 'at', 'actor', 'action', 'subject', 'outcome', 'details', 'prevHash', 'hash'] as const;

/** Makes spreadsheets read the file as UTF-8 (Excel guesses a legacy code page without it). */
export const UTF8_BOM = '\uFEFF';

// Spreadsheets evaluate a cell that starts with one of these as a formula
// (OWASP "CSV injection"); tab and CR are included because some programs
// strip them and then see the next character.
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One CSV field: a cell that a spreadsheet would run as a formula gets a
 * leading apostrophe (shown as text, never evaluated), then RFC 4180
 * quoting when it holds a comma, quote, CR or LF (quotes doubled).
 */
export function csvCell(value: string | number): string {
  let text = String(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One CSV record, CRLF-terminated as RFC 4180 asks. */
function csvRow(values: (string | number)[]): string {
  return `${values.map(csvCell).join(',')}\r\n`;
}

/** The first bytes of an export: BOM and header row. */
export function csvHeader(): string {
  return UTF8_BOM + csvRow([...CSV_COLUMNS]);
}

/** An event as one CSV record. */
export function eventCsvRow(e: AuditEvent): string {
  return csvRow([e.seq, e.at, e.actor, e.action, e.subject, e.outcome, canonicalJson(e.details), e.prevHash, e.hash]);
}
