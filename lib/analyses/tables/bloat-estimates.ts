import type postgres from 'postgres';
import { inScope, userSchema, type TableScope } from './scope.js';
import { BLOAT_MIN_BYTES, BLOAT_MIN_RATIO } from './thresholds.js';
import { LIST_CAP } from '../finding-list.js';

/**
 * Statistical bloat estimates after ioguix/pgsql-bloat-estimation (table/table_bloat.sql and
 * btree/btree_bloat.sql): the expected size is rebuilt from reltuples and the average row width in
 * pg_stats, and compared with the pages the relation occupies. Changes from the originals:
 * - PostgreSQL 12+ only (no relhasoids);
 * - only relations already big enough for their waste to reach BLOAT_MIN_BYTES are estimated, which
 *   keeps the pg_stats joins small on databases with thousands of tables;
 * - the B-tree query's `OR` join to pg_stats (table column or expression column) is split into two
 *   left joins, so it plans as hash joins instead of a nested loop over every statistic;
 * - a relation is "not estimable" (is_na) when any of its columns lacks statistics, not only for
 *   the `name` type, since a missing width silently shrinks the expected size;
 * - relations whose statistics the role may not read (pg_stats hides them) are counted separately.
 * Each query returns a single row: how many candidates were unreadable or not estimable, how many
 * exceed the reporting floor (BLOAT_MIN_BYTES and BLOAT_MIN_RATIO), and the worst LIST_CAP of
 * those as JSON objects with `object`, `fillfactor`, `real_bytes`, `bloat_bytes`, `bloat_ratio` (0-1).
 */

const maxAlign = (sql: postgres.ISql) =>
  sql`(case when version() ~ 'mingw32|64-bit|x86_64|ppc64|ia64|amd64' then 8 else 4 end)`;
const blockSize = (sql: postgres.ISql) => sql`current_setting('block_size')::numeric`;

export function tableBloatQuery(sql: postgres.ISql, scope: TableScope | null): postgres.PendingQuery<postgres.Row[]> {
  return sql`
    with candidates as (
      select c.oid, n.nspname, c.relname, format('%I.%I', n.nspname, c.relname) as object,
             greatest(c.reltuples, 0) as reltuples, c.relpages as heappages,
             coalesce(toast.relpages, 0) as toastpages, greatest(coalesce(toast.reltuples, 0), 0) as toasttuples,
             coalesce((select option_value::int from pg_options_to_table(c.reloptions) where option_name = 'fillfactor'), 100) as fillfactor,
             has_table_privilege(c.oid, 'SELECT') as readable
        from pg_class c
        join pg_namespace n on n.oid = c.relnamespace
        left join pg_class toast on toast.oid = c.reltoastrelid
       where c.relkind in ('r', 'm')
         and (c.relpages + coalesce(toast.relpages, 0)) * ${blockSize(sql)} >= ${BLOAT_MIN_BYTES}
         and ${userSchema(sql, sql`n.nspname`)}
         and ${inScope(sql, scope, sql`n.nspname`, sql`c.relname`)}
    ),
    widths as (
      select t.oid,
             23 + case when max(coalesce(s.null_frac, 0)) > 0 then (7 + count(*)) / 8 else 0 end as tpl_hdr_size,
             sum((1 - coalesce(s.null_frac, 0)) * coalesce(s.avg_width, 1024)) as tpl_data_size,
             bool_or(a.atttypid = 'pg_catalog.name'::regtype) or count(a.attname) <> count(s.attname) as is_na
        from candidates t
        join pg_attribute a on a.attrelid = t.oid and a.attnum > 0 and not a.attisdropped
        left join pg_stats s on s.schemaname = t.nspname and s.tablename = t.relname
                            and s.attname = a.attname and not s.inherited
       where t.readable
       group by t.oid
    ),
    sizes as (
      select t.*, coalesce(w.is_na, true) as is_na, ${blockSize(sql)} as bs,
             (4 + w.tpl_hdr_size + w.tpl_data_size + 2 * ${maxAlign(sql)}
               - case when w.tpl_hdr_size % ${maxAlign(sql)} = 0 then ${maxAlign(sql)} else w.tpl_hdr_size % ${maxAlign(sql)} end
               - case when ceil(w.tpl_data_size)::int % ${maxAlign(sql)} = 0 then ${maxAlign(sql)} else ceil(w.tpl_data_size)::int % ${maxAlign(sql)} end
             ) as tpl_size
        from candidates t
        left join widths w on w.oid = t.oid
    ),
    estimates as (
      select *, heappages + toastpages as tblpages,
             ceil(reltuples / ((bs - 24) * fillfactor / (tpl_size * 100))) + ceil(toasttuples / 4) as est_pages
        from sizes
    ),
    measured as (
      select object, readable, is_na, fillfactor,
             (bs * tblpages)::float8 as real_bytes,
             greatest((tblpages - est_pages) * bs, 0)::float8 as bloat_bytes,
             case when tblpages > est_pages then ((tblpages - est_pages) / tblpages)::float8 else 0 end as bloat_ratio
        from estimates
    ),
    found as (
      select * from measured
       where readable and not is_na and bloat_ratio >= ${BLOAT_MIN_RATIO} and bloat_bytes >= ${BLOAT_MIN_BYTES}
    )
    select (select count(*) from measured where not readable)::int as unreadable,
           (select count(*) from measured where readable and is_na)::int as not_estimable,
           (select string_agg(distinct format('%I', nspname), ', ') from candidates where not readable) as unreadable_schemas,
           (select count(*) from found)::int as total,
           coalesce((select json_agg(f order by f.bloat_bytes desc, f.object)
                       from (select * from found order by bloat_bytes desc, object limit ${LIST_CAP}) f), '[]') as rows`;
}

export function indexBloatQuery(sql: postgres.ISql, scope: TableScope | null): postgres.PendingQuery<postgres.Row[]> {
  return sql`
    with candidates as (
      select i.indexrelid, i.indrelid, n.nspname, ic.relname as idxname, t.relname as tblname,
             format('%I.%I', n.nspname, ic.relname) as object, format('%I.%I', n.nspname, t.relname) as table_name,
             greatest(ic.reltuples, 0) as reltuples, ic.relpages, i.indkey::int2[] as indkey,
             coalesce((select option_value::int from pg_options_to_table(ic.reloptions) where option_name = 'fillfactor'), 90) as fillfactor,
             has_table_privilege(t.oid, 'SELECT') as readable
        from pg_index i
        join pg_class ic on ic.oid = i.indexrelid
        join pg_class t on t.oid = i.indrelid
        join pg_namespace n on n.oid = ic.relnamespace
       where i.indisvalid and t.relkind in ('r', 'm')
         and ic.relam = (select oid from pg_am where amname = 'btree')
         and ic.relpages * ${blockSize(sql)} >= ${BLOAT_MIN_BYTES}
         and ${userSchema(sql, sql`n.nspname`)}
         and ${inScope(sql, scope, sql`n.nspname`, sql`t.relname`)}
    ),
    columns as (
      -- One row per index column: statistics of the table column it indexes, or of the expression
      -- column ANALYZE records under the index's own name.
      select x.indexrelid, a.atttypid,
             coalesce(ts.null_frac, es.null_frac) as null_frac,
             coalesce(ts.avg_width, es.avg_width) as avg_width
        from candidates x
        join pg_attribute a on a.attrelid = x.indexrelid and a.attnum > 0
        left join pg_attribute ta on ta.attrelid = x.indrelid and ta.attnum = x.indkey[a.attnum - 1] and ta.attnum > 0
        left join pg_stats ts on ts.schemaname = x.nspname and ts.tablename = x.tblname and ts.attname = ta.attname and not ts.inherited
        left join pg_stats es on es.schemaname = x.nspname and es.tablename = x.idxname and es.attname = a.attname
       where x.readable
    ),
    widths as (
      select indexrelid,
             case when max(coalesce(null_frac, 0)) = 0 then 2 else 2 + (32 + 8 - 1) / 8 end as index_tuple_hdr,
             sum((1 - coalesce(null_frac, 0)) * coalesce(avg_width, 1024)) as nulldatawidth,
             bool_or(atttypid = 'pg_catalog.name'::regtype) or bool_or(avg_width is null) as is_na
        from columns
       group by indexrelid
    ),
    sizes as (
      select x.*, coalesce(w.is_na, true) as is_na, ${blockSize(sql)} as bs,
             (w.index_tuple_hdr + ${maxAlign(sql)}
               - case when w.index_tuple_hdr % ${maxAlign(sql)} = 0 then ${maxAlign(sql)} else w.index_tuple_hdr % ${maxAlign(sql)} end
               + w.nulldatawidth + ${maxAlign(sql)}
               - case when w.nulldatawidth = 0 then 0
                      when w.nulldatawidth::int % ${maxAlign(sql)} = 0 then ${maxAlign(sql)}
                      else w.nulldatawidth::int % ${maxAlign(sql)} end
             )::numeric as nulldatahdrwidth
        from candidates x
        left join widths w on w.indexrelid = x.indexrelid
    ),
    estimates as (
      -- 24-byte page header, 16 bytes of B-tree special space, 4-byte line pointer per tuple, plus the metapage.
      select *, coalesce(1 + ceil(reltuples / floor((bs - 16 - 24) * fillfactor / (100 * (4 + nulldatahdrwidth)::float))), 0) as est_pages
        from sizes
    ),
    measured as (
      select object, table_name, readable, is_na, fillfactor,
             (bs * relpages)::float8 as real_bytes,
             greatest((relpages - est_pages) * bs, 0)::float8 as bloat_bytes,
             case when relpages > est_pages then ((relpages - est_pages) / relpages)::float8 else 0 end as bloat_ratio
        from estimates
    ),
    found as (
      select * from measured
       where readable and not is_na and bloat_ratio >= ${BLOAT_MIN_RATIO} and bloat_bytes >= ${BLOAT_MIN_BYTES}
    )
    select (select count(*) from measured where not readable)::int as unreadable,
           (select count(*) from measured where readable and is_na)::int as not_estimable,
           (select string_agg(distinct format('%I', nspname), ', ') from candidates where not readable) as unreadable_schemas,
           (select count(*) from found)::int as total,
           coalesce((select json_agg(f order by f.bloat_bytes desc, f.object)
                       from (select * from found order by bloat_bytes desc, object limit ${LIST_CAP}) f), '[]') as rows`;
}
