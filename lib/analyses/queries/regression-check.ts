import { formatCount, formatMs, round } from '../format.js';
import type { Check, Finding } from '../types.js';
import {
  detectReset,
  extraTimeMs,
  intervalsSince,
  isRegression,
  newInTop,
  topByTotalTime,
  type Counters,
  type StatementInterval,
} from './interval.js';
import {
  buildSnapshot,
  comparable,
  filterKey,
  parseSnapshot,
  SNAPSHOT_STATE_KEY,
  type StatementsSnapshot,
} from './snapshot.js';
import { readStatements } from './statements-source.js';
import type { StatementsRead, StatementStats } from './statement-types.js';
import { REGRESSION_GROWTH, REGRESSION_MIN_CALLS, REGRESSION_MIN_INCREASE_MS, TOP_N } from './thresholds.js';
import { capList } from '../finding-list.js';

/**
 * query_analysis: what changed since the previous run of the task, from counter deltas against the
 * snapshot that run stored (pg_stat_statements is never reset by us). Emits queries.regression
 * (slower than its history), queries.new_top_statement (newly among the heaviest) and
 * queries.stats_reset (the counters restarted, so there is no interval to judge), and stores this
 * run's snapshot for the next one.
 */
export const regressionCheck: Check = {
  id: 'queries.regression',
  targets: ['queries', 'performance'],
  async run(ctx) {
    const read = await readStatements(ctx);
    const filter = filterKey(ctx.params.target_tables);
    const current = countersByQueryid(read);
    const previous = parseSnapshot(ctx.previousState[SNAPSHOT_STATE_KEY]);
    const cumulativeTop = read.statements
      .filter((s) => s.queryid !== null && s.rank.totalTime <= TOP_N)
      .map((s) => s.queryid as string);

    let findings: Finding[] = [];
    let topKeys = cumulativeTop;
    if (previous && comparable(previous, filter, read.readsAllStats)) {
      const verdict = detectReset(previous, {
        dbid: read.dbid,
        statsReset: read.statsReset,
        dealloc: read.dealloc,
        statements: current,
      });
      if (verdict.reset) {
        findings = [statsResetFinding(verdict.reason, verdict.affected, previous, read)];
      } else {
        const intervals = intervalsSince(previous, current, verdict.restarted);
        const intervalTop = topByTotalTime(intervals, TOP_N);
        topKeys = intervalTop.map((i) => i.queryid);
        const byKey = new Map(read.statements.map((s) => [s.key, s]));
        const seconds = (Date.parse(read.takenAt) - Date.parse(previous.taken_at)) / 1000;
        findings = [
          ...regressionFindings(intervals, byKey, previous, seconds, verdict.restarted.length),
          ...newInTop(intervalTop, previous.top_total_time).map((i) =>
            newTopFinding(i, intervalTop.indexOf(i) + 1, byKey.get(i.queryid), previous, seconds),
          ),
        ];
      }
    }
    ctx.state[SNAPSHOT_STATE_KEY] = buildSnapshot(read, filter, topKeys);
    return findings;
  },
};

function countersByQueryid(read: StatementsRead): Map<string, Counters> {
  const map = new Map<string, Counters>();
  for (const s of read.statements)
    if (s.queryid !== null) map.set(s.queryid, { calls: s.calls, totalMs: s.totalMs, rows: s.rows });
  return map;
}

function regressionFindings(
  intervals: StatementInterval[],
  byKey: Map<string, StatementStats>,
  previous: StatementsSnapshot,
  seconds: number,
  restarted: number,
): Finding[] {
  const regressed = intervals.filter(isRegression).sort((a, b) => extraTimeMs(b) - extraTimeMs(a));
  const { shown: listed, notShown: more } = capList(regressed);
  return listed.map((i) => {
    const s = byKey.get(i.queryid);
    const meanMs = i.meanMs as number;
    const baselineMs = i.baselineMeanMs as number;
    return {
      check: 'queries.regression',
      severity: 'warning',
      object: i.queryid,
      title: `Statement slower since the previous run: ${formatMs(baselineMs)} → ${formatMs(meanMs)} mean`,
      detail:
        `Statement ${i.queryid}${s?.query ? ` (${shorten(s.query)})` : ''} averaged ${formatMs(meanMs)} over ` +
        `its ${formatCount(i.calls!)} calls ` +
        (`in the ${describeSeconds(seconds)} since the previous run, against ${formatMs(baselineMs)} over ${formatCount(i.baselineCalls!)} ` +
          'calls before ') +
        `(+${Math.round((meanMs / baselineMs - 1) * 100)}%, ${formatMs(extraTimeMs(i))} of extra time). ` +
        (`Flagged at ≥ ${REGRESSION_GROWTH * 100}% and ≥ ${REGRESSION_MIN_INCREASE_MS} ms slower with ≥ ${REGRESSION_MIN_CALLS} ` +
          'calls on each side.') +
        (more > 0
          ? ` ${regressed.length} statements regressed; the ${listed.length} costing the most extra time are ` +
            `listed, ${more} more are not.`
          : ''),
      recommendation:
        'Compare its plan now with the one it used to get (EXPLAIN, or auto_explain in the logs): a changed ' +
        'plan after ANALYZE or data growth, a dropped or bloated index, or lock waits are the usual causes.',
      evidence: {
        queryid: i.queryid,
        query: s?.query ?? null,
        value: round(meanMs, 3),
        interval_calls: i.calls,
        interval_total_ms: round(i.totalMs),
        interval_mean_ms: round(meanMs, 3),
        baseline_calls: i.baselineCalls,
        baseline_mean_ms: round(baselineMs, 3),
        growth_percent: round((meanMs / baselineMs - 1) * 100, 1),
        extra_time_ms: round(extraTimeMs(i)),
        interval_seconds: Math.round(seconds),
        previous_taken_at: previous.taken_at,
        regressed_statements: regressed.length,
        not_listed: more,
        entries_restarted_by_eviction: restarted,
      },
    };
  });
}

function newTopFinding(
  i: StatementInterval,
  rank: number,
  s: StatementStats | undefined,
  previous: StatementsSnapshot,
  seconds: number,
): Finding {
  const calls =
    i.calls === null
      ? 'an unknown number of calls (it was below the previous snapshot)'
      : `${formatCount(i.calls)} calls`;
  return {
    check: 'queries.new_top_statement',
    severity: 'info',
    object: i.queryid,
    title: `New among the top ${TOP_N} by time since the previous run: #${rank}, ${i.estimated ? 'at least ' : ''}${formatMs(i.totalMs)}`,
    detail:
      `Statement ${i.queryid}${s?.query ? ` (${shorten(s.query)})` : ''} took ${i.estimated ? 'at least ' : ''}${formatMs(i.totalMs)} ` +
      `over ${calls} ` +
      (`in the ${describeSeconds(seconds)} since the previous run, #${rank} by total time in that interval; ` +
        `it was not in the previous run's top ${TOP_N}.`),
    recommendation: null,
    evidence: {
      queryid: i.queryid,
      query: s?.query ?? null,
      value: round(i.totalMs),
      interval_rank: rank,
      interval_total_ms: round(i.totalMs),
      interval_calls: i.calls,
      interval_mean_ms: i.meanMs === null ? null : round(i.meanMs, 3),
      total_is_lower_bound: i.estimated,
      interval_seconds: Math.round(seconds),
      previous_taken_at: previous.taken_at,
    },
  };
}

function statsResetFinding(
  reason: string,
  affected: number,
  previous: StatementsSnapshot,
  read: StatementsRead,
): Finding {
  return {
    check: 'queries.stats_reset',
    severity: 'info',
    object: 'pg_stat_statements',
    title: 'pg_stat_statements counters restarted since the previous run',
    detail:
      `Since the previous run (${previous.taken_at}), ${reason}. Regressions and new heavy statements cannot ` +
      'be judged for this interval; ' +
      'this run starts a new baseline.',
    recommendation:
      'If the reset was not intended, find what calls pg_stat_statements_reset() (for example PgHero with ' +
      'capture_query_stats resets after each capture); with several tools reading the same counters, only ' +
      'one should ever reset them.',
    evidence: {
      previous_taken_at: previous.taken_at,
      previous_stats_reset: previous.stats_reset,
      stats_reset: read.statsReset,
      previous_dealloc: previous.dealloc,
      dealloc: read.dealloc,
      statements_affected: affected,
      statements_in_previous_snapshot: previous.statements.length,
    },
  };
}

function shorten(query: string): string {
  const text = query.replace(/\s+/g, ' ').trim();
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

function describeSeconds(seconds: number): string {
  if (seconds >= 2 * 86_400) return `${Math.round(seconds / 86_400)} days`;
  if (seconds >= 2 * 3_600) return `${Math.round(seconds / 3_600)} hours`;
  if (seconds >= 120) return `${Math.round(seconds / 60)} minutes`;
  return `${Math.max(0, Math.round(seconds))} seconds`;
}
