import type { CheckContext } from '../types.js';

export interface CounterWindow<T extends Record<string, number>> {
  /** What changed over the window: since the previous review, or everything since the last reset. */
  delta: T;
  /** No comparable previous review: the counters are totals since statistics were last reset. */
  sinceReset: boolean;
  /** "since the previous review (2026-...)" or "since statistics were reset (...)", for the finding's text. */
  window: string;
}

interface StoredCounters {
  counters: Record<string, number>;
  stats_reset: string | null;
  taken_at: string;
}

/**
 * Cumulative counters (deadlocks, temporary files, checkpoints ...) judged on what changed since the
 * previous review of the same task, as the query analysis does with pg_stat_statements: a total
 * since the last reset keeps one old deadlock a warning forever and makes a steady rate look worse
 * at every run. The previous counters are comparable only under the same stats_reset and when none
 * went down (a reset that the server does not date, a restart of a server that does not keep them).
 * The current counters are kept in the run's state under `key` for the next review.
 */
export function counterWindow<T extends Record<string, number>>(
  ctx: CheckContext,
  key: string,
  current: T,
  statsReset: string | null,
  takenAt: string,
): CounterWindow<T> {
  const previous = ctx.previousState[key] as StoredCounters | undefined;
  ctx.state[key] = { counters: current, stats_reset: statsReset, taken_at: takenAt } satisfies StoredCounters;
  const comparable =
    previous !== undefined &&
    previous.stats_reset === statsReset &&
    Object.keys(current).every(
      (name) => typeof previous.counters?.[name] === 'number' && current[name] >= previous.counters[name],
    );
  if (!comparable) {
    return {
      delta: current,
      sinceReset: true,
      window: statsReset
        ? `since statistics were reset (${statsReset})`
        : 'since statistics collection began (never reset)',
    };
  }
  const delta = Object.fromEntries(
    Object.entries(current).map(([name, value]) => [name, value - previous.counters[name]]),
  ) as T;
  return { delta, sinceReset: false, window: `since the previous review (${previous.taken_at})` };
}
