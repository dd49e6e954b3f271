import { describe, expect, it } from 'vitest';
import { JsonLogParser } from '../../../lib/analyses/logs/json-parser.js';
import type { LogEntry } from '../../../lib/analyses/logs/log-entry.js';

const JSON_LOG =
  [
    {
      timestamp: '2026-11-28 20:00:00.001 UTC',
      user: 'app',
      dbname: 'shop',
      pid: 10,
      remote_host: '10.0.0.5',
      remote_port: 5123,
      error_severity: 'ERROR',
      state_code: '22012',
      message: 'division by zero',
      statement: 'select 1/0',
      application_name: 'psql',
    },
    { timestamp: '2026-11-28 20:00:01.000 UTC', pid: 12, error_severity: 'LOG', message: 'checkpoint starting: time' },
    {
      timestamp: '2026-11-28 20:00:02.000 UTC',
      user: 'bob',
      dbname: 'shop',
      remote_host: '10.0.0.9',
      error_severity: 'FATAL',
      state_code: '28P01',
      message: 'password authentication failed for user "bob"',
      detail: 'Connection matched pg_hba.conf line 4: "host all all 0.0.0.0/0 scram-sha-256"',
    },
  ]
    .map((r) => JSON.stringify(r))
    .join('\n') + '\n';

function parse(chunks: string[]): { entries: LogEntry[]; parser: JsonLogParser } {
  const entries: LogEntry[] = [];
  const parser = new JsonLogParser((e) => entries.push(e));
  for (const chunk of chunks) parser.push(chunk);
  parser.end();
  return { entries, parser };
}

describe('jsonlog parsing', () => {
  it('maps one JSON object per line onto an entry, with missing keys as unknown', () => {
    const { entries } = parse([JSON_LOG]);
    expect(entries).toHaveLength(3);
    expect(entries[0]).toMatchObject({
      user: 'app',
      database: 'shop',
      host: '10.0.0.5',
      severity: 'ERROR',
      sqlstate: '22012',
      message: 'division by zero',
      statement: 'select 1/0',
      application: 'psql',
    });
    expect(entries[1]).toMatchObject({ severity: 'LOG', user: null, database: null, sqlstate: null });
    expect(entries[2]).toMatchObject({
      severity: 'FATAL',
      sqlstate: '28P01',
      detail: expect.stringContaining('pg_hba.conf line 4'),
    });
  });

  it('gives the same entries when a chunk boundary splits a line', () => {
    const whole = parse([JSON_LOG]).entries;
    for (let cut = 1; cut < JSON_LOG.length; cut += 7)
      expect(parse([JSON_LOG.slice(0, cut), JSON_LOG.slice(cut)]).entries).toEqual(whole);
  });

  it('skips and counts a line that is not JSON instead of failing', () => {
    const { entries, parser } = parse([`not json\n${JSON_LOG}`]);
    expect(entries).toHaveLength(3);
    expect(parser.invalidLines).toBe(1);
  });
});
