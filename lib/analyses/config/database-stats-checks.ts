import { formatBytes, plural, round } from '../format.js';
import { perReview } from '../per-review.js';
import type { Check, CheckContext, Finding } from '../types.js';
import { counterWindow, type CounterWindow } from './counter-window.js';
import { gradeBy } from './findings.js';

type DatabaseCounters = { tempFiles: number; tempBytes: number; deadlocks: number; commits: number; rollbacks: number };

const STATE_KEY = 'performance.database_counters';

// The counters of the reviewed database only: other databases on the server belong to other
// applications. Read once per review, so every check works from the same numbers, and judged on
// their change since the previous review (counter-window.ts).
const readDatabaseCounters = perReview(
  async (ctx: CheckContext): Promise<CounterWindow<DatabaseCounters> & { statsReset: string | null }> => {
    const [r] = await ctx.sql`
    select temp_files::float8, temp_bytes::float8, deadlocks::float8, xact_commit::float8, xact_rollback::float8, stats_reset,
           to_json(now()) #>> '{}' as taken_at
    from pg_catalog.pg_stat_database
    where datname = current_database()`;
    const statsReset = r.stats_reset ? new Date(r.stats_reset).toISOString() : null;
    const counters = {
      tempFiles: r.temp_files,
      tempBytes: r.temp_bytes,
      deadlocks: r.deadlocks,
      commits: r.xact_commit,
      rollbacks: r.xact_rollback,
    };
    return { ...counterWindow(ctx, STATE_KEY, counters, statsReset, new Date(r.taken_at).toISOString()), statsReset };
  },
);

const temporaryFiles: Check = {
  id: 'performance.temp_files',
  targets: ['performance'],
  async run(ctx) {
    const c = await readDatabaseCounters(ctx);
    if (c.delta.tempFiles === 0) return [];
    // pgBadger's temporary-file report (fed by log_temp_files) lists every spill; there is no
    // universal "too much", so the volume is reported as info with the way to find the queries.
    return [
      {
        check: 'performance.temp_files',
        severity: 'info',
        object: ctx.server.database,
        title: `Queries wrote ${formatBytes(c.delta.tempBytes)} in ${plural(c.delta.tempFiles, 'temporary file')} ${c.sinceReset ? 'since statistics were reset' : 'since the previous review'}`,
        detail:
          `${ctx.server.database} ${c.window}: ${c.delta.tempFiles} temporary files, ${formatBytes(c.delta.tempBytes)} ` +
          'in all, written by sorts, hashes and materialisations larger than work_mem.',
        recommendation:
          "Log the spills with ALTER SYSTEM SET log_temp_files = '10MB'; SELECT pg_reload_conf(); then raise " +
          'work_mem for the queries found (SET work_mem per role or per transaction) rather than globally.',
        evidence: {
          value: c.delta.tempBytes,
          temp_files: c.delta.tempFiles,
          temp_bytes: c.delta.tempBytes,
          window: c.sinceReset ? 'stats_reset' : 'previous_review',
          stats_reset: c.statsReset,
        },
      },
    ];
  },
};

const deadlocks: Check = {
  id: 'performance.deadlocks',
  targets: ['performance'],
  async run(ctx) {
    const c = await readDatabaseCounters(ctx);
    if (c.delta.deadlocks === 0) return [];
    // Every deadlock aborts a transaction with an ERROR (pgBadger lists each one); even one points at
    // an application that takes locks in inconsistent order. A total since the last reset may be
    // months old, so only deadlocks since the previous review make a warning.
    return [
      {
        check: 'performance.deadlocks',
        severity: c.sinceReset ? 'info' : 'warning',
        object: ctx.server.database,
        title: `${plural(c.delta.deadlocks, 'deadlock')} in ${ctx.server.database} ${c.sinceReset ? 'since statistics were reset' : 'since the previous review'}`,
        detail:
          `${ctx.server.database} ${c.window}: ${c.delta.deadlocks} transactions were aborted by the deadlock ` +
          `detector.${c.sinceReset ? ' The next review will say whether any happen now.' : ''}`,
        recommendation:
          "Read the 'deadlock detected' entries in the server log (they show both statements), then make the " +
          'application lock rows and tables in a consistent order.',
        evidence: {
          value: c.delta.deadlocks,
          window: c.sinceReset ? 'stats_reset' : 'previous_review',
          stats_reset: c.statsReset,
        },
      },
    ];
  },
};

// A handful of transactions after a reset or on an idle database says nothing about the application.
export const MIN_TRANSACTIONS = 1000;

const rollbackRatio: Check = {
  id: 'performance.rollback_ratio',
  targets: ['performance'],
  async run(ctx) {
    const c = await readDatabaseCounters(ctx);
    const { commits, rollbacks } = c.delta;
    const total = commits + rollbacks;
    if (total < MIN_TRANSACTIONS) return [];
    const commitPercent = round((100 * commits) / total, 1);
    // check_postgres commitratio (documented example): warning below 90% commits, critical below 80%.
    const severity = gradeBy(100 - commitPercent, [
      [20, 'critical'],
      [10, 'warning'],
    ]);
    if (!severity) return [];
    const finding: Finding = {
      check: 'performance.rollback_ratio',
      severity,
      object: ctx.server.database,
      title: `${round(100 - commitPercent, 1)}% of transactions in ${ctx.server.database} roll back`,
      detail:
        `${ctx.server.database} ${c.window}: ${commits} commits and ${rollbacks} rollbacks (commit ratio ${commitPercent}%). ` +
        'Rollbacks count failed statements too, so a high share usually means errors the application retries ' +
        'or ignores.',
      recommendation:
        'Look for ERROR lines in the server log (or the log_analysis review) to see which statements fail, ' +
        'and fix them in the application.',
      evidence: {
        value: round(100 - commitPercent, 1),
        commits,
        rollbacks,
        window: c.sinceReset ? 'stats_reset' : 'previous_review',
        stats_reset: c.statsReset,
      },
    };
    return [finding];
  },
};

export const databaseStatsChecks: Check[] = [temporaryFiles, deadlocks, rollbackRatio];
