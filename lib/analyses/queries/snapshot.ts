import type { StatementsRead } from './statement-types.js';
import { SNAPSHOT_SIZE } from './thresholds.js';

/** Where a run leaves its pg_stat_statements counters for the next run of the same task. */
export const SNAPSHOT_STATE_KEY = 'queries.snapshot';

export interface SnapshotStatement {
  queryid: string;
  calls: number;
  total_ms: number;
  rows: number;
}

/**
 * Cumulative counters of the heaviest statements at one run, summed per queryid over roles
 * (the same identity as the findings). Deltas against it give "what happened since last run"
 * without ever resetting pg_stat_statements.
 */
export interface StatementsSnapshot {
  version: 1;
  dbid: number;
  taken_at: string;
  /** pg_stat_statements_info.stats_reset and .dealloc (PG 14+), null before. */
  stats_reset: string | null;
  dealloc: number | null;
  /** The target_tables and visibility the snapshot was taken with; deltas only make sense under the same ones. */
  filter: string[];
  reads_all_stats: boolean;
  statement_count: number;
  /** More statements existed than were kept; any statement left out had at most floor_total_ms. */
  truncated: boolean;
  floor_total_ms: number;
  /** The top statements by total time this run (over the interval when there was one). */
  top_total_time: string[];
  statements: SnapshotStatement[];
}

export function filterKey(targetTables: string[] | undefined): string[] {
  return [...(targetTables ?? [])].sort();
}

export function buildSnapshot(read: StatementsRead, filter: string[], topTotalTime: string[]): StatementsSnapshot {
  const kept = read.statements.filter((s) => s.rank.totalTime <= SNAPSHOT_SIZE);
  return {
    version: 1,
    dbid: read.dbid,
    taken_at: read.takenAt,
    stats_reset: read.statsReset,
    dealloc: read.dealloc,
    filter,
    reads_all_stats: read.readsAllStats,
    statement_count: read.statementCount,
    truncated: read.statementCount > kept.length,
    floor_total_ms: kept.length > 0 ? Math.min(...kept.map((s) => s.totalMs)) : 0,
    top_total_time: topTotalTime,
    statements: kept
      .filter((s) => s.queryid !== null)
      .map((s) => ({ queryid: s.queryid as string, calls: s.calls, total_ms: s.totalMs, rows: s.rows })),
  };
}

/** The previous run's state is stored JSON: anything not shaped like a snapshot counts as no snapshot. */
export function parseSnapshot(value: unknown): StatementsSnapshot | null {
  const s = value as Partial<StatementsSnapshot> | null | undefined;
  if (!s || typeof s !== 'object' || s.version !== 1) return null;
  if (
    typeof s.dbid !== 'number' ||
    typeof s.taken_at !== 'string' ||
    !Array.isArray(s.statements) ||
    !Array.isArray(s.top_total_time)
  )
    return null;
  const wellFormed = s.statements.every(
    (x) =>
      x &&
      typeof x.queryid === 'string' &&
      Number.isFinite(x.calls) &&
      Number.isFinite(x.total_ms) &&
      Number.isFinite(x.rows),
  );
  return wellFormed ? (s as StatementsSnapshot) : null;
}

/** Deltas are only meaningful when both runs looked at the same statements with the same eyes. */
export function comparable(previous: StatementsSnapshot, filter: string[], readsAllStats: boolean): boolean {
  return (
    previous.reads_all_stats === readsAllStats &&
    previous.filter?.length === filter.length &&
    previous.filter.every((name, i) => name === filter[i])
  );
}
