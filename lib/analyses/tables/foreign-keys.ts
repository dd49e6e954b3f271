import type { Check, CheckContext, Finding, Severity } from '../types.js';
import { catalogQuery, inScope, parseTargetTables, userSchema } from './scope.js';
import { LARGE_TABLE_ROWS } from './thresholds.js';
import { LIST_CAP, noteTruncation } from '../finding-list.js';
import { formatRows } from '../format.js';

const CHECK_ID = 'tables.unindexed_foreign_key';

/** Below PgHero's 10,000-row "large table" floor the lookup a missing index forces is a cheap scan. */
export function unindexedForeignKeySeverity(referencingRows: number): Severity {
  return referencingRows >= LARGE_TABLE_ROWS ? 'warning' : 'info';
}

/**
 * Foreign keys whose columns are not the leading columns (in any order) of a valid, non-partial index
 * on the referencing table. Every DELETE or key UPDATE on the referenced table then scans the
 * referencing table under lock, and joins along the key cannot use an index. None of the anchor tools
 * ships this check; the severity borrows PgHero's large-table floor. Constraints a partition inherits
 * from its parent are judged once, on the parent.
 */
export const unindexedForeignKeys: Check = {
  id: CHECK_ID,
  targets: ['tables', 'performance'],
  async run(ctx: CheckContext): Promise<Finding[]> {
    const { sql } = ctx;
    const scope = parseTargetTables(ctx.params.target_tables);
    const rows = await catalogQuery(
      sql,
      (tx) => tx`
      select format('%I.%I.%I', n.nspname, t.relname, k.conname) as object,
             format('%I.%I', n.nspname, t.relname) as table_name,
             format('%I', k.conname) as constraint_name,
             (select format('%I.%I', rn.nspname, rt.relname)
                from pg_class rt join pg_namespace rn on rn.oid = rt.relnamespace
               where rt.oid = k.confrelid) as referenced_table,
             (select string_agg(format('%I', a.attname), ', ' order by c.ord)
                from unnest(k.conkey) with ordinality c(attnum, ord)
                join pg_attribute a on a.attrelid = k.conrelid and a.attnum = c.attnum) as columns,
             greatest(t.reltuples, pg_stat_get_live_tuples(t.oid), 0)::float8 as referencing_rows,
             count(*) over () as total
        from pg_constraint k
        join pg_class t on t.oid = k.conrelid
        join pg_namespace n on n.oid = t.relnamespace
       where k.contype = 'f' and k.conparentid = 0
         and ${userSchema(sql, sql`n.nspname`)}
         and ${inScope(sql, scope, sql`n.nspname`, sql`t.relname`)}
         and not exists (
               select 1 from pg_index i
                where i.indrelid = k.conrelid and i.indisvalid and i.indpred is null
                  and i.indnkeyatts >= cardinality(k.conkey)
                  and (i.indkey::int2[])[0:cardinality(k.conkey) - 1] @> k.conkey
                  and (i.indkey::int2[])[0:cardinality(k.conkey) - 1] <@ k.conkey)
       order by referencing_rows desc, 1
       limit ${LIST_CAP}`,
    );

    const findings = rows.map((r): Finding => {
      const referencingRows = Math.round(Number(r.referencing_rows));
      return {
        check: CHECK_ID,
        severity: unindexedForeignKeySeverity(referencingRows),
        object: r.object,
        title: 'Foreign key without a supporting index',
        detail:
          `Foreign key ${r.constraint_name} on ${r.table_name} (${r.columns}) → ${r.referenced_table} has no ` +
          `index starting with its columns: each DELETE or key UPDATE on ${r.referenced_table} scans ${r.table_name} ` +
          `(about ${formatRows(referencingRows)}) while holding locks.`,
        recommendation: `CREATE INDEX CONCURRENTLY ON ${r.table_name} (${r.columns});`,
        evidence: {
          value: referencingRows,
          referencing_rows: referencingRows,
          table: r.table_name,
          referenced_table: r.referenced_table,
          columns: r.columns,
        },
      };
    });
    return noteTruncation(findings, Number(rows[0]?.total ?? 0), 'foreign keys without an index');
  },
};
