import { formatBytes } from '../format.js';
import type { Check, CheckContext, Finding } from '../types.js';
import { catalogQuery, inScope, parseTargetTables, userSchema } from './scope.js';
import { LIST_CAP, noteTruncation } from '../finding-list.js';

const INVALID_ID = 'tables.invalid_index';
const DUPLICATE_ID = 'tables.duplicate_index';

/**
 * Indexes with indisvalid = false: a CREATE INDEX CONCURRENTLY or REINDEX CONCURRENTLY that failed
 * (e.g. a unique index over duplicate values) leaves one behind. The planner never uses it, yet every
 * write still maintains it, and a unique one enforces nothing. PgHero lists them on its overview and
 * postgresqltuner rates them "urgent"; we call it a warning since nothing is lost until the index is needed.
 * Like PgHero, an index that is being built right now (pg_stat_progress_create_index) is skipped.
 */
export const invalidIndexes: Check = {
  id: INVALID_ID,
  targets: ['tables'],
  async run(ctx: CheckContext): Promise<Finding[]> {
    const { sql } = ctx;
    const scope = parseTargetTables(ctx.params.target_tables);
    const rows = await catalogQuery(
      sql,
      (tx) => tx`
      select format('%I.%I', n.nspname, ic.relname) as object,
             format('%I.%I', n.nspname, t.relname) as table_name,
             pg_get_indexdef(i.indexrelid) as definition,
             i.indisunique as is_unique,
             ic.relkind = 'I' as partitioned,
             pg_relation_size(i.indexrelid)::float8 as bytes,
             count(*) over () as total
        from pg_index i
        join pg_class ic on ic.oid = i.indexrelid
        join pg_class t on t.oid = i.indrelid
        join pg_namespace n on n.oid = t.relnamespace
       where not i.indisvalid
         and ${userSchema(sql, sql`n.nspname`)}
         and ${inScope(sql, scope, sql`n.nspname`, sql`t.relname`)}
         and not exists (select 1 from pg_stat_progress_create_index p where p.index_relid = i.indexrelid)
       order by bytes desc, 1
       limit ${LIST_CAP}`,
    );

    const findings = rows.map((r): Finding => {
      const concurrently = r.partitioned ? '' : ' CONCURRENTLY';
      const recreate = String(r.definition).replace(/^CREATE (UNIQUE )?INDEX /, `CREATE $1INDEX${concurrently} `);
      return {
        check: INVALID_ID,
        severity: 'warning',
        object: r.object,
        title: 'Invalid index',
        detail:
          `${r.object} on ${r.table_name} is invalid (${formatBytes(Number(r.bytes))}): queries cannot use ` +
          'it but writes still maintain it' +
          (r.is_unique
            ? ', and it enforces no uniqueness — if it failed on duplicate values, remove those first.'
            : '.'),
        recommendation: `DROP INDEX${concurrently} ${r.object};\n${recreate};`,
        evidence: { table: r.table_name, definition: r.definition, unique: r.is_unique, size_bytes: Number(r.bytes) },
      };
    });
    return noteTruncation(findings, Number(rows[0]?.total ?? 0), 'invalid indexes');
  },
};

/**
 * PgHero duplicate_indexes, done in one catalog query: an index is redundant when another valid index
 * on the same table, with the same access method, expressions and predicate, starts with the same key
 * columns (same operator classes, collations and sort options), so it can serve every query the first
 * one serves. The prefix rule only holds for B-tree; other access methods must match exactly.
 * Never proposed for dropping: primary keys, indexes backing a constraint (unique, exclusion, or
 * referenced by a foreign key) and the replica identity index. A unique index is only redundant next
 * to another unique index on exactly the same key, so dropping it never weakens uniqueness.
 */
export const duplicateIndexes: Check = {
  id: DUPLICATE_ID,
  targets: ['tables', 'performance'],
  async run(ctx: CheckContext): Promise<Finding[]> {
    const { sql } = ctx;
    const scope = parseTargetTables(ctx.params.target_tables);
    const nullsNotDistinct = ctx.server.version_num >= 150000 ? sql`i.indnullsnotdistinct` : sql`false`;
    const rows = await catalogQuery(
      sql,
      (tx) => tx`
      with idx as (
        select i.indexrelid, i.indrelid, ic.relam, ic.relname,
               format('%I.%I', n.nspname, ic.relname) as object,
               format('%I.%I', n.nspname, t.relname) as table_name,
               i.indnkeyatts as nkeys,
               (i.indkey::int2[])[0:i.indnkeyatts - 1] as keys,
               (i.indclass::oid[])[0:i.indnkeyatts - 1] as classes,
               (i.indcollation::oid[])[0:i.indnkeyatts - 1] as collations,
               (i.indoption::int2[])[0:i.indnkeyatts - 1] as options,
               (i.indkey::int2[])[i.indnkeyatts:i.indnatts - 1] as included,
               i.indkey::int2[] as all_columns,
               coalesce(pg_get_expr(i.indexprs, i.indrelid), '') as exprs,
               coalesce(pg_get_expr(i.indpred, i.indrelid), '') as pred,
               i.indisunique, ${nullsNotDistinct} as nulls_not_distinct,
               i.indisprimary or i.indisreplident
                 or exists (select 1 from pg_constraint k where k.conindid = i.indexrelid) as protected
          from pg_index i
          join pg_class ic on ic.oid = i.indexrelid
          join pg_class t on t.oid = i.indrelid
          join pg_namespace n on n.oid = t.relnamespace
         where i.indisvalid and t.relkind in ('r', 'm', 'p')
           and ${userSchema(sql, sql`n.nspname`)}
           and ${inScope(sql, scope, sql`n.nspname`, sql`t.relname`)}
      ),
      strength as (
        select idx.*, case when protected then 2 when indisunique then 1 else 0 end as rank from idx
      ),
      pairs as (
        select distinct on (a.indexrelid)
               a.object, a.table_name, a.indexrelid, b.object as covering, b.indexrelid as covering_oid,
               a.nkeys = b.nkeys as identical_keys
          from strength a
          join strength b on b.indrelid = a.indrelid and b.indexrelid <> a.indexrelid
           and b.relam = a.relam and b.exprs = a.exprs and b.pred = a.pred
           and b.keys[1:a.nkeys] = a.keys and b.classes[1:a.nkeys] = a.classes
           and b.collations[1:a.nkeys] = a.collations and b.options[1:a.nkeys] = a.options
           and a.included <@ b.all_columns
         where not a.protected
           and (b.nkeys = a.nkeys or (b.nkeys > a.nkeys and a.relam = (select oid from pg_am where amname = 'btree')))
           and (not a.indisunique or (b.indisunique and b.nkeys = a.nkeys and b.nulls_not_distinct = a.nulls_not_distinct))
           and (b.nkeys > a.nkeys or b.rank > a.rank or (b.rank = a.rank and a.relname > b.relname))
         order by a.indexrelid, b.rank desc, b.nkeys desc, b.relname
      )
      select p.object, p.table_name, p.covering, p.identical_keys,
             pg_get_indexdef(p.indexrelid) as definition,
             pg_get_indexdef(p.covering_oid) as covering_definition,
             pg_relation_size(p.indexrelid)::float8 as bytes,
             s.idx_scan::float8 as idx_scan,
             count(*) over () as total
        from pairs p
        left join pg_stat_all_indexes s on s.indexrelid = p.indexrelid
       order by bytes desc, 1
       limit ${LIST_CAP}`,
    );

    const findings = rows.map((r): Finding => {
      const bytes = Number(r.bytes);
      const relation = r.identical_keys ? 'duplicates' : 'is covered by';
      return {
        check: DUPLICATE_ID,
        severity: 'warning',
        object: r.object,
        title: r.identical_keys ? 'Duplicate index' : 'Redundant index covered by a wider index',
        detail:
          `${r.object} (${formatBytes(bytes)}) on ${r.table_name} ${relation} ${r.covering}, which serves the ` +
          'same queries; it only costs writes, space and cache.',
        recommendation: `DROP INDEX CONCURRENTLY ${r.object};`,
        evidence: {
          value: bytes,
          size_bytes: bytes,
          table: r.table_name,
          definition: r.definition,
          covering_index: r.covering,
          covering_definition: r.covering_definition,
          index_scans: r.idx_scan === null ? null : Number(r.idx_scan),
        },
      };
    });
    return noteTruncation(findings, Number(rows[0]?.total ?? 0), 'redundant indexes');
  },
};
