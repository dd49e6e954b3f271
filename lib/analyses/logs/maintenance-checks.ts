import { round } from '../format.js';
import { capList } from '../finding-list.js';
import type { Finding, Severity } from '../types.js';
import type { TableMaintenance } from './autovacuum-runs.js';
import { logTimeMs, occurrenceEvidence, times, whenText } from './finding-text.js';
import { logCheck } from './scan-log.js';
import {
  AUTOVACUUM_FREQUENT_MIN_RUNS,
  AUTOVACUUM_FREQUENT_SECONDS,
  DEAD_NOT_REMOVABLE_RUNS,
  DEAD_NOT_REMOVABLE_TUPLES,
  MAX_WAL_CHECKPOINT_PERCENT,
  MIN_CHECKPOINTS,
  SLOW_CHECKPOINT_SYNC_SECONDS,
} from './thresholds.js';

/**
 * pgBadger's "Checkpoints" page as one finding: checkpoints by cause, buffers written, write and
 * sync times. A warning when WAL volume, not checkpoint_timeout, triggers most of them (the same
 * rule as performance.requested_checkpoints), or when one sync phase took 10 s or more.
 */
export const checkpointsCheck = logCheck('logs.checkpoints', ['logs'], ({ settings, aggregate }) => {
  const c = aggregate.checkpoints.stats;
  const started = Object.values(c.started).reduce((a, b) => a + b, 0);
  if (started + c.completed === 0) return [];
  const walPercent = started > 0 ? round((100 * c.started.wal) / started, 1) : 0;
  const walDriven = started >= MIN_CHECKPOINTS && walPercent > MAX_WAL_CHECKPOINT_PERCENT;
  const slowSync = c.maxSyncSeconds >= SLOW_CHECKPOINT_SYNC_SECONDS;
  const causes = Object.entries(c.started)
    .filter(([, n]) => n > 0)
    .map(([cause, n]) => `${n} ${cause}`)
    .join(', ');
  const verdicts: string[] = [];
  if (walDriven)
    verdicts.push(
      `${walPercent}% were triggered by WAL volume (max_wal_size ${settings.maxWalSizeMb ?? '?'} MB) rather ` +
        'than checkpoint_timeout: dirty pages are flushed in bursts and more full-page images are written.',
    );
  if (slowSync)
    verdicts.push(
      `The longest sync phase took ${c.maxSyncSeconds} s${c.maxSyncAt ? ` at ${c.maxSyncAt}` : ''}: storage ` +
        `could not absorb the checkpoint's writes, and commits stall behind it.`,
    );
  const recommendation = walDriven
    ? settings.maxWalSizeMb
      ? `ALTER SYSTEM SET max_wal_size = '${settings.maxWalSizeMb * 2}MB'; SELECT pg_reload_conf();`
      : 'Raise max_wal_size.'
    : slowSync
      ? 'Check the storage latency at that time; spread writes with checkpoint_completion_target = 0.9 and ' +
        'lower the kernel dirty-page limits (vm.dirty_background_bytes).'
      : null;
  return [
    {
      check: 'logs.checkpoints',
      severity: walDriven || slowSync ? 'warning' : 'info',
      object: 'checkpoints',
      title: `${started} checkpoint(s) started (${causes || 'no start logged'}), ${c.completed} completed`,
      detail:
        `${c.buffersWritten} buffers written; write ${round(c.writeSeconds, 3)} s and sync ${round(c.syncSeconds, 3)} ` +
        `s in total, longest write ${c.maxWriteSeconds} s, longest sync ${c.maxSyncSeconds} s, longest ` +
        `checkpoint ${c.maxTotalSeconds} s.` +
        (verdicts.length ? ` ${verdicts.join(' ')}` : '') +
        ` Logged${whenText({ firstTime: c.firstTime, lastTime: c.lastTime, count: started })}.`,
      recommendation,
      evidence: {
        value: started,
        started: c.started,
        completed: c.completed,
        wal_percent: walPercent,
        buffers_written: c.buffersWritten,
        write_seconds: round(c.writeSeconds, 3),
        sync_seconds: round(c.syncSeconds, 3),
        max_write_seconds: c.maxWriteSeconds,
        max_sync_seconds: c.maxSyncSeconds,
        max_sync_at: c.maxSyncAt,
        max_total_seconds: c.maxTotalSeconds,
        first_seen: c.firstTime,
        last_seen: c.lastTime,
      },
    },
  ];
});

/** Seconds between the first and the last vacuum of a table, per interval, or null when not known. */
function secondsBetweenVacuums(t: TableMaintenance): number | null {
  if (t.vacuums < 2 || !t.firstVacuumAt || !t.lastVacuumAt) return null;
  const span = (logTimeMs(t.lastVacuumAt) - logTimeMs(t.firstVacuumAt)) / 1000;
  return Number.isFinite(span) ? round(span / (t.vacuums - 1), 1) : null;
}

/**
 * pgBadger's "Vacuums" page, one finding per table autovacuum or autoanalyze worked on (busiest
 * first, capped). A warning when the table is vacuumed about every minute or more often (at every
 * autovacuum_naptime: thresholds too low for its churn), or when every recent vacuum left dead
 * tuples it could not remove (an old snapshot holds the xmin horizon back, so vacuum can never
 * finish the job and the table bloats).
 */
export const autovacuumCheck = logCheck('logs.autovacuum', ['logs'], ({ aggregate }) => {
  const runs = aggregate.autovacuum;
  const { shown, notShown } = capList(runs.ranked());
  return shown.map((t): Finding => {
    const interval = secondsBetweenVacuums(t);
    const frequent =
      t.vacuums >= AUTOVACUUM_FREQUENT_MIN_RUNS && interval !== null && interval <= AUTOVACUUM_FREQUENT_SECONDS;
    const blocked =
      t.runsLeavingDead >= DEAD_NOT_REMOVABLE_RUNS &&
      t.runsLeavingDead === t.vacuums &&
      t.lastDeadNotRemovable >= DEAD_NOT_REMOVABLE_TUPLES;
    const severity: Severity = frequent || blocked ? 'warning' : 'info';
    const notes: string[] = [];
    if (frequent)
      notes.push(
        `It was vacuumed every ${interval} s on average, at every autovacuum_naptime or nearly: its ` +
          'thresholds are too low for its churn, or each run cannot catch up.',
      );
    if (blocked)
      notes.push(
        `Every vacuum left dead tuples it could not remove (${t.lastDeadNotRemovable} at the last run${t.lastOldestXmin ? `, oldest xmin ${t.lastOldestXmin}` : ''}): ` +
          'an old snapshot holds the xmin horizon back, so vacuum can never finish here.',
      );
    return {
      check: 'logs.autovacuum',
      severity,
      object: t.table,
      title: `${t.table}: ${t.vacuums} autovacuum(s), ${t.analyzes} autoanalyze(s), ${round(t.elapsedSeconds, 2)} s`,
      detail:
        `${t.tuplesRemoved} dead tuples removed; longest run ${t.maxElapsedSeconds} s${t.wraparoundVacuums > 0 ? `; ${t.wraparoundVacuums} run(s) were aggressive or to prevent wraparound` : ''}.` +
        (notes.length ? ` ${notes.join(' ')}` : '') +
        ` Logged${whenText({ firstTime: t.firstTime, lastTime: t.lastTime, count: t.vacuums + t.analyzes })}.`,
      recommendation: blocked
        ? 'Find what holds the horizon: SELECT pid, xact_start, state FROM pg_stat_activity WHERE backend_xmin ' +
          'IS NOT NULL ORDER BY age(backend_xmin) DESC; and check pg_prepared_xacts and pg_replication_slots; ' +
          'end or drop it.'
        : frequent
          ? `Raise this table's thresholds so each run does more at once: ALTER TABLE ${t.table.split('.').slice(1).join('.')} ` +
            'SET (autovacuum_vacuum_scale_factor = 0.05, autovacuum_vacuum_threshold = 1000);'
          : null,
      evidence: {
        value: t.vacuums + t.analyzes,
        table: t.table,
        vacuums: t.vacuums,
        analyzes: t.analyzes,
        wraparound_vacuums: t.wraparoundVacuums,
        elapsed_seconds: round(t.elapsedSeconds, 3),
        max_elapsed_seconds: t.maxElapsedSeconds,
        tuples_removed: t.tuplesRemoved,
        runs_leaving_dead_tuples: t.runsLeavingDead,
        last_dead_not_removable: t.lastDeadNotRemovable,
        last_oldest_xmin: t.lastOldestXmin,
        seconds_between_vacuums: interval,
        first_seen: t.firstTime,
        last_seen: t.lastTime,
        others_not_shown: notShown + runs.tablesNotKept,
      },
    };
  });
});

/**
 * archive_command failures: while it fails, WAL segments are kept in pg_wal until the disk fills,
 * and point-in-time recovery has a gap. A warning at the first failure.
 */
export const archiveFailuresCheck = logCheck('logs.archive_failures', ['logs'], ({ aggregate }) => {
  const t = aggregate.archiveFailures.top()[0]?.[1];
  if (!t) return [];
  return [
    {
      check: 'logs.archive_failures',
      severity: 'warning',
      object: 'archive_command',
      title: `WAL archiving failed ${times(t.count)}`,
      detail:
        `The archiver could not archive a WAL segment${whenText(t)}. Until it succeeds, segments pile up in ` +
        'pg_wal (the disk can fill and stop the server) and backups cannot be restored past the gap.',
      recommendation:
        'Run the archive_command by hand as the postgres user on the failing segment to see its error; ' +
        'SELECT * FROM pg_stat_archiver; shows the last failure.',
      evidence: { ...occurrenceEvidence(t) },
    },
  ];
});
