import { describe, expect, it } from 'vitest';
import type { LogEntry } from '../../../lib/analyses/logs/log-entry.js';
import { StderrLogParser } from '../../../lib/analyses/logs/stderr-parser.js';

const PREFIX = '%m [%p] %q%u@%d ';

const LOG = [
  '2026-11-28 20:00:00.001 UTC [10] app@shop ERROR:  deadlock detected',
  '2026-11-28 20:00:00.001 UTC [10] app@shop DETAIL:  Process 10 waits for ShareLock on transaction 5; ' +
    'blocked by process 11.',
  '\tProcess 11 waits for ShareLock on transaction 6; blocked by process 10.',
  '2026-11-28 20:00:00.001 UTC [10] app@shop HINT:  See server log for query details.',
  '2026-11-28 20:00:00.001 UTC [10] app@shop STATEMENT:  update accounts',
  '\tset balance = 0',
  '\twhere id = 2',
  '2026-11-28 20:00:01.500 UTC [12] LOG:  automatic vacuum of table "shop.public.accounts": index scans: 0',
  '\tpages: 0 removed, 1 remain',
  '2026-11-28 20:00:02.000 UTC [13] app@shop LOG:  duration: 150.250 ms  statement: select pg_sleep(0.15)',
  '',
].join('\n');

function parse(chunks: string[], dropFirstLine = false): { entries: LogEntry[]; rest: string } {
  const entries: LogEntry[] = [];
  const parser = new StderrLogParser(PREFIX, (e) => entries.push(e), dropFirstLine);
  for (const chunk of chunks) parser.push(chunk);
  const rest = parser.end();
  return { entries, rest };
}

describe('stderr log parsing', () => {
  it('stitches DETAIL, HINT, STATEMENT and tab-indented continuation lines onto the entry before them', () => {
    const { entries } = parse([LOG]);
    expect(entries).toHaveLength(3);
    expect(entries[0]).toMatchObject({
      severity: 'ERROR',
      message: 'deadlock detected',
      user: 'app',
      database: 'shop',
      detail:
        'Process 10 waits for ShareLock on transaction 5; blocked by process 11.\nProcess 11 waits for ' +
        'ShareLock on transaction 6; blocked by process 10.',
      hint: 'See server log for query details.',
      statement: 'update accounts\nset balance = 0\nwhere id = 2',
    });
    expect(entries[1]).toMatchObject({
      severity: 'LOG',
      user: null,
      database: null,
      message: 'automatic vacuum of table "shop.public.accounts": index scans: 0\npages: 0 removed, 1 remain',
    });
    expect(entries[2]).toMatchObject({
      message: 'duration: 150.250 ms  statement: select pg_sleep(0.15)',
      time: '2026-11-28 20:00:02.000 UTC',
    });
  });

  it('gives the same entries whatever the chunk boundaries, including inside a line or a multi-line entry', () => {
    const whole = parse([LOG]).entries;
    for (let size = 1; size <= 64; size++) {
      const chunks: string[] = [];
      for (let i = 0; i < LOG.length; i += size) chunks.push(LOG.slice(i, i + size));
      expect(parse(chunks).entries).toEqual(whole);
    }
    for (let cut = 1; cut < LOG.length; cut++)
      expect(parse([LOG.slice(0, cut), LOG.slice(cut)]).entries).toEqual(whole);
  });

  it('holds back an unfinished last line and returns it, so its bytes are read again next run', () => {
    const partial = '2026-11-28 20:00:03.000 UTC [14] app@shop ERROR:  divis';
    const { entries, rest } = parse([LOG, partial]);
    expect(entries).toHaveLength(3);
    expect(rest).toBe(partial);
  });

  it('drops the fragment before the first newline when reading starts inside a file', () => {
    const { entries } = parse([`ue = 0\n${LOG}`], true);
    expect(entries).toHaveLength(3);
  });

  it('falls back to the severity label after 50 lines in a row written with a different prefix', () => {
    const other = Array.from(
      { length: 60 },
      (_, i) =>
        `May 01 10:00:${String(i % 60).padStart(2, '0')} host postgres[9]: [1-1] ERROR:  relation "t${i}" does ` +
        'not exist',
    ).join('\n');
    const { entries } = parse([`${other}\n`]);
    // The 49 lines read before the fallback engages are held, then read again with it.
    expect(entries.map((e) => e.message)).toEqual(
      Array.from({ length: 60 }, (_, i) => `relation "t${i}" does not exist`),
    );
    expect(entries.every((e) => e.severity === 'ERROR')).toBe(true);
  });

  it('keeps a few stray lines without the prefix as text of the entry before them', () => {
    const stray = 'a line some extension printed without the prefix';
    const { entries } = parse([`${LOG.split('\n')[0]}\n${stray}\n\tindented too\n${LOG}`]);
    expect(entries[0].message).toContain(`\n${stray}\nindented too`);
    expect(entries).toHaveLength(4);
  });
});
