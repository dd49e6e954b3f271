import type { Finding, Severity } from '../types.js';
import { breakdownText, occurrenceEvidence, times, whenText } from './finding-text.js';
import { capList } from '../finding-list.js';
import type { MessageTally } from './log-aggregate.js';
import { shortHash } from './normalize.js';
import { isRoutineFatal, WRAPAROUND_PRESSURE } from './patterns.js';
import { logCheck } from './scan-log.js';
import { SQLSTATE_CLASSES } from './sqlstate-classes.js';
import { TOP_N } from './thresholds.js';

/**
 * pgBadger's "Most frequent errors/events": ERROR messages normalized and ranked by count, top 20.
 * An application error is information for its owner (info); storage faults and exhausted
 * resources are graver whatever their count (see errorGravity). Deadlocks, timeouts, autovacuum
 * cancellations and out-of-memory have their own checks and are not repeated here.
 */
export const frequentErrorsCheck = logCheck('logs.frequent_errors', ['logs'], ({ aggregate }) => {
  const ranked = aggregate.errors.top();
  const notShown = Math.max(0, ranked.length - TOP_N) + aggregate.errors.evictedKeys;
  return ranked
    .slice(0, TOP_N)
    .map(([, t]) => messageFinding('logs.frequent_errors', t, t.gravity ?? 'info', notShown));
});

/**
 * FATAL entries other than refused logins (security target) and crashes: each ended a session.
 * Those that follow an operator's action or a configured timeout are info; the rest are warnings.
 */
export const fatalErrorsCheck = logCheck('logs.fatal_errors', ['logs'], ({ aggregate }) => {
  const ranked = aggregate.fatals.top();
  const notShown = Math.max(0, ranked.length - TOP_N) + aggregate.fatals.evictedKeys;
  return ranked
    .slice(0, TOP_N)
    .map(([, t]) =>
      messageFinding('logs.fatal_errors', t, t.gravity ?? (isRoutineFatal(t.message) ? 'info' : 'warning'), notShown),
    );
});

/**
 * WARNING messages normalized and ranked by count, top 20 (pgBadger lists them with the errors).
 * Most are application noise ("there is no transaction in progress") and are info; storage and
 * resource warnings keep their gravity.
 */
export const warningsCheck = logCheck('logs.warnings', ['logs'], ({ aggregate }) => {
  const ranked = aggregate.warnings.top();
  const notShown = Math.max(0, ranked.length - TOP_N) + aggregate.warnings.evictedKeys;
  return ranked.slice(0, TOP_N).map(([, t]) => messageFinding('logs.warnings', t, t.gravity ?? 'info', notShown));
});

/**
 * PANIC entries and the messages the postmaster writes when a backend dies abnormally or the
 * server recovers from a crash: every one means all sessions were dropped. Always critical.
 */
export const crashesCheck = logCheck('logs.crashes', ['logs'], ({ aggregate }) => {
  const { shown, notShown } = capList(aggregate.crashes.top());
  return shown.map(([, t]) => ({
    ...messageFinding('logs.crashes', t, 'critical', notShown),
    recommendation: /signal 9\b/.test(t.message)
      ? 'The kernel killed a backend (signal 9, usually the OOM killer): check dmesg, lower work_mem or ' +
        'max_connections, and set vm.overcommit_memory = 2 on Linux.'
      : 'Check the kernel log and core dumps around this time; every crash restarts all sessions and replays WAL.',
  }));
});

function messageFinding(check: string, t: MessageTally, severity: Severity, notShown: number): Finding {
  const where = Object.keys(t.databases).length > 0 ? ` Databases: ${breakdownText(t.databases)}.` : '';
  const state = t.sqlstate
    ? ` SQLSTATE ${t.sqlstate} (${SQLSTATE_CLASSES[t.sqlstate.slice(0, 2)] ?? 'unknown class'}).`
    : '';
  return {
    check,
    severity,
    object: `message:${shortHash(`${t.severity} ${t.message}`)}`,
    title: `${t.severity}: ${t.message}`,
    detail: `Logged ${times(t.count)}${whenText(t)}.${state}${where}`,
    recommendation: recommendationFor(t),
    evidence: {
      ...occurrenceEvidence(t),
      severity: t.severity,
      message: t.message,
      sqlstate: t.sqlstate,
      others_not_shown: notShown,
    },
  };
}

function recommendationFor(t: MessageTally): string | null {
  if (/^sorry, too many clients already|^remaining connection slots are reserved/.test(t.message)) {
    return 'Put a connection pooler (PgBouncer) in front of the server, or raise max_connections if memory allows.';
  }
  if (WRAPAROUND_PRESSURE.test(t.message)) {
    return (
      'Run VACUUM (FREEZE, VERBOSE) in the database the message names, oldest tables first (age(relfrozenxid)), ' +
      'after ending what holds back the horizon: long transactions, forgotten prepared transactions, stale ' +
      'replication slots (a table review reports them under tables.vacuum_horizon).'
    );
  }
  if (/No space left on device/.test(t.message) || t.sqlstate === '53100')
    return 'Free disk space on the volume named in the message; the server stops writing when it is full.';
  if (t.gravity === 'critical')
    return (
      'Check storage and the kernel log; verify the affected relation with amcheck (bt_index_check, ' +
      'verify_heapam) and restore it from a backup if it is damaged.'
    );
  return null;
}
