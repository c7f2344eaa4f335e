import { describe, expect, it } from 'vitest';
import { csvField, LOG_CSV_HEADER, logToCsv, toCsv } from '../../lib/csv';
import type { LogRecord } from '../../lib/messages';

/** A small RFC 4180 reader, to check that what is written reads back the same. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  return rows;
}

describe('csvField', () => {
  it('leaves plain values alone', () => {
    expect(csvField('macronleaks-2017')).toBe('macronleaks-2017');
    expect(csvField(42)).toBe('42');
  });

  it('quotes separators, quotes and line breaks', () => {
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
  });

  it('keeps text from being read as a spreadsheet formula', () => {
    expect(csvField('=HYPERLINK("http://evil")')).toBe(`"'=HYPERLINK(""http://evil"")"`);
    expect(csvField('+1')).toBe("'+1");
    expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)");
  });

  it('writes non-finite numbers as empty fields', () => {
    expect(csvField(Number.NaN)).toBe('');
  });
});

describe('logToCsv', () => {
  const records: LogRecord[] = [
    {
      time: Date.parse('2017-05-06T08:30:00Z'),
      pageUrl: 'https://example.org/a?x=1,2&q="leak"',
      listId: 'demo',
      entry: 'macronleaks-2017',
      kind: 'fingerprint',
      matched: 3,
      total: 40,
    },
    {
      time: Date.parse('2017-05-06T09:00:00Z'),
      pageUrl: 'https://x.com/status/1',
      listId: 'demo',
      entry: 'macronleaks-2017',
      kind: 'hashtag',
      matched: 1,
      total: 2,
    },
  ];

  it('writes the header and one row per record, with CRLF line ends', () => {
    const text = logToCsv(records);
    expect(text.startsWith('time,page_url,entry,kind,strength\r\n')).toBe(true);
    expect(text.endsWith('\r\n')).toBe(true);
    expect(parseCsv(text)).toEqual([
      [...LOG_CSV_HEADER],
      [
        '2017-05-06T08:30:00.000Z',
        'https://example.org/a?x=1,2&q="leak"',
        'macronleaks-2017',
        'fingerprint',
        '3 of 40',
      ],
      ['2017-05-06T09:00:00.000Z', 'https://x.com/status/1', 'macronleaks-2017', 'hashtag', '1 of 2'],
    ]);
  });

  it('writes only the header for an empty log', () => {
    expect(logToCsv([])).toBe('time,page_url,entry,kind,strength\r\n');
  });

  it('round-trips arbitrary text', () => {
    const rows = [['a"b', 'c,d', 'e\r\nf', ' g ', '']];
    expect(parseCsv(toCsv(rows))).toEqual(rows);
  });
});
