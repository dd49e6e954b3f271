/**
 * The numbers behind the query_analysis checks, each with the tool it comes from,
 * so a DBA can compare our verdicts with the tool they already trust.
 */

// PgHero slow_queries: a statement is slow at a mean of ≥ 20 ms (PGHERO_SLOW_QUERY_MS, default 20)
// once it has run ≥ 100 times (PGHERO_SLOW_QUERY_CALLS, default 100); fewer calls are anecdotes.
export const SLOW_MEAN_MS = 20;
export const SLOW_MIN_CALLS = 100;

// PgHero's query list and dashboards rank pg_stat_statements by total time, mean time and calls;
// ten per list is what a DBA reads in one pass.
export const TOP_N = 10;

// Statements kept in the snapshot for the next run's deltas: the 500 heaviest by total time.
// pg_stat_statements.max defaults to 5000; the heaviest 500 hold nearly all of the time.
export const SNAPSHOT_SIZE = 500;

// Regression between two runs. None of the anchor tools ships a delta rule, so the rule borrows
// PgHero's significance floor (≥ 100 calls, in the interval and before it) and flags a mean that
// rose by ≥ 50% and by ≥ 5 ms: the ratio ignores jitter of fast statements, the floor ignores
// 0.1 → 0.2 ms doublings nobody would act on.
export const REGRESSION_MIN_CALLS = SLOW_MIN_CALLS;
export const REGRESSION_GROWTH = 0.5;
export const REGRESSION_MIN_INCREASE_MS = 5;
