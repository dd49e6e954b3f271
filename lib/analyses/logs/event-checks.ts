import type { Finding, Severity } from '../types.js';
import type { BoundedTally } from './bounded-tally.js';
import { occurrenceEvidence, times, whenText } from './finding-text.js';
import { capList } from '../finding-list.js';
import type { LogAggregate, Occurrences } from './log-aggregate.js';
import { logCheck, type LogCheck } from './scan-log.js';
import type { LockWaitGroup } from './lock-waits.js';
import { round } from '../format.js';

interface EventSpec<T extends Occurrences> {
  check: string;
  tally: (a: LogAggregate) => BoundedTally<T>;
  severity: (t: T) => Severity;
  title: (t: T, where: string) => string;
  detail: (t: T) => string;
  recommendation: string;
  /** How the title names an entry whose database (or table) the log does not give. */
  unnamed?: string;
  evidence?: (t: T) => Record<string, unknown>;
}

/**
 * One finding per database (or per table) an event was logged for, worst first, capped at
 * LIST_CAP. The object is the database name, so the same problem in the same database is the
 * same finding on the next run; null when the log line does not say which database.
 */
export function eventCheck<T extends Occurrences>(spec: EventSpec<T>): LogCheck {
  const unnamed = spec.unnamed ?? 'an unnamed database';
  return logCheck(spec.check, ['logs'], ({ aggregate }) => {
    const tally = spec.tally(aggregate);
    const { shown, notShown } = capList(tally.top());
    return shown.map(([key, t]): Finding => ({
      check: spec.check,
      severity: spec.severity(t),
      object: key || null,
      title: spec.title(t, key || unnamed),
      detail: `${spec.detail(t)} Logged ${times(t.count)}${whenText(t)}.`,
      recommendation: spec.recommendation,
      evidence: {
        ...occurrenceEvidence(t),
        ...(spec.evidence?.(t) ?? {}),
        others_not_shown: notShown + tally.evictedKeys,
      },
    }));
  });
}

// Any deadlock is a warning: the server had to abort a transaction to break the cycle.
export const deadlocksCheck = eventCheck({
  check: 'logs.deadlocks',
  tally: (a) => a.deadlocks,
  severity: () => 'warning',
  title: (t, db) => `${t.count} deadlock(s) in ${db}`,
  detail: () => 'Transactions waited on each other in a cycle and the server aborted one of them (SQLSTATE 40P01).',
  recommendation:
    'Make transactions lock rows in the same order (for example SELECT ... ORDER BY id FOR UPDATE) and keep ' +
    'them short; retry on 40P01 in the application.',
});

// log_lock_waits only logs a wait that already lasted deadlock_timeout (1 s by default), so
// every entry is a session stalled on a lock: a warning. One finding per database, with the waits
// by lock mode, locked object and relation, and their real durations from the "acquired" lines.
export const lockWaitsCheck = logCheck('logs.lock_waits', ['logs'], ({ aggregate }) => {
  const byDatabase = new Map<string, LockWaitGroup[]>();
  for (const group of aggregate.lockWaits.ranked()) {
    const key = group.database ?? '';
    byDatabase.set(key, [...(byDatabase.get(key) ?? []), group]);
  }
  const ranked = [...byDatabase].sort((a, b) => sum(b[1], 'totalMs') - sum(a[1], 'totalMs'));
  const { shown, notShown } = capList(ranked);
  return shown.map(([database, groups]): Finding => {
    const waits = sum(groups, 'waits');
    const acquired = sum(groups, 'acquired');
    const maxMs = Math.max(...groups.map((g) => g.maxMs));
    const worst = groups[0];
    const lockModes: Record<string, number> = {};
    for (const g of groups) lockModes[g.mode] = (lockModes[g.mode] ?? 0) + g.waits;
    const unfinished = waits - acquired;
    return {
      check: 'logs.lock_waits',
      severity: 'warning',
      object: database || null,
      title:
        `${waits} lock wait(s) longer than deadlock_timeout in ${database || 'an unnamed database'}, longest ${Math.round(maxMs)} ` +
        'ms',
      detail:
        `${Math.round(sum(groups, 'totalMs'))} ms waited in total; most on ${describe(worst)} (${worst.waits} ` +
        `wait(s), longest ${Math.round(worst.maxMs)} ms). ` +
        `Durations are the full waits from the "acquired" lines${
          unfinished > 0
            ? `; ${unfinished} wait(s) never logged an acquisition (cancelled, deadlocked or still waiting) and ` +
              'count with the time logged when they passed deadlock_timeout'
            : ''
        }. ` +
        `Logged${whenText({
          firstTime:
            groups
              .map((g) => g.firstTime)
              .filter(Boolean)
              .sort()[0] ?? null,
          lastTime:
            groups
              .map((g) => g.lastTime)
              .filter(Boolean)
              .sort()
              .at(-1) ?? null,
          count: waits,
        })}.`,
      recommendation:
        'Find the blocking sessions with pg_blocking_pids() while it happens, keep transactions short, and run ' +
        'DDL with SET lock_timeout so it cannot queue behind long transactions.',
      evidence: {
        value: waits,
        count: waits,
        acquired,
        max_wait_ms: maxMs,
        total_wait_ms: round(sum(groups, 'totalMs'), 3),
        lock_modes: lockModes,
        databases: database ? { [database]: waits } : {},
        by_lock: groups.slice(0, 10).map((g) => ({
          mode: g.mode,
          object: g.object,
          relation: g.relation,
          waits: g.waits,
          acquired: g.acquired,
          total_wait_ms: round(g.totalMs, 3),
          max_wait_ms: g.maxMs,
        })),
        others_not_shown: notShown,
      },
    };
  });
});

function sum(groups: LockWaitGroup[], field: 'waits' | 'acquired' | 'totalMs'): number {
  return groups.reduce((total, g) => total + g[field], 0);
}

function describe(g: LockWaitGroup): string {
  return `${g.mode} on ${g.object}${g.relation ? ` (${g.relation})` : ''}`;
}

// A statement killed by statement_timeout did no useful work: a warning.
export const statementTimeoutsCheck = eventCheck({
  check: 'logs.statement_timeouts',
  tally: (a) => a.statementTimeouts,
  severity: () => 'warning',
  title: (t, db) => `${t.count} statement(s) cancelled by statement_timeout in ${db}`,
  detail: () => 'Statements ran past statement_timeout and were cancelled (SQLSTATE 57014).',
  recommendation:
    'Speed up the statement (see sample_statement) or, if it is legitimately long, raise the limit for its ' +
    'role only: ALTER ROLE <role> SET statement_timeout = ...;',
});

export const lockTimeoutsCheck = eventCheck({
  check: 'logs.lock_timeouts',
  tally: (a) => a.lockTimeouts,
  severity: () => 'warning',
  title: (t, db) => `${t.count} statement(s) cancelled by lock_timeout in ${db}`,
  detail: () => 'Statements could not get a lock within lock_timeout and were cancelled (SQLSTATE 55P03).',
  recommendation:
    'Find what holds the lock (long transactions, idle in transaction sessions) and shorten it; retry the ' +
    'cancelled statement in the application.',
});

// A query that fails for lack of memory is critical: the next allocation may take the whole
// server down through the OOM killer.
export const outOfMemoryCheck = eventCheck({
  check: 'logs.out_of_memory',
  tally: (a) => a.outOfMemory,
  severity: () => 'critical',
  title: (t, db) => `${t.count} out-of-memory error(s) in ${db}`,
  detail: () => 'The server could not allocate memory for a query (SQLSTATE 53200).',
  recommendation:
    'Lower work_mem (and hash_mem_multiplier) or max_connections so that their product fits in RAM, and check ' +
    'for memory-hungry statements (see sample_statement).',
});
