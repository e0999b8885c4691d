import { describe, expect, it } from 'vitest';
import { chainEvents, GENESIS_HASH } from '../../../src/audit/audit-event.js';
import { CSV_COLUMNS, csvCell, csvHeader, eventCsvRow, UTF8_BOM } from '../../../src/audit/audit-csv.js';
import { parseCsv } from '../../support/parse-csv.js';

describe('CSV export cells', () => {
  it('leaves plain text alone', () => {
    expect(csvCell('request.filed')).toBe('request.filed');
    expect(csvCell(42)).toBe('42');
  });

  it('quotes commas, quotes and line breaks, doubling quotes (RFC 4180)', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell('cr\rlf')).toBe('"cr\rlf"');
  });

  it('defuses cells a spreadsheet would run as a formula', () => {
    for (const evil of ['=HYPERLINK("http://x","y")', '+1+1', '-2+3', '@SUM(A1)', '\t=1', '\r=1']) expect(csvCell(evil).replace(/^"/, '')).toMatch(/^'/);
    expect(csvCell('=1,2')).toBe(`"'=1,2"`);
    expect(csvCell('a=b')).toBe('a=b');
  });
});

describe('a CSV export', () => {
  it('starts with a UTF-8 BOM and the header, and reads back to the same values', () => {
    const [e] = chainEvents(
      { seq: 0, hash: GENESIS_HASH },
      [
        {
          actor: '=cmd|"/c calc"!A1',
          action: 'request.filed',
          subject: 'request:req_1',
          outcome: 'success',
          details: { note: 'line1\nline2, "quoted"', name: '陳大文' },
        },
      ],
      new Date('2026-11-25T00:00:00Z'),
    );
    const text = csvHeader() + eventCsvRow(e!);
    expect(text.startsWith(UTF8_BOM)).toBe(true);
    const rows = parseCsv(text.slice(1));
    expect(rows[0]).toEqual([...CSV_COLUMNS]);
    expect(rows[1]).toEqual([
      '1',
      e!.at,
      `'=cmd|"/c calc"!A1`,
      'request.filed',
      'request:req_1',
      'success',
      '{"name":"陳大文","note":"line1\\nline2, \\"quoted\\""}',
      e!.prevHash,
      e!.hash,
    ]);
  });
});
