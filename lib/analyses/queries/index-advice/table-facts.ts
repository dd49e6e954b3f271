import type postgres from 'postgres';
import type { RelationRef } from './statement-shape.js';

export interface ColumnFacts {
  name: string;
  /** From pg_stats; null when the column was never analyzed or the role may not read it. */
  nullFrac: number | null;
  nDistinct: number | null;
  avgWidth: number | null;
}

export interface IndexFacts {
  name: string;
  /** Key columns in order; null for an expression. */
  columns: Array<string | null>;
  usable: boolean;
}

export interface TableFacts {
  oid: number;
  schema: string;
  name: string;
  /** schema.table, quoted where needed, as recommendations write it. */
  qualified: string;
  rows: number;
  pages: number;
  readable: boolean;
  /** n_tup_ins + n_tup_upd + n_tup_del since the statistics were reset. */
  writes: number;
  columns: Map<string, ColumnFacts>;
  indexes: IndexFacts[];
}

export const relationKey = (r: RelationRef) => `${r.schema ?? ''}.${r.name}`;
const quoted = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * The tables the statements name, resolved as the server would resolve them (search_path of the
 * reviewing role, which is usually the application's), with what advice needs: size, column
 * statistics, existing indexes, write counters and whether the role may read them. One round trip.
 */
export async function readTableFacts(sql: postgres.Sql, relations: RelationRef[]): Promise<Map<string, TableFacts>> {
  if (relations.length === 0) return new Map();
  const keys = relations.map(relationKey);
  const names = relations.map((r) => (r.schema ? `${quoted(r.schema)}.${quoted(r.name)}` : quoted(r.name)));
  const rows = await sql`
    /* pg-reviewer index advice */ with named as (
      select k.key, to_regclass(k.name) as oid
        from unnest(${sql.array(keys)}::text[], ${sql.array(names)}::text[]) as k(key, name)
    )
    select named.key, c.oid::int8 as oid, n.nspname as schema, c.relname as name,
           greatest(c.reltuples, 0)::float8 as rows, c.relpages::int8 as pages,
           has_table_privilege(c.oid, 'SELECT') as readable,
           coalesce(s.n_tup_ins + s.n_tup_upd + s.n_tup_del, 0)::float8 as writes,
           (select json_agg(json_build_object('name', a.attname, 'null_frac', st.null_frac, 'n_distinct', st.n_distinct, 'avg_width', st.avg_width))
              from pg_attribute a
              left join pg_stats st on st.schemaname = n.nspname and st.tablename = c.relname and st.attname = a.attname and not st.inherited
             where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped) as columns,
           (select json_agg(json_build_object(
                     'name', i.relname,
                     'usable', x.indisvalid and x.indisready and x.indpred is null and am.amname = 'btree',
                     'columns', (select json_agg(a.attname order by k.ord)
                                   from unnest(x.indkey[0:x.indnkeyatts - 1]) with ordinality as k(attnum, ord)
                                   left join pg_attribute a on a.attrelid = c.oid and a.attnum = k.attnum)))
              from pg_index x join pg_class i on i.oid = x.indexrelid join pg_am am on am.oid = i.relam
             where x.indrelid = c.oid) as indexes
      from named
      join pg_class c on c.oid = named.oid and c.relkind in ('r', 'm')
      join pg_namespace n on n.oid = c.relnamespace
      left join pg_stat_all_tables s on s.relid = c.oid`;
  const facts = new Map<string, TableFacts>();
  for (const r of rows) {
    facts.set(r.key, {
      oid: Number(r.oid),
      schema: r.schema,
      name: r.name,
      qualified: `${quoteName(r.schema)}.${quoteName(r.name)}`,
      rows: r.rows,
      pages: Number(r.pages),
      readable: r.readable,
      writes: r.writes,
      columns: new Map(
        (r.columns ?? []).map((c: Record<string, any>) => [
          c.name,
          {
            name: c.name,
            nullFrac: c.null_frac ?? null,
            nDistinct: c.n_distinct ?? null,
            avgWidth: c.avg_width ?? null,
          },
        ]),
      ),
      indexes: (r.indexes ?? []).map((i: Record<string, any>) => ({
        name: i.name,
        usable: i.usable,
        columns: i.columns ?? [],
      })),
    });
  }
  return facts;
}

// PostgreSQL's reserved key words: a table or column named like one must be quoted to run.
const reserved = new Set(
  (
    'all analyse analyze and any array as asc asymmetric authorization binary both case cast check collate ' +
    'collation column concurrently ' +
    ('constraint create cross current_catalog current_date current_role current_schema current_time ' +
      'current_timestamp current_user default ') +
    ('deferrable desc distinct do else end except false fetch for foreign freeze from full grant group having ' +
      'ilike in initially inner intersect ') +
    ('into is isnull join lateral leading left like limit localtime localtimestamp natural not notnull null ' +
      'offset on only or order outer ') +
    ('overlaps placing primary references returning right select session_user similar some symmetric ' +
      'system_user table tablesample then to ') +
    'trailing true union unique user using variadic verbose when where window with'
  ).split(' '),
);

/** An identifier as CREATE INDEX needs it: quoted unless it is a plain lower-case name that is no key word. */
export function quoteName(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) && !reserved.has(name) ? name : quoted(name);
}

/** Rows an equality on the column matches, as a fraction of the table; null when pg_stats has nothing. */
export function equalitySelectivity(table: TableFacts, column: string): number | null {
  const c = table.columns.get(column);
  if (!c || c.nDistinct === null || c.nullFrac === null) return null;
  // Negative n_distinct is a fraction of the row count (the column grows with the table).
  const distinct = c.nDistinct > 0 ? c.nDistinct : -c.nDistinct * table.rows;
  return distinct > 0 ? (1 - c.nullFrac) / distinct : 1;
}
