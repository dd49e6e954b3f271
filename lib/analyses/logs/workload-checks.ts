import { formatBytes } from '../format.js';
import type { Finding } from '../types.js';
import { eventCheck } from './event-checks.js';
import { times, whenText } from './finding-text.js';
import { normalizeQuery, shortHash, truncate } from './normalize.js';
import { logCheck } from './scan-log.js';
import type { SlowStatement } from './slow-statements.js';
import { AUTOVACUUM_CANCELS_WARNING, LONG_STATEMENT_MS, TOP_N } from './thresholds.js';
import { QUERY_TEXT_CHARS } from '../query-text.js';

interface SlowGroup {
  text: string;
  runs: SlowStatement[];
}

/**
 * Slowest statements logged by log_min_duration_statement (pgBadger "Slowest individual queries"):
 * the slowest runs, grouped by normalized text, top 20 by their slowest run. The object is a hash
 * of the normalized text, stable across runs. Literals never reach the finding.
 */
export const slowStatementsCheck = logCheck('logs.slow_statements', ['logs'], ({ settings, aggregate }) => {
  const slow = aggregate.slowStatements;
  const slowest = slow.top();
  const groups = new Map<string, SlowGroup>();
  for (const run of slowest) {
    const text = truncate(normalizeQuery(run.text), QUERY_TEXT_CHARS);
    const group = groups.get(text) ?? { text, runs: [] };
    group.runs.push(run);
    groups.set(text, group);
  }
  const ranked = [...groups.values()].slice(0, TOP_N);
  const threshold = settings.logMinDurationStatementMs;
  return ranked.map(({ text, runs }): Finding => {
    const worst = runs[0];
    return {
      check: 'logs.slow_statements',
      // PgHero long_running_query_sec = 60: a run of a minute or more is a warning.
      severity: worst.ms >= LONG_STATEMENT_MS ? 'warning' : 'info',
      object: `query:${shortHash(text)}`,
      title: `Statement took ${Math.round(worst.ms)} ms: ${truncate(text, 120)}`,
      detail:
        `Slowest logged run ${Math.round(worst.ms)} ms${worst.time ? ` at ${worst.time}` : ''}` +
        `${worst.database ? ` in ${worst.database}` : ''}; ${runs.length} of the ${slowest.length} slowest runs kept are this statement. ` +
        `${slow.count} statements over log_min_duration_statement${threshold !== null ? ` (${threshold} ms)` : ''} were logged in total, the slowest ${Math.round(slow.maxMs)} ms.`,
      recommendation: `EXPLAIN (ANALYZE, BUFFERS) the statement with representative parameters and add the index or rewrite it suggests.`,
      evidence: {
        value: Math.round(worst.ms),
        max_ms: worst.ms,
        runs_among_slowest: runs.length,
        durations_ms: runs.map((r) => r.ms),
        database: worst.database,
        user: worst.user,
        statement: text,
        statements_logged: slow.count,
        total_ms: Math.round(slow.totalMs),
        log_min_duration_statement_ms: threshold,
        others_not_shown: Math.max(0, groups.size - TOP_N),
      },
    };
  });
});

// Temporary files are information (pgBadger reports them without a threshold): a sort or hash
// spilled past work_mem. The headline value is the bytes written, so growth shows as "worsened".
export const tempFilesCheck = eventCheck({
  check: 'logs.temp_files',
  tally: (a) => a.tempFiles,
  severity: () => 'info',
  title: (t, db) => `${t.count} temporary file(s), ${formatBytes(t.bytes)} in ${db}`,
  detail: (t) => `Sorts or hashes spilled to disk past work_mem; the largest file was ${formatBytes(t.maxBytes)} (sample_statement is the statement behind it).`,
  recommendation: 'Raise work_mem for the role or statement that spills (ALTER ROLE <role> SET work_mem = ...;), or add an index that avoids the sort.',
  evidence: (t) => ({ value: t.bytes, bytes: t.bytes, max_file_bytes: t.maxBytes }),
});

export const autovacuumCancellationsCheck = eventCheck({
  check: 'logs.autovacuum_cancellations',
  tally: (a) => a.autovacuumCancels,
  severity: (t) => (t.count >= AUTOVACUUM_CANCELS_WARNING ? 'warning' : 'info'),
  title: (t, table) => `Autovacuum cancelled ${times(t.count)} on ${table}`,
  unnamed: 'an unnamed table',
  detail: () => 'A conflicting lock request (DDL, LOCK TABLE, TRUNCATE) cancelled autovacuum on this table and its work was lost.',
  recommendation: 'Schedule DDL and explicit locks on this table away from its vacuum, or run VACUUM on it yourself in a quiet period.',
});

/**
 * "checkpoints are occurring too frequently": the server writes it when two WAL-triggered
 * checkpoints are closer than checkpoint_warning (30 s by default), its own threshold for
 * max_wal_size being too small. A warning whenever it appears.
 */
export const checkpointsTooFrequentCheck = logCheck('logs.checkpoints_too_frequent', ['logs'], ({ settings, aggregate }) => {
  const c = aggregate.checkpointWarnings;
  if (c.count === 0) return [];
  const current = settings.maxWalSizeMb;
  return [
    {
      check: 'logs.checkpoints_too_frequent',
      severity: 'warning',
      object: 'max_wal_size',
      title: `Checkpoints forced by WAL volume ${times(c.count)}, as close as ${c.minSecondsApart ?? '?'} s apart`,
      detail: `The server logged "checkpoints are occurring too frequently" ${times(c.count)}${whenText(c)}; max_wal_size is ${current ?? '?'} MB.`,
      recommendation: current ? `ALTER SYSTEM SET max_wal_size = '${current * 2}MB'; SELECT pg_reload_conf();` : 'Raise max_wal_size.',
      evidence: { value: c.count, count: c.count, min_seconds_apart: c.minSecondsApart, first_seen: c.firstTime, last_seen: c.lastTime, max_wal_size_mb: current },
    },
  ];
});
