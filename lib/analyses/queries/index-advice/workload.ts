import { detectReset, intervalsSince, type Counters } from '../interval.js';
import { comparable, filterKey, parseSnapshot, SNAPSHOT_STATE_KEY } from '../snapshot.js';
import type { StatementsRead } from '../statement-types.js';
import type { CheckContext } from '../../types.js';

export interface StatementWeight {
  calls: number;
  totalMs: number;
}

export interface Workload {
  /** By statement key, the heaviest first. */
  weights: Map<string, StatementWeight>;
  /** Time of all statements of the database over the same window, for a statement's share. */
  allTotalMs: number;
  /** Where the window starts: the previous run, or the last reset of pg_stat_statements. */
  since: string | null;
  sincePreviousRun: boolean;
}

/**
 * What the workload has been since the previous run of the task, from the snapshot that run left
 * (the same deltas as queries.regression); on a first run, after a reset, or under a changed
 * table filter, the cumulative counters.
 */
export function workloadOf(read: StatementsRead, ctx: CheckContext): Workload {
  const previous = parseSnapshot(ctx.previousState[SNAPSHOT_STATE_KEY]);
  const current = new Map<string, Counters>();
  for (const s of read.statements)
    if (s.queryid !== null) current.set(s.queryid, { calls: s.calls, totalMs: s.totalMs, rows: s.rows });

  if (previous && comparable(previous, filterKey(ctx.params.target_tables), read.readsAllStats)) {
    const verdict = detectReset(previous, {
      dbid: read.dbid,
      statsReset: read.statsReset,
      dealloc: read.dealloc,
      statements: current,
    });
    if (!verdict.reset) {
      const weights = new Map<string, StatementWeight>();
      const intervals = intervalsSince(previous, current, verdict.restarted).filter(
        (i) => i.calls !== null && i.calls > 0,
      );
      intervals.sort((a, b) => b.totalMs - a.totalMs || a.queryid.localeCompare(b.queryid));
      for (const i of intervals) weights.set(i.queryid, { calls: i.calls as number, totalMs: i.totalMs });
      return {
        weights,
        allTotalMs: intervals.reduce((sum, i) => sum + i.totalMs, 0),
        since: previous.taken_at,
        sincePreviousRun: true,
      };
    }
  }
  const weights = new Map<string, StatementWeight>();
  for (const s of [...read.statements].sort((a, b) => b.totalMs - a.totalMs))
    if (s.queryid !== null) weights.set(s.queryid, { calls: s.calls, totalMs: s.totalMs });
  return { weights, allTotalMs: read.allTotalMs, since: read.statsReset, sincePreviousRun: false };
}
