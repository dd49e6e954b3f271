import { describe, expect, it } from 'vitest';
import {
  detectReset,
  intervalsSince,
  isRegression,
  newInTop,
  topByTotalTime,
  type Counters,
  type StatementInterval,
} from '../../../lib/analyses/queries/interval.js';
import type { StatementsSnapshot } from '../../../lib/analyses/queries/snapshot.js';

function snapshot(
  statements: Array<[string, number, number, number?]>,
  overrides: Partial<StatementsSnapshot> = {},
): StatementsSnapshot {
  return {
    version: 1,
    dbid: 16384,
    taken_at: '2025-01-01T00:00:00.000Z',
    stats_reset: '2024-12-01T00:00:00.000Z',
    dealloc: 0,
    filter: [],
    reads_all_stats: true,
    statement_count: statements.length,
    truncated: false,
    floor_total_ms: Math.min(...statements.map(([, , total]) => total)),
    top_total_time: [],
    statements: statements.map(([queryid, calls, total_ms, rows]) => ({
      queryid,
      calls,
      total_ms,
      rows: rows ?? calls,
    })),
    ...overrides,
  };
}

function counters(statements: Array<[string, number, number, number?]>): Map<string, Counters> {
  return new Map(statements.map(([id, calls, totalMs, rows]) => [id, { calls, totalMs, rows: rows ?? calls }]));
}

const interval = (overrides: Partial<StatementInterval>): StatementInterval => ({
  queryid: '1',
  calls: 200,
  totalMs: 200 * 12,
  meanMs: 12,
  baselineCalls: 1000,
  baselineMeanMs: 2,
  estimated: false,
  ...overrides,
});

describe('detectReset', () => {
  const before = snapshot([
    ['1', 100, 500],
    ['2', 50, 100],
  ]);
  const now = (
    statements: Map<string, Counters>,
    extra: { statsReset?: string | null; dealloc?: number | null; dbid?: number } = {},
  ) => ({
    dbid: extra.dbid ?? 16384,
    statsReset: extra.statsReset === undefined ? before.stats_reset : extra.statsReset,
    dealloc: extra.dealloc === undefined ? 0 : extra.dealloc,
    statements,
  });

  it('sees no reset when every counter grew or stayed', () => {
    const verdict = detectReset(
      before,
      now(
        counters([
          ['1', 150, 700],
          ['2', 50, 100],
        ]),
      ),
    );
    expect(verdict).toEqual({ reset: false, restarted: [] });
  });

  it('reports a reset when pg_stat_statements_info.stats_reset moved', () => {
    const verdict = detectReset(
      before,
      now(
        counters([
          ['1', 150, 700],
          ['2', 60, 120],
        ]),
        { statsReset: '2025-01-01T12:00:00.000Z' },
      ),
    );
    expect(verdict.reset).toBe(true);
    if (verdict.reset) expect(verdict.reason).toContain('2025-01-01T12:00:00.000Z');
  });

  it('reports a reset when calls went down, rather than a negative delta', () => {
    const verdict = detectReset(
      before,
      now(
        counters([
          ['1', 3, 20],
          ['2', 60, 120],
        ]),
      ),
    );
    expect(verdict.reset).toBe(true);
  });

  it('reports a reset when the kept statements vanished and nothing was evicted', () => {
    const verdict = detectReset(before, now(counters([['9', 5, 5]])));
    expect(verdict).toMatchObject({ reset: true, affected: 2 });
  });

  it('without eviction counts (before PG 14) treats any counter going down as a reset', () => {
    const old = { ...before, stats_reset: null, dealloc: null };
    const verdict = detectReset(
      old,
      now(
        counters([
          ['1', 150, 700],
          ['2', 10, 20],
        ]),
        { statsReset: null, dealloc: null },
      ),
    );
    expect(verdict.reset).toBe(true);
  });

  it('treats rarely called entries restarting while entries were evicted as eviction, not a reset', () => {
    const many = snapshot([
      ['1', 1000, 500],
      ['2', 1, 100],
      ['3', 1, 100],
    ]);
    const verdict = detectReset(
      many,
      now(
        counters([
          ['1', 1500, 700],
          ['3', 0, 0],
        ]),
        { dealloc: 3 },
      ),
    );
    expect(verdict).toEqual({ reset: false, restarted: ['2', '3'] });
  });

  it('treats the most called statements losing counts as a reset even when entries were evicted', () => {
    const verdict = detectReset(before, now(counters([['2', 60, 120]]), { dealloc: 7 }));
    expect(verdict.reset).toBe(true);
  });

  it('treats a re-created database (new oid) as a reset', () => {
    expect(
      detectReset(
        before,
        now(
          counters([
            ['1', 150, 700],
            ['2', 60, 120],
          ]),
          { dbid: 99999 },
        ),
      ).reset,
    ).toBe(true);
  });

  it('ignores float noise in summed total time', () => {
    expect(
      detectReset(
        before,
        now(
          counters([
            ['1', 100, 499.9999999],
            ['2', 50, 100],
          ]),
        ),
      ).reset,
    ).toBe(false);
  });
});

describe('intervalsSince', () => {
  it('gives the calls, time and mean of the interval against the cumulative mean before it', () => {
    const [i] = intervalsSince(snapshot([['1', 1000, 2000]]), counters([['1', 1200, 4400]]), []);
    expect(i).toEqual({
      queryid: '1',
      calls: 200,
      totalMs: 2400,
      meanMs: 12,
      baselineCalls: 1000,
      baselineMeanMs: 2,
      estimated: false,
    });
  });

  it('leaves out statements that did not run in the interval', () => {
    expect(intervalsSince(snapshot([['1', 1000, 2000]]), counters([['1', 1000, 2000]]), [])).toEqual([]);
  });

  it('leaves out entries that restarted after an eviction', () => {
    expect(intervalsSince(snapshot([['1', 1000, 2000]]), counters([['1', 5, 10]]), ['1'])).toEqual([]);
  });

  it('counts all of a new statement as interval when the previous snapshot saw every statement', () => {
    const [i] = intervalsSince(
      snapshot([['1', 10, 10]]),
      counters([
        ['1', 10, 10],
        ['2', 40, 400],
      ]),
      [],
    );
    expect(i).toMatchObject({
      queryid: '2',
      calls: 40,
      totalMs: 400,
      meanMs: 10,
      baselineMeanMs: null,
      estimated: false,
    });
  });

  it('bounds a statement missing from a truncated snapshot from below, with unknown calls', () => {
    const truncated = snapshot([['1', 10, 300]], { truncated: true, floor_total_ms: 300 });
    const [i] = intervalsSince(
      truncated,
      counters([
        ['1', 10, 300],
        ['2', 40, 1000],
      ]),
      [],
    );
    expect(i).toMatchObject({ queryid: '2', calls: null, totalMs: 700, meanMs: null, estimated: true });
  });
});

describe('isRegression', () => {
  it('flags a statement 50% and 5 ms slower with 100 calls on each side', () => {
    expect(isRegression(interval({ calls: 100, meanMs: 15, baselineCalls: 100, baselineMeanMs: 10 }))).toBe(true);
  });

  it('does not flag a doubling that is less than 5 ms', () => {
    expect(isRegression(interval({ meanMs: 0.4, baselineMeanMs: 0.2 }))).toBe(false);
  });

  it('does not flag a 5 ms rise that is less than 50%', () => {
    expect(isRegression(interval({ meanMs: 106, baselineMeanMs: 100 }))).toBe(false);
  });

  it('does not judge on fewer than 100 calls in the interval', () => {
    expect(isRegression(interval({ calls: 99 }))).toBe(false);
  });

  it('does not judge against a history of fewer than 100 calls', () => {
    expect(isRegression(interval({ baselineCalls: 99 }))).toBe(false);
  });

  it('does not judge a statement without history', () => {
    expect(isRegression(interval({ baselineCalls: null, baselineMeanMs: null }))).toBe(false);
  });
});

describe('new statements in the top list', () => {
  it('ranks the interval by time and names those missing from the previous top list', () => {
    const intervals = [
      interval({ queryid: 'a', totalMs: 10 }),
      interval({ queryid: 'b', totalMs: 30 }),
      interval({ queryid: 'c', totalMs: 20 }),
    ];
    const top = topByTotalTime(intervals, 2);
    expect(top.map((i) => i.queryid)).toEqual(['b', 'c']);
    expect(newInTop(top, ['b', 'x']).map((i) => i.queryid)).toEqual(['c']);
  });
});
