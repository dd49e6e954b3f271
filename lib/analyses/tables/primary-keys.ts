import type { Check, CheckContext, Finding } from '../types.js';
import { catalogQuery, inScope, parseTargetTables, userSchema } from './scope.js';
import { LIST_CAP, noteTruncation } from '../finding-list.js';
import { formatRows } from '../format.js';

/**
 * Tables without a primary key. None of the anchor tools ships this check (Supabase's splinter
 * rates it INFO); we rate it a warning because without a key, logical replication cannot apply
 * UPDATE or DELETE (no replica identity) and duplicate rows cannot be told apart. A unique index
 * over NOT NULL columns already identifies rows and can serve as replica identity: that softer
 * case is informational. Partitions are judged through their parent; extension-owned tables
 * are not the DBA's to change.
 */
const CHECK_ID = 'tables.missing_primary_key';

export const missingPrimaryKey: Check = {
  id: CHECK_ID,
  targets: ['tables'],
  async run(ctx: CheckContext): Promise<Finding[]> {
    const { sql } = ctx;
    const scope = parseTargetTables(ctx.params.target_tables);
    const rows = await catalogQuery(
      sql,
      (tx) => tx`
      select format('%I.%I', n.nspname, c.relname) as object,
             c.relkind = 'p' as partitioned,
             greatest(c.reltuples, pg_stat_get_live_tuples(c.oid), 0)::float8 as estimated_rows,
             u.index_name as unique_index,
             count(*) over () as total
        from pg_class c
        join pg_namespace n on n.oid = c.relnamespace
        left join lateral (
              select format('%I', ic.relname) as index_name
                from pg_index i
                join pg_class ic on ic.oid = i.indexrelid
               where i.indrelid = c.oid and i.indisunique and i.indisvalid
                 and i.indpred is null and i.indexprs is null
                 and not exists (select 1 from pg_attribute a
                                  where a.attrelid = c.oid and a.attnum = any((i.indkey::int2[])[0:i.indnkeyatts - 1]) and not a.attnotnull)
               order by i.indnatts, ic.relname
               limit 1) u on true
       where c.relkind in ('r', 'p') and not c.relispartition
         and ${userSchema(sql, sql`n.nspname`)}
         and ${inScope(sql, scope, sql`n.nspname`, sql`c.relname`)}
         and not exists (select 1 from pg_constraint k where k.conrelid = c.oid and k.contype = 'p')
         and not exists (select 1 from pg_depend d
                          where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
       order by u.index_name is not null, c.reltuples desc, 1
       limit ${LIST_CAP}`,
    );

    const findings = rows.map((r): Finding => {
      const uniqueIndex = r.unique_index as string | null;
      const estimatedRows = Math.round(Number(r.estimated_rows));
      return uniqueIndex
        ? {
            check: CHECK_ID,
            severity: 'info',
            object: r.object,
            title: 'Table has no primary key, only a unique index on NOT NULL columns',
            detail:
              `${r.object} (about ${formatRows(estimatedRows)}) has no primary key; the unique index ${uniqueIndex} ` +
              'over NOT NULL columns identifies its rows.',
            recommendation: `ALTER TABLE ${r.object} ADD PRIMARY KEY USING INDEX ${uniqueIndex};`,
            evidence: { estimated_rows: estimatedRows, unique_index: uniqueIndex, partitioned: r.partitioned },
          }
        : {
            check: CHECK_ID,
            severity: 'warning',
            object: r.object,
            title: 'Table has no primary key',
            detail:
              `${r.object} (about ${formatRows(estimatedRows)}) has neither a primary key nor a unique index ` +
              'over NOT NULL columns: its rows cannot be identified, and logical replication cannot apply ' +
              'UPDATE or DELETE to it.',
            recommendation:
              `ALTER TABLE ${r.object} ADD PRIMARY KEY (<key columns>);  -- or add an identity column: ALTER ` +
              `TABLE ${r.object} ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY;`,
            evidence: { estimated_rows: estimatedRows, partitioned: r.partitioned },
          };
    });
    return noteTruncation(findings, Number(rows[0]?.total ?? 0), 'tables without a primary key');
  },
};
