import { formatCount, formatMs } from '../format.js';
import type { Check, CheckContext, Finding } from '../types.js';
import { countingSince, explainRecommendation, percentOfTotal, statementEvidence, statementLabel } from './describe.js';
import { readStatements } from './statements-source.js';
import type { StatementsRead, StatementStats } from './statement-types.js';
import { TOP_N } from './thresholds.js';

interface TopList {
  check: string;
  rank: (s: StatementStats) => number;
  measure: (s: StatementStats) => number;
  title: (s: StatementStats, read: StatementsRead) => string;
  /**
   * The headline number for change tracking. Only the mean is given one: the other measures are
   * cumulative counters, which grow on every run and would read as "worsened" each time.
   */
  value?: (s: StatementStats) => number;
  recommendation: (s: StatementStats, ctx: CheckContext) => string | null;
}

const BLOCK_BYTES = 8192;
const mib = (blocks: number) => (blocks * BLOCK_BYTES) / 2 ** 20;

const explain = (s: StatementStats, ctx: CheckContext) => explainRecommendation(s, ctx.server);

// The lists PgHero and pganalyze show for pg_stat_statements: where the time goes (total),
// what is slow per call (mean), what runs most (calls), what returns most (rows), what spills
// to temp files (temp blocks written, also pgBadger's temp-file report) and what reads from
// outside shared_buffers (shared blocks read).
const lists: TopList[] = [
  {
    check: 'queries.top_total_time',
    rank: (s) => s.rank.totalTime,
    measure: (s) => s.totalMs,
    title: (s, read) =>
      `Top statement by total time: ${formatMs(s.totalMs)} (${percentOfTotal(s, read)}% of all statement time)`,
    recommendation: explain,
  },
  {
    check: 'queries.top_mean_time',
    rank: (s) => s.rank.meanTime,
    measure: (s) => s.meanMs,
    title: (s) => `Top statement by mean time: ${formatMs(s.meanMs)} per call over ${formatCount(s.calls)} calls`,
    value: (s) => Number(s.meanMs.toFixed(3)),
    recommendation: explain,
  },
  {
    check: 'queries.top_calls',
    rank: (s) => s.rank.calls,
    measure: (s) => s.calls,
    title: (s) => `Top statement by calls: ${formatCount(s.calls)} calls, ${formatMs(s.meanMs)} each`,
    // Many calls of a cheap statement is usually a loop in the application (N+1), not a plan problem.
    recommendation: () => null,
  },
  {
    check: 'queries.top_rows',
    rank: (s) => s.rank.rows,
    measure: (s) => s.rows,
    title: (s) => `Top statement by rows: ${formatCount(s.rows)} rows (${formatCount(s.rows / s.calls)} per call)`,
    recommendation: () => null,
  },
  {
    check: 'queries.top_temp_written',
    rank: (s) => s.rank.tempWritten,
    measure: (s) => s.tempBlksWritten,
    title: (s) => `Top statement by temp files: ${mib(s.tempBlksWritten).toFixed(1)} MiB written to temp files`,
    // A sort or hash that spills needs roughly its spill size in work_mem to stay in memory.
    recommendation: (s) => {
      const perCallMiB = mib(s.tempBlksWritten / s.calls);
      return (
        `SET work_mem = '${Math.max(8, Math.ceil(perCallMiB * 2))}MB';  -- in the sessions running it; it ` +
        `spills ${perCallMiB.toFixed(1)} MiB per call`
      );
    },
  },
  {
    check: 'queries.top_shared_read',
    rank: (s) => s.rank.sharedRead,
    measure: (s) => s.sharedBlksRead,
    title: (s) =>
      `Top statement by blocks read: ${formatCount(s.sharedBlksRead)} blocks (${mib(s.sharedBlksRead).toFixed(0)} ` +
      'MiB) read from outside shared_buffers',
    recommendation: explain,
  },
];

/** query_analysis: the heaviest statements of this database by six measures, as info findings. */
export const topStatementsCheck: Check = {
  id: 'queries.top_statements',
  targets: ['queries', 'performance'],
  async run(ctx) {
    const read = await readStatements(ctx);
    return lists.flatMap((list) =>
      read.statements
        .filter((s) => list.rank(s) <= TOP_N && list.measure(s) > 0)
        .sort((a, b) => list.rank(a) - list.rank(b))
        .map((s) => topFinding(list, s, read, ctx)),
    );
  },
};

function topFinding(list: TopList, s: StatementStats, read: StatementsRead, ctx: CheckContext): Finding {
  const rank = list.rank(s);
  return {
    check: list.check,
    severity: 'info',
    object: s.key,
    title: list.title(s, read),
    detail:
      `#${rank} of ${read.statementCount} statements in ${ctx.server.database} ${countingSince(read)}: ${statementLabel(s)}; ` +
      (`${formatCount(s.calls)} calls, ${formatMs(s.totalMs)} total, ${formatMs(s.meanMs)} mean, ${formatCount(s.rows)} ` +
        'rows.'),
    recommendation: list.recommendation(s, ctx),
    evidence: {
      rank,
      statements_considered: read.statementCount,
      ...statementEvidence(s, read),
      ...(list.value ? { value: list.value(s) } : {}),
    },
  };
}
