import type { StatementsSnapshot } from './snapshot.js';
import { REGRESSION_GROWTH, REGRESSION_MIN_CALLS, REGRESSION_MIN_INCREASE_MS } from './thresholds.js';

/** Cumulative counters of one statement now. */
export interface Counters {
  calls: number;
  totalMs: number;
  rows: number;
}

export interface CurrentCounters {
  dbid: number;
  statsReset: string | null;
  dealloc: number | null;
  statements: Map<string, Counters>;
}

export type ResetVerdict =
  | {
      reset: false;
      /** Entries evicted and re-created since: their counters restarted, so they have no delta. */ restarted: string[];
    }
  | { reset: true; reason: string; affected: number };

// Summing the same float counters in another order can move the last bits; that is not a decrease.
const TIME_TOLERANCE_MS = 0.001;

/**
 * Counters only grow, so a counter that went down, or a heavy statement that vanished, means the
 * statistics were reset between the runs (or entries were evicted, which pg_stat_statements_info.dealloc
 * counts on PG 14+). Deltas across a reset would be negative or meaningless.
 */
export function detectReset(previous: StatementsSnapshot, current: CurrentCounters): ResetVerdict {
  if (previous.dbid !== current.dbid) {
    return {
      reset: true,
      reason: 'the database was re-created since the previous run (its oid changed)',
      affected: previous.statements.length,
    };
  }
  if (previous.stats_reset && current.statsReset && previous.stats_reset !== current.statsReset) {
    return {
      reset: true,
      reason: `pg_stat_statements was reset at ${current.statsReset} (previously counting since ${previous.stats_reset})`,
      affected: previous.statements.length,
    };
  }
  const affectedStatements = previous.statements.filter((before) => {
    const now = current.statements.get(before.queryid);
    return (
      !now || now.calls < before.calls || now.rows < before.rows || now.totalMs < before.total_ms - TIME_TOLERANCE_MS
    );
  });
  const affected = affectedStatements.map((s) => s.queryid);
  if (affected.length === 0) return { reset: false, restarted: [] };

  const lost = `${affected.length} of the ${previous.statements.length} statements kept by the previous run lost counts`;
  const evictionsKnown = previous.dealloc !== null && current.dealloc !== null;
  if (!evictionsKnown)
    return {
      reset: true,
      reason: `${lost} (counters went down or the entries disappeared)`,
      affected: affected.length,
    };
  if ((current.dealloc as number) <= (previous.dealloc as number)) {
    return {
      reset: true,
      reason: `${lost} with no entry evicted since: they were reset with pg_stat_statements_reset()`,
      affected: affected.length,
    };
  }
  // Eviction drops the least used entries (usage grows with calls); when the statements holding
  // most of the previous calls lost counts, that was a reset, not eviction.
  const callsOf = (list: typeof previous.statements) => list.reduce((sum, s) => sum + s.calls, 0);
  if (callsOf(affectedStatements) * 2 >= callsOf(previous.statements)) {
    return {
      reset: true,
      reason: `${lost}, more than eviction (${current.dealloc! - previous.dealloc!} deallocations) explains`,
      affected: affected.length,
    };
  }
  return { reset: false, restarted: affected };
}

/** What one statement did between the previous run and this one. */
export interface StatementInterval {
  queryid: string;
  /** Calls in the interval; null when the statement was not in the previous snapshot and the snapshot was truncated. */
  calls: number | null;
  /** Time in the interval; a lower bound when `estimated`. */
  totalMs: number;
  meanMs: number | null;
  /** The cumulative counters at the previous run: the statement's history before the interval. */
  baselineCalls: number | null;
  baselineMeanMs: number | null;
  estimated: boolean;
}

export function intervalsSince(
  previous: StatementsSnapshot,
  current: Map<string, Counters>,
  restarted: string[],
): StatementInterval[] {
  const before = new Map(previous.statements.map((s) => [s.queryid, s]));
  const skip = new Set(restarted);
  const intervals: StatementInterval[] = [];
  for (const [queryid, now] of current) {
    if (skip.has(queryid)) continue;
    const then = before.get(queryid);
    if (then) {
      const calls = now.calls - then.calls;
      if (calls <= 0) continue;
      const totalMs = Math.max(0, now.totalMs - then.total_ms);
      intervals.push({
        queryid,
        calls,
        totalMs,
        meanMs: totalMs / calls,
        baselineCalls: then.calls,
        baselineMeanMs: then.calls > 0 ? then.total_ms / then.calls : null,
        estimated: false,
      });
    } else if (!previous.truncated) {
      // The previous run saw every statement, so this one is new since then: all its counts are in the interval.
      intervals.push({
        queryid,
        calls: now.calls,
        totalMs: now.totalMs,
        meanMs: now.totalMs / now.calls,
        baselineCalls: null,
        baselineMeanMs: null,
        estimated: false,
      });
    } else {
      // Left out of a truncated snapshot, it had at most floor_total_ms then: the interval holds at least the rest.
      const totalMs = Math.max(0, now.totalMs - previous.floor_total_ms);
      if (totalMs > 0)
        intervals.push({
          queryid,
          calls: null,
          totalMs,
          meanMs: null,
          baselineCalls: null,
          baselineMeanMs: null,
          estimated: true,
        });
    }
  }
  return intervals;
}

/** Slower in the interval than in its history, by enough and often enough to matter (see thresholds.ts). */
export function isRegression(i: StatementInterval): boolean {
  if (i.calls === null || i.meanMs === null || i.baselineCalls === null || i.baselineMeanMs === null) return false;
  if (i.calls < REGRESSION_MIN_CALLS || i.baselineCalls < REGRESSION_MIN_CALLS) return false;
  return (
    i.meanMs >= i.baselineMeanMs * (1 + REGRESSION_GROWTH) && i.meanMs - i.baselineMeanMs >= REGRESSION_MIN_INCREASE_MS
  );
}

/** Time the regression cost in the interval over what the statement used to take. */
export function extraTimeMs(i: StatementInterval): number {
  return i.calls !== null && i.meanMs !== null && i.baselineMeanMs !== null
    ? i.calls * (i.meanMs - i.baselineMeanMs)
    : 0;
}

export function topByTotalTime(intervals: StatementInterval[], n: number): StatementInterval[] {
  return [...intervals]
    .filter((i) => i.totalMs > 0)
    .sort((a, b) => b.totalMs - a.totalMs || a.queryid.localeCompare(b.queryid))
    .slice(0, n);
}

/** Statements in this interval's top list that were not in the previous run's top list. */
export function newInTop(intervalTop: StatementInterval[], previousTop: string[]): StatementInterval[] {
  const before = new Set(previousTop);
  return intervalTop.filter((i) => !before.has(i.queryid));
}
