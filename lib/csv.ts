import type { LogRecord } from './messages';

/**
 * RFC 4180 CSV for the findings-log export. Page URLs come from pages the reader visited, so any
 * text field is treated as hostile: quoted when needed, and kept from being read as a spreadsheet
 * formula (OWASP "CSV injection").
 */

export type CsvValue = string | number;

const FORMULA_START = /^[=+\-@\t\r]/;

export function csvField(value: CsvValue): string {
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(rows: readonly (readonly CsvValue[])[]): string {
  return rows.map((row) => `${row.map(csvField).join(',')}\r\n`).join('');
}

export const LOG_CSV_HEADER = ['time', 'page_url', 'entry', 'kind', 'strength'] as const;

function isoTime(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString();
}

/**
 * One row per finding. Strength is written "3 of 40", not "3/40", which spreadsheets turn into a date.
 */
export function logToCsv(records: readonly LogRecord[]): string {
  return toCsv([
    LOG_CSV_HEADER,
    ...records.map((r) => [isoTime(r.time), r.pageUrl, r.entry, r.kind, `${r.matched} of ${r.total}`]),
  ]);
}
