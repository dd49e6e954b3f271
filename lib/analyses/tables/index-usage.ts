import { requirePrimary } from '../server-facts.js';
import { formatBytes, formatCount } from '../format.js';
import type { Check, CheckContext, Finding, Severity } from '../types.js';
import { catalogQuery, inScope, parseTargetTables, statsAgeDays, userSchema } from './scope.js';
import {
  LARGE_TABLE_ROWS,
  MIN_INDEX_SCAN_PERCENT,
  UNUSED_INDEX_DB_SHARE,
  UNUSED_INDEX_MIN_BYTES,
  UNUSED_INDEX_MIN_STATS_DAYS,
} from './thresholds.js';
import { LIST_CAP, noteTruncation } from '../finding-list.js';

const UNUSED_ID = 'tables.unused_index';
const SEQ_SCAN_ID = 'tables.sequential_scans';

/**
 * An unused index is a warning only when it is big enough to matter (pgwatch: > 0.5% of the database)
 * and the counters are known to cover long enough to prove it (pganalyze: 35 days); otherwise it is
 * informational. `windowDays` is null when nobody knows how long the counters cover.
 */
export function unusedIndexSeverity(indexBytes: number, databaseBytes: number, windowDays: number | null): Severity {
  const provenLongEnough = windowDays !== null && windowDays >= UNUSED_INDEX_MIN_STATS_DAYS;
  return provenLongEnough && indexBytes > UNUSED_INDEX_DB_SHARE * databaseBytes ? 'warning' : 'info';
}

interface UnusedIndexState {
  stats_reset: string | null;
  /** When this task's reviews first found each index unused, for counters whose start is unknown. */
  first_seen: Record<string, string>;
}

/**
 * How long the zero scan count is known to cover. With a stats_reset time, since then. Without one
 * (statistics never reset: fresh from initdb, pg_upgrade or a restore, or never reset in years) the
 * counters' start is unknown, so only this task's own reviews count: since the first review that
 * found the index unused under the same (null) stats_reset.
 */
function observationWindow(
  statsReset: string | null,
  firstSeen: string | undefined,
  now: Date,
): { days: number | null; since: string } {
  const statsAge = statsAgeDays(statsReset, now);
  if (statsAge !== null)
    return {
      days: statsAge,
      since:
        `since the statistics were reset ${statsAge < 1 ? 'less than a day' : `${Math.floor(statsAge)} days`} ` +
        `ago (${statsReset})`,
    };
  const seenDays = firstSeen ? (now.getTime() - Date.parse(firstSeen)) / 86_400_000 : 0;
  return seenDays >= 1
    ? {
        days: seenDays,
        since:
          `in any review of this task for ${Math.floor(seenDays)} days (since ${firstSeen}; the server does ` +
          'not say when its counters started, as after pg_upgrade or a restore)',
      }
    : {
        days: null,
        since:
          'since its counters started, and the server does not say when that was (statistics never reset: ' +
          'fresh from initdb, pg_upgrade or a restore, or years old), so the window is unknown until later ' +
          'reviews confirm it',
      };
}

/**
 * Indexes never scanned since the statistics were last reset (idx_scan = 0: PgHero with max_scans 0,
 * pgwatch reco_drop_index, postgresqltuner). Indexes that enforce something are never proposed:
 * unique and primary-key indexes, indexes backing a constraint, the replica identity index, and
 * partitions of a partitioned index (those go with their parent). Nor is an index whose leading
 * columns are a foreign key's: it shows no scans until a referenced row is deleted, and dropping it
 * would create an unindexed foreign key. Indexes under 32 kB are ignored.
 */
export const unusedIndexes: Check = {
  id: UNUSED_ID,
  targets: ['tables', 'performance'],
  async run(ctx: CheckContext): Promise<Finding[]> {
    requirePrimary(ctx.server);
    const { sql } = ctx;
    const scope = parseTargetTables(ctx.params.target_tables);
    const rows = await catalogQuery(
      sql,
      (tx) => tx`
      select object, table_name, bytes, definition, database_bytes, count(*) over () as total
        from (select format('%I.%I', s.schemaname, s.indexrelname) as object,
                     format('%I.%I', s.schemaname, s.relname) as table_name,
                     pg_relation_size(s.indexrelid)::float8 as bytes,
                     pg_get_indexdef(s.indexrelid) as definition,
                     (select pg_database_size(current_database()))::float8 as database_bytes
                from pg_stat_user_indexes s
                join pg_index i on i.indexrelid = s.indexrelid
                join pg_class ic on ic.oid = s.indexrelid
               where s.idx_scan = 0
                 -- relpages (as of the last VACUUM, ANALYZE or CREATE INDEX) picks the candidates, so the
                 -- exact size is only read for indexes that can pass the size floor.
                 and ic.relpages::float8 * current_setting('block_size')::float8 >= ${UNUSED_INDEX_MIN_BYTES}
                 and i.indisvalid and not i.indisunique and not i.indisprimary and not i.indisreplident
                 and not exists (select 1 from pg_constraint k where k.conindid = i.indexrelid)
                 and not exists (select 1 from pg_inherits h where h.inhrelid = i.indexrelid)
                 and not exists (
                       select 1 from pg_constraint f
                        where f.contype = 'f' and f.conrelid = i.indrelid
                          and (i.indkey::int2[])[0:cardinality(f.conkey) - 1] @> f.conkey
                          and (i.indkey::int2[])[0:cardinality(f.conkey) - 1] <@ f.conkey)
                 and ${userSchema(sql, sql`s.schemaname`)}
                 and ${inScope(sql, scope, sql`s.schemaname`, sql`s.relname`)}) candidates
       where bytes >= ${UNUSED_INDEX_MIN_BYTES}
       order by bytes desc, object
       limit ${LIST_CAP}`,
    );

    const now = new Date();
    const previous = ctx.previousState[UNUSED_ID] as UnusedIndexState | undefined;
    const carried = previous && previous.stats_reset === ctx.server.stats_reset ? previous.first_seen : {};
    const firstSeen: Record<string, string> = {};
    for (const r of rows) firstSeen[r.object] = carried[r.object] ?? now.toISOString();
    ctx.state[UNUSED_ID] = { stats_reset: ctx.server.stats_reset, first_seen: firstSeen } satisfies UnusedIndexState;

    const findings = rows.map((r): Finding => {
      const bytes = Number(r.bytes);
      const databaseBytes = Number(r.database_bytes);
      const window = observationWindow(ctx.server.stats_reset, carried[r.object], now);
      const short = window.days === null || window.days < UNUSED_INDEX_MIN_STATS_DAYS;
      return {
        check: UNUSED_ID,
        severity: unusedIndexSeverity(bytes, databaseBytes, window.days),
        object: r.object,
        title: 'Unused index',
        detail:
          `${r.object} on ${r.table_name} (${formatBytes(bytes)}, ${((100 * bytes) / databaseBytes).toFixed(2)}% ` +
          `of the database) has not been scanned on this server (the primary) ${window.since}.` +
          (short
            ? ` That is not yet ${UNUSED_INDEX_MIN_STATS_DAYS} days of evidence, so this is informational for now.`
            : '') +
          ' It backs no constraint; scans on standbys are not counted here: check them before dropping it.',
        recommendation: `DROP INDEX CONCURRENTLY ${r.object};`,
        evidence: {
          value: bytes,
          size_bytes: bytes,
          database_bytes: databaseBytes,
          index_scans: 0,
          stats_reset: ctx.server.stats_reset,
          window_days: window.days === null ? null : Math.floor(window.days),
          measured_on: 'primary',
          table: r.table_name,
          definition: r.definition,
        },
      };
    });
    return noteTruncation(findings, Number(rows[0]?.total ?? 0), 'unused indexes');
  },
};

/**
 * PgHero missing_indexes: a table with at least 10,000 live rows whose index scans are under 95% of
 * all its scans is read mostly by sequential scans, and probably lacks an index for some query.
 * As in PgHero, tables with no index scan at all are left out ("insufficient data").
 */
export const sequentialScans: Check = {
  id: SEQ_SCAN_ID,
  targets: ['tables', 'performance'],
  async run(ctx: CheckContext): Promise<Finding[]> {
    const { sql } = ctx;
    const scope = parseTargetTables(ctx.params.target_tables);
    const rows = await catalogQuery(
      sql,
      (tx) => tx`
      select format('%I.%I', s.schemaname, s.relname) as object,
             s.seq_scan::float8 as seq_scan, s.idx_scan::float8 as idx_scan,
             s.seq_tup_read::float8 as seq_tup_read, s.n_live_tup::float8 as live_rows,
             100.0 * s.idx_scan / (s.seq_scan + s.idx_scan) as index_percent,
             count(*) over () as total
        from pg_stat_user_tables s
       where s.idx_scan > 0
         and 100 * s.idx_scan / (s.seq_scan + s.idx_scan) < ${MIN_INDEX_SCAN_PERCENT}
         and s.n_live_tup >= ${LARGE_TABLE_ROWS}
         and ${userSchema(sql, sql`s.schemaname`)}
         and ${inScope(sql, scope, sql`s.schemaname`, sql`s.relname`)}
       order by s.seq_tup_read desc, 1
       limit ${LIST_CAP}`,
    );

    const findings = rows.map((r): Finding => {
      const percent = Number(r.index_percent);
      const seqScans = Number(r.seq_scan);
      const rowsPerScan = seqScans > 0 ? Number(r.seq_tup_read) / seqScans : 0;
      return {
        check: SEQ_SCAN_ID,
        severity: 'warning',
        object: r.object,
        title: 'Large table read mostly by sequential scans',
        detail:
          `${r.object} (${formatCount(Number(r.live_rows))} live rows) was read by ${formatCount(seqScans)} ` +
          `sequential scans against ${formatCount(Number(r.idx_scan))} index scans: only ${percent.toFixed(1)}% ` +
          `of its scans use an index (PgHero flags under ${MIN_INDEX_SCAN_PERCENT}%). Each sequential scan ` +
          `read about ${formatCount(rowsPerScan)} rows.`,
        recommendation:
          `Find the statements that scan ${r.object} sequentially (pg_stat_statements, EXPLAIN) and index the ` +
          'columns they filter on.',
        evidence: {
          value: Number((100 - percent).toFixed(2)),
          seq_scan: seqScans,
          idx_scan: Number(r.idx_scan),
          seq_tup_read: Number(r.seq_tup_read),
          live_rows: Number(r.live_rows),
          index_scan_percent: Number(percent.toFixed(2)),
        },
      };
    });
    return noteTruncation(findings, Number(rows[0]?.total ?? 0), 'tables');
  },
};
