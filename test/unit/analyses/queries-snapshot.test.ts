import { describe, expect, it } from 'vitest';
import { timeColumns } from '../../../lib/analyses/queries/statements-source.js';
import {
  comparable,
  filterKey,
  parseSnapshot,
  type StatementsSnapshot,
} from '../../../lib/analyses/queries/snapshot.js';

const valid: StatementsSnapshot = {
  version: 1,
  dbid: 16384,
  taken_at: '2025-01-01T00:00:00.000Z',
  stats_reset: null,
  dealloc: null,
  filter: [],
  reads_all_stats: true,
  statement_count: 1,
  truncated: false,
  floor_total_ms: 5,
  top_total_time: ['1'],
  statements: [{ queryid: '1', calls: 10, total_ms: 5, rows: 10 }],
};

describe('parseSnapshot', () => {
  it('accepts what a previous run stored', () => {
    expect(parseSnapshot(JSON.parse(JSON.stringify(valid)))).toEqual(valid);
  });

  it('treats anything else as no snapshot', () => {
    expect(parseSnapshot(undefined)).toBeNull();
    expect(parseSnapshot({ ...valid, version: 2 })).toBeNull();
    expect(parseSnapshot({ ...valid, statements: [{ queryid: 1, calls: 'x' }] })).toBeNull();
  });
});

describe('comparable', () => {
  it('compares runs taken with the same target_tables in any order and the same visibility', () => {
    const snap = { ...valid, filter: filterKey(['b', 'a']) };
    expect(comparable(snap, filterKey(['a', 'b']), true)).toBe(true);
    expect(comparable(snap, filterKey(['a']), true)).toBe(false);
    expect(comparable(snap, filterKey(['a', 'b']), false)).toBe(false);
  });
});

describe('timeColumns', () => {
  it('reads total_exec_time on pg_stat_statements 1.8+ (PG 13+) and total_time before', () => {
    expect(timeColumns(true)).toEqual({ total: 'total_exec_time', max: 'max_exec_time' });
    expect(timeColumns(false)).toEqual({ total: 'total_time', max: 'max_time' });
  });
});
