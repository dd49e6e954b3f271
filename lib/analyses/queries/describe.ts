import { quoteIdent, round } from '../format.js';
import type { ServerFacts } from '../types.js';
import type { StatementsRead, StatementStats } from './statement-types.js';

export function percentOfTotal(s: StatementStats, read: StatementsRead): number {
  return read.allTotalMs > 0 ? round((100 * s.totalMs) / read.allTotalMs, 1) : 0;
}

/** "statement 123 (select … from orders …)", or the role whose hidden statements these are. */
export function statementLabel(s: StatementStats): string {
  if (s.textHidden)
    return (
      `the ${s.entries} statements of role ${s.roles.join(', ')} (summed; their texts are hidden from the ` +
      'reviewing role)'
    );
  const text = (s.query ?? '').replace(/\s+/g, ' ').trim();
  return `statement ${s.queryid} (${text.length > 80 ? `${text.slice(0, 80)}…` : text})`;
}

/** The window pg_stat_statements has been counting over, for "since …" in details. */
export function countingSince(read: StatementsRead): string {
  return read.statsReset ? `since ${read.statsReset}` : 'since pg_stat_statements was last reset';
}

/** The raw numbers of a statement, as every statement finding carries them. */
export function statementEvidence(s: StatementStats, read: StatementsRead): Record<string, unknown> {
  return {
    queryid: s.queryid,
    query: s.query,
    query_truncated: s.queryTruncated,
    text_hidden: s.textHidden,
    roles: s.roles,
    entries: s.entries,
    calls: s.calls,
    total_ms: round(s.totalMs),
    mean_ms: round(s.meanMs, 3),
    max_ms: round(s.maxMs, 3),
    rows: s.rows,
    shared_blks_hit: s.sharedBlksHit,
    shared_blks_read: s.sharedBlksRead,
    temp_blks_written: s.tempBlksWritten,
    percent_of_total_time: percentOfTotal(s, read),
    counting_since: read.statsReset,
  };
}

/**
 * How a DBA gets the plan of a statement without running it: PostgreSQL 16 can plan the
 * normalized text as is; before that the $n placeholders need values. Never EXPLAIN ANALYZE:
 * the statement may write.
 */
export function explainRecommendation(
  s: StatementStats,
  server: Pick<ServerFacts, 'version_num' | 'current_user'>,
): string | null {
  if (s.textHidden)
    return `GRANT pg_read_all_stats TO ${quoteIdent(server.current_user)};  -- to see these statements and their plans`;
  if (s.queryTruncated)
    return `EXPLAIN <the full text of statement ${s.queryid}>;  -- its text is longer than the evidence keeps`;
  const text = (s.query ?? '').trim().replace(/;\s*$/, '');
  // Utility statements (DDL, VACUUM, COPY ...) have no plan to look at.
  if (!/^(with|select|insert|update|delete|merge|values|table)\b/i.test(text)) return null;
  if (server.version_num >= 160000) return `EXPLAIN (GENERIC_PLAN) ${text};`;
  return /\$\d/.test(text) ? `EXPLAIN ${text};  -- put representative values in place of $1, $2 …` : `EXPLAIN ${text};`;
}
