import { round } from '../format.js';
import type { Finding } from '../types.js';
import { shortHash, truncate } from './normalize.js';
import { logCheck } from './scan-log.js';
import { percentileMs, type StatementStats, type StatementStatsSketch } from './statement-stats.js';
import { LONG_STATEMENT_MS, STATEMENT_KEYS, TOP_N } from './thresholds.js';

const ms = (value: number) => round(value, 3);

/** The figures every statement finding carries; the bound is there only when the sketch had to evict. */
function statementEvidence(s: StatementStats, sketch: StatementStatsSketch): Record<string, unknown> {
  const seenRuns = s.count - s.errorCount;
  return {
    statement: s.text,
    count: s.count,
    total_ms: ms(s.totalMs),
    mean_ms: seenRuns > 0 ? ms((s.totalMs - s.errorMs) / seenRuns) : null,
    max_ms: ms(s.maxMs),
    max_at: s.maxAt,
    p95_ms: percentileMs(s, 0.95),
    percent_of_total_time: sketch.totalMs > 0 ? round((100 * s.totalMs) / sketch.totalMs, 1) : null,
    databases: s.databases,
    user: s.user,
    ...(s.errorMs > 0 ? { total_ms_error_bound: ms(s.errorMs), count_error_bound: s.errorCount } : {}),
  };
}

function boundText(s: StatementStats): string {
  return s.errorMs > 0
    ? ` More than ${STATEMENT_KEYS} distinct statements were logged, so these figures may include up to ${Math.round(s.errorMs)} ` +
        `ms and ${s.errorCount} runs of statements evicted before it (Space-Saving bound); mean and maximum are ` +
        'over its own runs.'
    : '';
}

/**
 * pgBadger's "Time consuming queries": statements logged by log_min_duration_statement grouped by
 * normalized text over every logged run (not a sample), ranked by total time, top 20. Execute
 * lines are runs; parse and bind steps are totalled apart (logs.statement_summary). The object is
 * a hash of the normalized text, stable across runs; literals never reach the finding.
 */
export const topStatementsCheck = logCheck('logs.top_statements', ['logs'], ({ aggregate }) => {
  const sketch = aggregate.statements;
  return sketch
    .ranked()
    .slice(0, TOP_N)
    .map((s, index): Finding => {
      const e = statementEvidence(s, sketch);
      return {
        check: 'logs.top_statements',
        severity: 'info',
        object: `query:${shortHash(s.text)}`,
        title: `#${index + 1} by total time: ${s.count} runs, ${Math.round(s.totalMs)} ms in total: ${truncate(s.text, 100)}`,
        detail:
          `${e.percent_of_total_time}% of the time of all logged statements. Mean ${e.mean_ms} ms, 95th ` +
          `percentile ${e.p95_ms === null ? '?' : round(e.p95_ms as number, 1)} ms (within 19%), ` +
          `slowest ${Math.round(s.maxMs)} ms${s.maxAt ? ` at ${s.maxAt}` : ''}.${boundText(s)}`,
        recommendation:
          'EXPLAIN (ANALYZE, BUFFERS) the statement with representative parameters: a statement that runs ' +
          'often gains most from an index or a rewrite.',
        evidence: { value: Math.round(s.totalMs), rank: index + 1, ...e },
      };
    });
});

/**
 * pgBadger's "Slowest queries" (by their slowest run): the statements whose slowest logged run was
 * longest, top 20. A run of a minute or more is a warning (PgHero long_running_query_sec = 60).
 */
export const slowStatementsCheck = logCheck('logs.slow_statements', ['logs'], ({ settings, aggregate }) => {
  const sketch = aggregate.statements;
  const threshold = settings.logMinDurationStatementMs;
  return sketch
    .ranked()
    .sort((a, b) => b.maxMs - a.maxMs)
    .slice(0, TOP_N)
    .map((s): Finding => ({
      check: 'logs.slow_statements',
      severity: s.maxMs >= LONG_STATEMENT_MS ? 'warning' : 'info',
      object: `query:${shortHash(s.text)}`,
      title: `Statement took ${Math.round(s.maxMs)} ms: ${truncate(s.text, 120)}`,
      detail:
        `Slowest logged run ${Math.round(s.maxMs)} ms${s.maxAt ? ` at ${s.maxAt}` : ''}; ${s.count} run(s) ` +
        `logged, ${Math.round(s.totalMs)} ms in total. ` +
        (`${sketch.runs} statements over log_min_duration_statement${threshold !== null ? ` (${threshold} ms)` : ''} ` +
          `were logged in total.${boundText(s)}`),
      recommendation:
        'EXPLAIN (ANALYZE, BUFFERS) the statement with representative parameters and add the index or ' +
        'rewrite it suggests.',
      evidence: {
        value: Math.round(s.maxMs),
        ...statementEvidence(s, sketch),
        statements_logged: sketch.runs,
        log_min_duration_statement_ms: threshold,
      },
    }));
});

/** Totals over every logged statement, with the extended protocol's parse and bind steps shown apart. */
export const statementSummaryCheck = logCheck('logs.statement_summary', ['logs'], ({ settings, aggregate }) => {
  const s = aggregate.statements;
  if (s.runs + s.parse.count + s.bind.count + s.bareDurations === 0) return [];
  const phases =
    s.parse.count + s.bind.count > 0
      ? ` Extended protocol: ${s.parse.count} parse steps (${Math.round(s.parse.totalMs)} ms) and ${s.bind.count} ` +
        `bind steps (${Math.round(s.bind.totalMs)} ms) were logged too; they are steps of the runs above, not ` +
        'statements of their own.'
      : '';
  const bare =
    s.bareDurations > 0
      ? ` ${s.bareDurations} "duration" lines without a statement (log_duration) are not grouped.`
      : '';
  return [
    {
      check: 'logs.statement_summary',
      severity: 'info',
      object: 'statements',
      title: `${s.runs} statement runs logged, ${Math.round(s.totalMs)} ms in total, ${s.distinct} distinct statements`,
      detail: `Statements that ran for at least log_min_duration_statement${settings.logMinDurationStatementMs !== null ? ` (${settings.logMinDurationStatementMs} ms)` : ''}.${phases}${bare}${
        s.evictions > 0
          ? ` More than ${STATEMENT_KEYS} distinct statements were logged: the ranking keeps the heaviest with a ` +
            'known error bound.'
          : ''
      }`,
      recommendation: null,
      evidence: {
        value: s.runs,
        runs: s.runs,
        total_ms: ms(s.totalMs),
        distinct_statements: s.distinct,
        parse: { count: s.parse.count, total_ms: ms(s.parse.totalMs), max_ms: ms(s.parse.maxMs) },
        bind: { count: s.bind.count, total_ms: ms(s.bind.totalMs), max_ms: ms(s.bind.maxMs) },
        durations_without_statement: s.bareDurations,
        sketch_evictions: s.evictions,
        log_min_duration_statement_ms: settings.logMinDurationStatementMs,
      },
    },
  ];
});
