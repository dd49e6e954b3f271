import type { Check, CheckContext, Finding } from '../types.js';
import { catalogQuery, formatBytes, formatRows, inScope, parseTargetTables, userSchema } from './scope.js';
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
    const rows = await catalogQuery(sql, (tx) => tx`
      select object, total_bytes, table_bytes, total_bytes - table_bytes as index_bytes, estimated_rows,
             sum(total_bytes) over () as all_tables_bytes
        from (select format('%I.%I', n.nspname, c.relname) as object,
                     pg_total_relation_size(c.oid)::float8 as total_bytes,
                     pg_table_size(c.oid)::float8 as table_bytes,
                     greatest(c.reltuples, s.n_live_tup, 0)::float8 as estimated_rows
                from pg_class c
                join pg_namespace n on n.oid = c.relnamespace
                left join pg_stat_all_tables s on s.relid = c.oid
               where c.relkind in ('r', 'm')
                 and ${userSchema(sql, sql`n.nspname`)}
                 and ${inScope(sql, scope, sql`n.nspname`, sql`c.relname`)}) sizes
       order by total_bytes desc, object
       limit ${LARGEST_RELATIONS}`);

    return rows.map((r, rank): Finding => {
      const total = Number(r.total_bytes);
      const share = Number(r.all_tables_bytes) > 0 ? (100 * total) / Number(r.all_tables_bytes) : 0;
      return {
        check: CHECK_ID,
        severity: 'info',
        object: r.object,
        title: 'Largest table',
        detail: `${r.object} is the #${rank + 1} largest table: ${formatBytes(total)} in all (${formatBytes(Number(r.table_bytes))} of table and TOAST, ${formatBytes(Number(r.index_bytes))} of indexes), ${share.toFixed(1)}% of all tables, about ${formatRows(Number(r.estimated_rows))}.`,
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
