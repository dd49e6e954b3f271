import { sqlState } from '../../../db/errors.js';
import { perReview } from '../per-review.js';
import { QUERY_TEXT_CHARS, redactSecrets } from '../query-text.js';
import { NotAssessableError, type CheckContext } from '../types.js';
import { parseSnapshot, SNAPSHOT_STATE_KEY } from './snapshot.js';
import type { StatementsRead, StatementStats } from './statement-types.js';
import { tablePatterns } from './table-filter.js';
import { SLOW_MEAN_MS, SLOW_MIN_CALLS, SNAPSHOT_SIZE, TOP_N } from './thresholds.js';
import { LIST_CAP } from '../finding-list.js';
import { ADVICE_MARK } from './index-advice/generic-plan.js';
import { quoteIdent } from '../format.js';

// The checks of one review share one read: pg_stat_statements loads its whole query-text file on
// every read, and one read keeps the numbers of the same statement identical across findings.
export const readStatements = perReview(loadStatements);

interface Probe {
  schema: string;
  hasExecTime: boolean;
  hasInfo: boolean;
  hasToplevel: boolean;
  readsAllStats: boolean;
}

async function probe(ctx: CheckContext): Promise<Probe> {
  const [row] = await ctx.sql`
    select n.nspname as schema,
           has_table_privilege(c.oid, 'SELECT') as can_select,
           exists (select 1 from pg_attribute a
                    where a.attrelid = c.oid and a.attname = 'total_exec_time' and not a.attisdropped) as has_exec_time,
           exists (select 1 from pg_class i
                    where i.relnamespace = n.oid and i.relname = 'pg_stat_statements_info') as has_info,
           exists (select 1 from pg_attribute a
                    where a.attrelid = c.oid and a.attname = 'toplevel' and not a.attisdropped) as has_toplevel,
           pg_has_role(current_user, 'pg_read_all_stats', 'USAGE') as reads_all_stats
      from pg_extension e
      join pg_namespace n on n.oid = e.extnamespace
      left join pg_class c on c.relnamespace = n.oid and c.relname = 'pg_stat_statements'
     where e.extname = 'pg_stat_statements'`;
  if (!row) {
    // pg_settings hides shared_preload_libraries from roles without pg_read_all_settings: then we cannot tell.
    const [preload] = await ctx.sql`select setting from pg_settings where name = 'shared_preload_libraries'`;
    const notLoaded = preload && !/(^|[\s,"/])pg_stat_statements([\s,"]|$)/.test(preload.setting);
    if (notLoaded) {
      throw new NotAssessableError(
        `pg_stat_statements is neither loaded (shared_preload_libraries = '${preload.setting}') nor ` +
          `installed in database ${ctx.server.database}`,
        "shared_preload_libraries = 'pg_stat_statements' (added to any libraries already listed; restart), " +
          'then CREATE EXTENSION pg_stat_statements;',
      );
    }
    throw new NotAssessableError(
      `pg_stat_statements is not installed in database ${ctx.server.database} (the extension is per ` +
        'database; its library must also be in shared_preload_libraries)',
      'CREATE EXTENSION pg_stat_statements;',
    );
  }
  if (!row.can_select) {
    throw new NotAssessableError(
      `${ctx.server.current_user} may not read ${row.schema}.pg_stat_statements (SELECT was revoked from PUBLIC)`,
      `GRANT SELECT ON ${quoteIdent(row.schema)}.pg_stat_statements TO ${quoteIdent(ctx.server.current_user)};`,
    );
  }
  return {
    schema: row.schema,
    hasExecTime: row.has_exec_time,
    hasInfo: row.has_info,
    hasToplevel: row.has_toplevel,
    readsAllStats: row.reads_all_stats,
  };
}

/**
 * PostgreSQL 13 (pg_stat_statements 1.8) renamed total_time/max_time to total_exec_time/max_exec_time.
 * We ask the installed view rather than the server version: after pg_upgrade without
 * ALTER EXTENSION ... UPDATE, a PG 13+ server still shows the old columns.
 */
export function timeColumns(hasExecTime: boolean): { total: string; max: string } {
  return hasExecTime ? { total: 'total_exec_time', max: 'max_exec_time' } : { total: 'total_time', max: 'max_time' };
}

async function loadStatements(ctx: CheckContext): Promise<StatementsRead> {
  const found = await probe(ctx);
  const { sql } = ctx;
  const view = sql`${sql(found.schema)}.pg_stat_statements`;
  const cols = timeColumns(found.hasExecTime);
  const patterns = tablePatterns(ctx.params.target_tables);
  const previous = parseSnapshot(ctx.previousState[SNAPSHOT_STATE_KEY]);
  const previousKeys = previous ? previous.statements.map((s) => s.queryid) : [];

  let rows;
  try {
    rows = await sql`
      with entries as (
        select s.queryid, s.userid, s.query, s.calls,
               s.${sql(cols.total)} as total_ms, s.${sql(cols.max)} as max_ms, s.rows,
               s.shared_blks_hit, s.shared_blks_read, s.temp_blks_written
          from ${view} s
         -- Reviews are per database: pg_stat_statements is cluster-wide, we keep this database's entries.
         where s.dbid = (select oid from pg_database where datname = current_database())
           and s.calls > 0
           -- Monitoring reads of pg_stat_statements (ours included) are not the workload.
           and s.query !~* '(?<![\\w$])pg_stat_statements'
           -- Nor are the reviewing role's queries on system catalogs, statistics views and server files:
           -- every review of every family runs them here. Matching names of actual pg_catalog relations
           -- and of the file functions (not any pg_ word) keeps that role's own work with pg_sleep,
           -- pg_advisory_lock ... in the review.
           and not case when s.userid = (select oid from pg_roles where rolname = current_user)
                   then s.query ~* '(?<![\\w$])information_schema\\.'
                        or s.query ~* '(?<![\\w$])(pg_read_file|pg_read_binary_file|pg_ls_[a-z_]+|pg_stat_file|pg_current_logfile|pg_hba_file_rules|pg_ident_file_mappings|pg_show_all_file_settings)\\s*\\('
                        or exists (select 1
                                     from regexp_matches(s.query, '(?<![\\w$])(pg_[a-z_0-9]+)(?![\\w$(])', 'gi') as word
                                     join pg_class c on c.relname = lower(word[1]) and c.relnamespace = 'pg_catalog'::regnamespace)
                        -- Index advice plans the workload's statements: its EXPLAINs are marked, and
                        -- the statements they plan are recorded as nested (pg_stat_statements.track = all).
                        or s.query like ${`${ADVICE_MARK}%`}
                        ${found.hasToplevel ? sql`or not s.toplevel` : sql``}
                   else false end
           ${patterns ? sql`and s.query ~* any(${sql.array(patterns)}::text[])` : sql``}
      ), statements as (
        select coalesce(queryid::text, 'hidden:' || userid::regrole::text) as key,
               queryid::text as queryid,
               bool_or(queryid is null) as text_hidden,
               array_agg(distinct userid::regrole::text) as roles,
               count(*)::int as entries,
               left(min(query), ${QUERY_TEXT_CHARS}) as query,
               max(length(query)) > ${QUERY_TEXT_CHARS} as query_truncated,
               sum(calls)::float8 as calls,
               sum(total_ms)::float8 as total_ms,
               max(max_ms)::float8 as max_ms,
               sum(rows)::float8 as rows,
               sum(shared_blks_hit)::float8 as shared_blks_hit,
               sum(shared_blks_read)::float8 as shared_blks_read,
               sum(temp_blks_written)::float8 as temp_blks_written
          from entries
         group by 1, 2
      ), judged as (
        select *, total_ms / calls as mean_ms,
               -- Hidden statements are summed per role: their blended mean is no statement's mean.
               not text_hidden and calls >= ${SLOW_MIN_CALLS} and total_ms / calls >= ${SLOW_MEAN_MS} as slow
          from statements
      ), ranked as (
        select *,
               row_number() over (order by total_ms desc, key)::int as rank_total_time,
               row_number() over (order by mean_ms desc, key)::int as rank_mean_time,
               row_number() over (order by calls desc, key)::int as rank_calls,
               row_number() over (order by rows desc, key)::int as rank_rows,
               row_number() over (order by temp_blks_written desc, key)::int as rank_temp_written,
               row_number() over (order by shared_blks_read desc, key)::int as rank_shared_read,
               row_number() over (order by slow desc, total_ms desc, key)::int as rank_slow,
               count(*) over ()::int as statement_count,
               (count(*) filter (where slow) over ())::int as slow_count,
               (sum(total_ms) over ())::float8 as all_total_ms,
               (coalesce(sum(entries) filter (where text_hidden) over (), 0))::int as hidden_entries
          from judged
      )
      select * from ranked
       where rank_total_time <= ${SNAPSHOT_SIZE}
          or least(rank_mean_time, rank_calls, rank_rows, rank_temp_written, rank_shared_read) <= ${TOP_N}
          or (slow and rank_slow <= ${LIST_CAP})
          or key = any(${sql.array(previousKeys)}::text[])
       order by rank_total_time`;
  } catch (error) {
    // 55000 object_not_in_prerequisite_state: "pg_stat_statements must be loaded via shared_preload_libraries".
    if (sqlState(error) === '55000') {
      throw new NotAssessableError(
        'pg_stat_statements is installed but its library is not loaded; add it to shared_preload_libraries ' +
          '(keeping any libraries already listed) and restart PostgreSQL',
        "shared_preload_libraries = 'pg_stat_statements'",
      );
    }
    throw error;
  }

  const [facts] = await sql`
    select (select oid from pg_database where datname = current_database())::int8 as dbid, now() as taken_at`;
  const info = found.hasInfo
    ? (await sql`select dealloc, stats_reset from ${sql(found.schema)}.pg_stat_statements_info`)[0]
    : undefined;

  const first = rows[0];
  return {
    statements: rows.map(toStatement),
    statementCount: first?.statement_count ?? 0,
    allTotalMs: first?.all_total_ms ?? 0,
    slowCount: first?.slow_count ?? 0,
    hiddenEntries: first?.hidden_entries ?? 0,
    hiddenRoles: rows.filter((r) => r.text_hidden).flatMap((r) => r.roles as string[]),
    dbid: Number(facts.dbid),
    takenAt: new Date(facts.taken_at).toISOString(),
    statsReset: info?.stats_reset ? new Date(info.stats_reset).toISOString() : null,
    dealloc: info ? Number(info.dealloc) : null,
    readsAllStats: found.readsAllStats,
  };
}

function toStatement(r: Record<string, any>): StatementStats {
  return {
    key: r.key,
    queryid: r.queryid,
    textHidden: r.text_hidden,
    // pg_stat_statements keeps utility statements verbatim: ALTER ROLE ... PASSWORD with its literal.
    query: r.text_hidden ? null : redactSecrets(r.query),
    queryTruncated: r.query_truncated === true,
    roles: r.roles,
    entries: r.entries,
    calls: r.calls,
    totalMs: r.total_ms,
    meanMs: r.mean_ms,
    maxMs: r.max_ms,
    rows: r.rows,
    sharedBlksHit: r.shared_blks_hit,
    sharedBlksRead: r.shared_blks_read,
    tempBlksWritten: r.temp_blks_written,
    slow: r.slow,
    rank: {
      totalTime: r.rank_total_time,
      meanTime: r.rank_mean_time,
      calls: r.rank_calls,
      rows: r.rank_rows,
      tempWritten: r.rank_temp_written,
      sharedRead: r.rank_shared_read,
      slow: r.slow ? r.rank_slow : null,
    },
  };
}
