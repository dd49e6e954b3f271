import { formatBytes } from '../format.js';
import type { Finding } from '../types.js';
import { eventCheck } from './event-checks.js';
import { times, whenText } from './finding-text.js';
import { shortHash, truncate } from './normalize.js';
import { logCheck } from './scan-log.js';
import { AUTOVACUUM_CANCELS_WARNING, TOP_N } from './thresholds.js';
import { capList } from '../finding-list.js';

// Temporary files are information (pgBadger reports them without a threshold): a sort or hash
// spilled past work_mem. The headline value is the bytes written, so growth shows as "worsened".
export const tempFilesCheck = eventCheck({
  check: 'logs.temp_files',
  tally: (a) => a.tempFiles,
  severity: () => 'info',
  title: (t, db) => `${t.count} temporary file(s), ${formatBytes(t.bytes)} in ${db}`,
  detail: (t) =>
    `Sorts or hashes spilled to disk past work_mem; the largest file was ${formatBytes(t.maxBytes)} ` +
    '(sample_statement is the statement behind it).',
  recommendation:
    'Raise work_mem for the role or statement that spills (ALTER ROLE <role> SET work_mem = ...;), or add an ' +
    'index that avoids the sort.',
  evidence: (t) => ({ value: t.bytes, bytes: t.bytes, max_file_bytes: t.maxBytes }),
});

/**
 * pgBadger's "Queries generating the largest temporary files": temporary files by the statement
 * that made them (its STATEMENT line, or the execute line of the same process), top 20 by bytes.
 */
export const tempFileStatementsCheck = logCheck('logs.temp_file_statements', ['logs'], ({ aggregate }) => {
  const tally = aggregate.tempFilesByStatement;
  const ranked = tally.top().sort((a, b) => b[1].bytes - a[1].bytes);
  const { shown, notShown } = capList(ranked, TOP_N);
  return shown.map(([statement, t]): Finding => ({
    check: 'logs.temp_file_statements',
    severity: 'info',
    object: `query:${shortHash(statement)}`,
    title: `${t.count} temporary file(s), ${formatBytes(t.bytes)}: ${truncate(statement, 100)}`,
    detail: `This statement spilled to disk past work_mem ${times(t.count)}${whenText(t)}; its largest file was ${formatBytes(t.maxBytes)}.`,
    recommendation:
      'Raise work_mem for the role or session that runs it (SET work_mem = ... before it), or add an index ' +
      'that avoids the sort or hash.',
    evidence: {
      value: t.bytes,
      statement,
      count: t.count,
      bytes: t.bytes,
      max_file_bytes: t.maxBytes,
      first_seen: t.firstTime,
      last_seen: t.lastTime,
      others_not_shown: notShown + tally.evictedKeys,
    },
  }));
});

export const autovacuumCancellationsCheck = eventCheck({
  check: 'logs.autovacuum_cancellations',
  tally: (a) => a.autovacuumCancels,
  severity: (t) => (t.count >= AUTOVACUUM_CANCELS_WARNING ? 'warning' : 'info'),
  title: (t, table) => `Autovacuum cancelled ${times(t.count)} on ${table}`,
  unnamed: 'an unnamed table',
  detail: () =>
    'A conflicting lock request (DDL, LOCK TABLE, TRUNCATE) cancelled autovacuum on this table and its work ' +
    'was lost.',
  recommendation:
    'Schedule DDL and explicit locks on this table away from its vacuum, or run VACUUM on it yourself in a ' +
    'quiet period.',
});

/**
 * "checkpoints are occurring too frequently": the server writes it when two WAL-triggered
 * checkpoints are closer than checkpoint_warning (30 s by default), its own threshold for
 * max_wal_size being too small. A warning whenever it appears.
 */
export const checkpointsTooFrequentCheck = logCheck(
  'logs.checkpoints_too_frequent',
  ['logs'],
  ({ settings, aggregate }) => {
    const c = aggregate.checkpointWarnings;
    if (c.count === 0) return [];
    const current = settings.maxWalSizeMb;
    return [
      {
        check: 'logs.checkpoints_too_frequent',
        severity: 'warning',
        object: 'max_wal_size',
        title: `Checkpoints forced by WAL volume ${times(c.count)}, as close as ${c.minSecondsApart ?? '?'} s apart`,
        detail:
          `The server logged "checkpoints are occurring too frequently" ${times(c.count)}${whenText(c)}; ` +
          `max_wal_size is ${current ?? '?'} MB.`,
        recommendation: current
          ? `ALTER SYSTEM SET max_wal_size = '${current * 2}MB'; SELECT pg_reload_conf();`
          : 'Raise max_wal_size.',
        evidence: {
          value: c.count,
          count: c.count,
          min_seconds_apart: c.minSecondsApart,
          first_seen: c.firstTime,
          last_seen: c.lastTime,
          max_wal_size_mb: current,
        },
      },
    ];
  },
);
