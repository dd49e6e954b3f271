import { formatBytes, formatRows } from '../format.js';
import type { Check, CheckContext, Finding } from '../types.js';
import { catalogQuery, inScope, parseTargetTables, userSchema } from './scope.js';
import { LARGEST_RELATIONS } from './thresholds.js';

const CHECK_ID = 'tables.largest_relations';

/**
 * The ten largest tables by total size (heap + TOAST + indexes), as on PgHero's space page.
 * Informational: it tells the DBA where space and maintenance time go, and the evidence value lets
 * the next review report a table that grew by a quarter. Partitions are listed one by one.
 */
export const largestRelations: Check = {
  id: CHECK_ID,
  targets: ['tables'],
  async run(ctx: CheckContext): Promise<Finding[]> {
    const { sql } = ctx;
    const scope = parseTargetTables(ctx.params.target_tables);
    // Exact sizes cost file-system calls per relation; they are read for the 100 largest tables by
    // pg_class.relpages (table, TOAST and indexes, as of their last VACUUM or ANALYZE), plus any table
    // never vacuumed or analyzed (its relpages say nothing yet), then ranked by what they occupy.
    const rows = await catalogQuery(
      sql,
      (tx) => tx`
      with estimated as (
        select c.oid, format('%I.%I', n.nspname, c.relname) as object,
               c.relpages = 0 and coalesce(pg_stat_get_last_vacuum_time(c.oid), pg_stat_get_last_autovacuum_time(c.oid),
                                           pg_stat_get_last_analyze_time(c.oid), pg_stat_get_last_autoanalyze_time(c.oid)) is null as never_measured,
               greatest(c.reltuples, pg_stat_get_live_tuples(c.oid), 0)::float8 as estimated_rows,
               c.relpages + coalesce(toast.relpages, 0)
                 + coalesce((select sum(ic.relpages) from pg_index i join pg_class ic on ic.oid = i.indexrelid where i.indrelid = c.oid), 0) as pages
          from pg_class c
          join pg_namespace n on n.oid = c.relnamespace
          left join pg_class toast on toast.oid = c.reltoastrelid
         where c.relkind in ('r', 'm')
           and ${userSchema(sql, sql`n.nspname`)}
           and ${inScope(sql, scope, sql`n.nspname`, sql`c.relname`)}
      ),
      measured as (
        select object, estimated_rows, pg_total_relation_size(oid)::float8 as total_bytes, pg_table_size(oid)::float8 as table_bytes
          from estimated
         where never_measured or oid in (select oid from estimated order by pages desc limit 100)
      )
      select object, total_bytes, table_bytes, total_bytes - table_bytes as index_bytes, estimated_rows
        from measured
       order by total_bytes desc, object
       limit ${LARGEST_RELATIONS}`,
    );

    return rows.map((r, rank): Finding => {
      const total = Number(r.total_bytes);
      return {
        check: CHECK_ID,
        severity: 'info',
        object: r.object,
        title: 'Largest table',
        detail:
          `${r.object} is the #${rank + 1} largest table: ${formatBytes(total)} in all (${formatBytes(Number(r.table_bytes))} ` +
          `of table and TOAST, ${formatBytes(Number(r.index_bytes))} of indexes), about ${formatRows(Number(r.estimated_rows))}.`,
        recommendation: null,
        evidence: {
          value: total,
          total_bytes: total,
          table_bytes: Number(r.table_bytes),
          index_bytes: Number(r.index_bytes),
          estimated_rows: Number(r.estimated_rows),
          rank: rank + 1,
        },
      };
    });
  },
};
