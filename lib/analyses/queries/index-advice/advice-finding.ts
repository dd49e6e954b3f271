import { formatBytes, formatCount, formatMs, round } from '../../format.js';
import type { Finding } from '../../types.js';
import { planText } from './plan-text.js';
import type { Verdict } from './planner-proof.js';
import { quoteName, type TableFacts } from './table-facts.js';
import { MIN_COST_REDUCTION, PLANS_SHOWN, WARNING_TIME_SHARE } from './thresholds.js';
import type { Workload } from './workload.js';

export const ADVICE_CHECK = 'queries.index_advice';

export interface WriteRate {
  writes: number;
  /** Since the previous run when there was one, else since the table's statistics were reset. */
  sincePreviousRun: boolean;
  seconds: number | null;
}

/** Calls-weighted planner cost of the statements the index serves, before and after. */
export function weightedCosts(verdict: Verdict): { before: number; after: number } {
  return verdict.served.reduce(
    (sum, s) => ({
      before: sum.before + s.costBefore * s.statement.calls,
      after: sum.after + s.costAfter * s.statement.calls,
    }),
    { before: 0, after: 0 },
  );
}

export const worthTaking = (verdict: Verdict, minReduction = MIN_COST_REDUCTION) => {
  const { before, after } = weightedCosts(verdict);
  return before > 0 && after <= before * (1 - minReduction);
};

/** `orders_customer_id_created_at_idx`, cut to PostgreSQL's 63-byte names as it cuts its own. */
export function indexName(table: TableFacts, columns: string[]): string {
  const suffix = '_idx';
  let base = `${table.name}_${columns.join('_')}`;
  while (Buffer.byteLength(base + suffix) > 63) base = base.slice(0, -1);
  return base + suffix;
}

export function createIndexStatement(table: TableFacts, columns: string[]): string {
  return `CREATE INDEX CONCURRENTLY ${quoteName(indexName(table, columns))} ON ${table.qualified} (${columns.map(quoteName).join(', ')});`;
}

/**
 * Without HypoPG's estimate: rows × (key widths + 8-byte tuple header + 4-byte line pointer),
 * at btree's 90% leaf fill.
 */
export function estimatedIndexBytes(table: TableFacts, columns: string[]): number {
  const keyWidth = columns.reduce((sum, c) => sum + (table.columns.get(c)?.avgWidth ?? 8), 0);
  return Math.ceil((table.rows * (keyWidth + 12)) / 0.9 / 8192) * 8192;
}

export function adviceFinding(verdict: Verdict, workload: Workload, write: WriteRate): Finding {
  const { candidate, served, method } = verdict;
  const { table, columns } = candidate;
  const { before, after } = weightedCosts(verdict);
  const reduction = before > 0 ? 1 - after / before : 0;
  const calls = served.reduce((sum, s) => sum + s.statement.calls, 0);
  const timeMs = served.reduce((sum, s) => sum + s.statement.totalMs, 0);
  const share = workload.allTotalMs > 0 ? timeMs / workload.allTotalMs : 0;
  const sizeBytes = verdict.sizeBytes ?? estimatedIndexBytes(table, columns);
  const queryids = served.map((s) => s.statement.queryid);
  const window = workload.sincePreviousRun
    ? `since the previous run (${workload.since})`
    : workload.since
      ? `since ${workload.since}`
      : 'since pg_stat_statements was last reset';
  const writesText = write.sincePreviousRun
    ? `${formatCount(write.writes)} rows written since the previous run${write.seconds ? ` (${formatCount((write.writes * 3600) / write.seconds)} per hour)` : ''}`
    : `${formatCount(write.writes)} rows written since its statistics were reset`;
  const proof =
    method === 'hypopg'
      ? 'measured by the planner with a HypoPG hypothetical index (generic plans, nothing created)'
      : 'estimated from pg_stats and the current plans: HypoPG is not installed in this database, so the ' +
        'planner could not verify it';

  return {
    check: ADVICE_CHECK,
    severity: share >= WARNING_TIME_SHARE ? 'warning' : 'info',
    object: `${table.qualified}(${columns.join(', ')})`,
    title:
      `Index on ${table.qualified}(${columns.join(', ')}) would cut the planner cost of ${served.length} ` +
      `statement${served.length === 1 ? '' : 's'} by ${Math.round(reduction * 100)}%`,
    detail:
      `${served.length === 1 ? 'Statement' : 'Statements'} ${queryids.join(', ')} (${formatCount(calls)} ` +
      `calls, ${formatMs(timeMs)}, ${round(share * 100, 1)}% of the statement time ${window}) ` +
      (`${served.length === 1 ? 'filters, joins or sorts' : 'filter, join or sort'} ${table.qualified} on ${columns.join(', ')}. ` +
        `With the index the calls-weighted planner cost goes from ${formatCount(before)} to ${formatCount(after)}, ${proof}. `) +
      (`The table has ${formatCount(table.rows)} rows and ${writesText}; the index would take about ${formatBytes(sizeBytes)} ` +
        'and is updated by every insert and by updates of its columns.'),
    recommendation: createIndexStatement(table, columns),
    evidence: {
      table: table.qualified,
      columns,
      index_name: indexName(table, columns),
      method,
      hypopg_version: verdict.hypopgVersion ?? null,
      cost_before: round(before),
      cost_after: round(after),
      cost_reduction: round(reduction, 3),
      min_cost_reduction: MIN_COST_REDUCTION,
      queryids,
      calls,
      total_ms: round(timeMs),
      share_of_statement_time: round(share, 4),
      window_since: workload.since,
      window_is_since_previous_run: workload.sincePreviousRun,
      table_rows: table.rows,
      table_writes: write.writes,
      table_writes_since_previous_run: write.sincePreviousRun,
      table_writes_per_hour:
        write.sincePreviousRun && write.seconds ? round((write.writes * 3600) / write.seconds) : null,
      estimated_index_bytes: sizeBytes,
      statements: served.slice(0, PLANS_SHOWN).map((s) => ({
        queryid: s.statement.queryid,
        query: s.statement.query,
        calls: s.statement.calls,
        cost_before: round(s.costBefore),
        cost_after: round(s.costAfter),
        plan_before: planText(s.planBefore),
        plan_after: s.planAfter ? planText(s.planAfter) : null,
      })),
    },
  };
}
