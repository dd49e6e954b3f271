import { describe, expect, it } from 'vitest';
import { CsvLogParser } from '../../../lib/analyses/logs/csv-parser.js';
import type { LogEntry } from '../../../lib/analyses/logs/log-entry.js';

// Two records as PostgreSQL 15 writes them (26 columns): the second has a statement with an
// embedded newline and doubled quotes, and a message with a comma.
const CSV =
  '2026-11-28 20:00:00.001 UTC,"app","shop",10,"10.0.0.5:51234",65a1.a,1,"SELECT",2026-11-28 19:59:00 ' +
  'UTC,3/4,0,ERROR,22012,"division by zero",,,,,,"select 1/0",,,"psql","client backend",,0\n' +
  ('2026-11-28 20:00:01.002 UTC,"app","shop",10,"10.0.0.5:51234",65a1.a,2,"UPDATE",2026-11-28 19:59:00 ' +
    'UTC,3/5,0,ERROR,42703,"column ""nme"" does not exist, hint follows",,"Perhaps you meant ' +
    '""name"".",,,,"update t\nset nme = \'x, y\'",8,,"psql","client backend",,0\n');

function parse(chunks: string[], resync = false): { entries: LogEntry[]; unfinished: number } {
  const entries: LogEntry[] = [];
  const parser = new CsvLogParser((e) => entries.push(e), resync);
  for (const chunk of chunks) parser.push(chunk);
  return { entries, unfinished: parser.end() };
}

describe('csvlog parsing', () => {
  it('reads quoted fields with doubled quotes, commas and newlines inside them', () => {
    const { entries, unfinished } = parse([CSV]);
    expect(unfinished).toBe(0);
    expect(entries).toHaveLength(2);
    expect(entries[0]).toMatchObject({
      time: '2026-11-28 20:00:00.001 UTC',
      user: 'app',
      database: 'shop',
      host: '10.0.0.5',
      severity: 'ERROR',
      sqlstate: '22012',
      message: 'division by zero',
      statement: 'select 1/0',
      application: 'psql',
    });
    expect(entries[1]).toMatchObject({
      sqlstate: '42703',
      message: 'column "nme" does not exist, hint follows',
      hint: 'Perhaps you meant "name".',
      statement: "update t\nset nme = 'x, y'",
    });
  });

  it('gives the same records when a chunk boundary falls anywhere, even between two quotes of an escaped quote', () => {
    const whole = parse([CSV]).entries;
    for (let cut = 1; cut < CSV.length; cut++)
      expect(parse([CSV.slice(0, cut), CSV.slice(cut)]).entries).toEqual(whole);
    for (let size = 1; size <= 40; size++) {
      const chunks: string[] = [];
      for (let i = 0; i < CSV.length; i += size) chunks.push(CSV.slice(i, i + size));
      expect(parse(chunks).entries).toEqual(whole);
    }
  });

  it('reports the bytes of a record the server had not finished writing, so they are read again', () => {
    const partial =
      '2026-11-28 20:00:02.000 UTC,"app","shop",10,"10.0.0.5:51234",65a1.a,3,"SELECT",2026-11-28 19:59:00 ' +
      'UTC,3/6,0,LOG,00000,"duration: 1.5 ms  statement: select \'é';
    const { entries, unfinished } = parse([CSV, partial]);
    expect(entries).toHaveLength(2);
    expect(unfinished).toBe(Buffer.byteLength(partial));
  });

  it('skips to the next record when reading starts in the middle of one', () => {
    const { entries } = parse([CSV.slice(CSV.indexOf('set nme'))], true);
    expect(entries).toHaveLength(0);
    expect(parse([`ment'\n${CSV}`], true).entries).toHaveLength(2);
  });
});
