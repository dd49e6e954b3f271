import { formatBytes, quoteIdent } from '../format.js';
import type postgres from 'postgres';
import { NotAssessableError, type Check, type CheckContext, type Finding, type Severity } from '../types.js';
import { indexBloatQuery, tableBloatQuery } from './bloat-estimates.js';
import { catalogQuery, parseTargetTables } from './scope.js';
import { BLOAT_CRITICAL_BYTES, BLOAT_MIN_BYTES, BLOAT_MIN_RATIO, BLOAT_WARNING_BYTES } from './thresholds.js';
import { noteTruncation } from '../finding-list.js';

const TABLE_ID = 'tables.table_bloat';
const INDEX_ID = 'tables.index_bloat';

/**
 * check_postgres bloat: warning from 1 GB wasted, critical from 5 GB. Below PgHero's 100 MB, or under
 * 20% of the relation (the estimate's own error margin), the estimate is not reported at all.
 */
export function bloatSeverity(wastedBytes: number, ratio: number): Severity | null {
  if (ratio < BLOAT_MIN_RATIO || wastedBytes < BLOAT_MIN_BYTES) return null;
  if (wastedBytes >= BLOAT_CRITICAL_BYTES) return 'critical';
  if (wastedBytes >= BLOAT_WARNING_BYTES) return 'warning';
  return 'info';
}

interface BloatRow {
  object: string;
  table_name?: string;
  fillfactor: number;
  real_bytes: number;
  bloat_bytes: number;
  bloat_ratio: number;
}

/**
 * Shared by both checks: estimates need the column statistics in pg_stats, which PostgreSQL shows only
 * for tables the role may SELECT from. When relations big enough to matter are unreadable and nothing
 * could be estimated, the check is not assessable; otherwise the findings say what was skipped.
 */
async function estimateBloat(
  ctx: CheckContext,
  query: (sql: postgres.ISql, scope: ReturnType<typeof parseTargetTables>) => postgres.PendingQuery<postgres.Row[]>,
  kind: 'table' | 'index',
): Promise<{ rows: BloatRow[]; total: number; unreadable: number; notEstimable: number }> {
  const scope = parseTargetTables(ctx.params.target_tables);
  const [result] = await catalogQuery(ctx.sql, (tx) => query(tx, scope));
  const rows = result.rows as BloatRow[];
  const unreadable = Number(result.unreadable);
  if (rows.length === 0 && unreadable > 0) {
    throw new NotAssessableError(
      `${unreadable} ${kind === 'table' ? 'table(s)' : 'index(es) on table(s)'} large enough for bloat to ` +
        `matter cannot be read by ${ctx.server.current_user}, so PostgreSQL hides the column statistics ` +
        '(pg_stats) the estimate needs',
      `GRANT SELECT ON ALL TABLES IN SCHEMA ${result.unreadable_schemas} TO ${quoteIdent(ctx.server.current_user)};`,
    );
  }
  return { rows, total: Number(result.total), unreadable, notEstimable: Number(result.not_estimable) };
}

function coverageNote(unreadable: number, notEstimable: number): string {
  const parts: string[] = [];
  if (unreadable > 0) parts.push(`${unreadable} could not be estimated for lack of SELECT privilege`);
  if (notEstimable > 0) parts.push(`${notEstimable} lack column statistics (run ANALYZE)`);
  return parts.length > 0 ? ` Of the other large relations, ${parts.join(' and ')}.` : '';
}

export const tableBloat: Check = {
  id: TABLE_ID,
  targets: ['tables', 'performance'],
  async run(ctx: CheckContext): Promise<Finding[]> {
    const { rows, total, unreadable, notEstimable } = await estimateBloat(ctx, tableBloatQuery, 'table');
    const findings = rows.map((r): Finding => {
      const wasted = Number(r.bloat_bytes);
      const ratio = Number(r.bloat_ratio);
      return {
        check: TABLE_ID,
        severity: bloatSeverity(wasted, ratio)!,
        object: r.object,
        title: 'Table bloat',
        detail:
          `${r.object} occupies ${formatBytes(Number(r.real_bytes))}, of which about ${formatBytes(wasted)} (${(ratio * 100).toFixed(0)}%) ` +
          `is estimated to be free space beyond its fillfactor (${r.fillfactor}) — a statistical estimate ` +
          'from pg_stats, not a measurement.' +
          coverageNote(unreadable, notEstimable),
        recommendation:
          `Rewrite it online with pg_repack (pg_repack --table=${r.object}), or during a maintenance window: ` +
          `VACUUM (FULL, ANALYZE, VERBOSE) ${r.object};  -- ACCESS EXCLUSIVE lock for the whole rewrite`,
        evidence: {
          value: wasted,
          bloat_bytes: wasted,
          bloat_ratio: Number(ratio.toFixed(4)),
          real_bytes: Number(r.real_bytes),
          fillfactor: r.fillfactor,
          unreadable_relations: unreadable,
        },
      };
    });
    return noteTruncation(findings, total, 'bloated tables');
  },
};

export const indexBloat: Check = {
  id: INDEX_ID,
  targets: ['tables', 'performance'],
  async run(ctx: CheckContext): Promise<Finding[]> {
    const { rows, total, unreadable, notEstimable } = await estimateBloat(ctx, indexBloatQuery, 'index');
    const findings = rows.map((r): Finding => {
      const wasted = Number(r.bloat_bytes);
      const ratio = Number(r.bloat_ratio);
      return {
        check: INDEX_ID,
        severity: bloatSeverity(wasted, ratio)!,
        object: r.object,
        title: 'B-tree index bloat',
        detail:
          `${r.object} on ${r.table_name} occupies ${formatBytes(Number(r.real_bytes))}, of which about ${formatBytes(wasted)} ` +
          `(${(ratio * 100).toFixed(0)}%) is estimated to be empty space beyond its fillfactor (${r.fillfactor}) ` +
          '— a statistical estimate from pg_stats, not a measurement.' +
          coverageNote(unreadable, notEstimable),
        recommendation: `REINDEX INDEX CONCURRENTLY ${r.object};`,
        evidence: {
          value: wasted,
          bloat_bytes: wasted,
          bloat_ratio: Number(ratio.toFixed(4)),
          real_bytes: Number(r.real_bytes),
          fillfactor: r.fillfactor,
          table: r.table_name,
          unreadable_relations: unreadable,
        },
      };
    });
    return noteTruncation(findings, total, 'bloated indexes');
  },
};
