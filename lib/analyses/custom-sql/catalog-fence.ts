import type postgres from 'postgres';
import { refusedFunctionReason } from './function-verdict.js';
import { TooDeeplyNestedError, nodesOf } from './parse-tree.js';
import { emptyNames, mergeNames, namesIn, type StatementNames, type WrittenName } from './statement-names.js';

// SQL functions calling SQL functions, views over them: each level of text costs one catalog round trip.
const maxTextLevels = 16;

/**
 * Everything a statement can run, from the reviewed database's own catalog, before the server plans
 * it: the functions and operators it names; through views, row-level security policies,
 * partitions and domain constraints, everything they depend on (pg_depend records every function,
 * operator and relation of a view's query, nested views included); the support functions of
 * aggregates; operators' functions; explicit casts' functions. pg_depend does not record
 * dependencies on built-in objects, so the definitions of user views, policies, domain constraints
 * and SQL functions are also read and parsed, and their names looked up in turn. Unqualified names
 * are resolved in the search path, every overload at once.
 *
 * Why not EXPLAIN: planning already runs IMMUTABLE functions on constants, so a PL/pgSQL function
 * labelled IMMUTABLE that calls dblink_exec would run before EXPLAIN showed it.
 */
const reachableQuery = (wanted: string) => `
with recursive
wanted as (select ${wanted}::jsonb as w),
visible as (select current_schemas(true) as path),
named_types as (
  select t.oid from jsonb_to_recordset((select w->'types' from wanted)) x(schema text, name text, anywhere boolean)
  join pg_type t on t.typname = x.name join pg_namespace n on n.oid = t.typnamespace, visible v
  where coalesce(n.nspname = x.schema, x.anywhere or n.nspname = any(v.path))
),
named(classid, objid) as (
  select 'pg_class'::regclass::oid, c.oid from jsonb_to_recordset((select w->'relations' from wanted)) x(schema text, name text, anywhere boolean)
  join pg_class c on c.relname = x.name join pg_namespace n on n.oid = c.relnamespace, visible v
  where coalesce(n.nspname = x.schema, x.anywhere or n.nspname = any(v.path))
  union all
  select 'pg_proc'::regclass::oid, p.oid from jsonb_to_recordset((select w->'functions' from wanted)) x(schema text, name text, anywhere boolean)
  join pg_proc p on p.proname = x.name join pg_namespace n on n.oid = p.pronamespace, visible v
  where coalesce(n.nspname = x.schema, x.anywhere or n.nspname = any(v.path))
  union all
  select 'pg_operator'::regclass::oid, o.oid from jsonb_to_recordset((select w->'operators' from wanted)) x(schema text, name text, anywhere boolean)
  join pg_operator o on o.oprname = x.name join pg_namespace n on n.oid = o.oprnamespace, visible v
  where coalesce(n.nspname = x.schema, x.anywhere or n.nspname = any(v.path))
  union all
  select 'pg_proc'::regclass::oid, k.castfunc from named_types t join pg_cast k on k.casttarget = t.oid where k.castfunc <> 0
  union all
  select 'pg_constraint'::regclass::oid, k.oid from named_types t join pg_constraint k on k.contypid = t.oid
),
reached(classid, objid) as (
  select classid, objid from named
  union
  select s.classid, s.objid from reached r cross join lateral (
    select 'pg_rewrite'::regclass::oid as classid, w.oid as objid from pg_rewrite w where r.classid = 'pg_class'::regclass and w.ev_class = r.objid
    union all
    select 'pg_policy'::regclass::oid, p.oid from pg_policy p where r.classid = 'pg_class'::regclass and p.polrelid = r.objid
    union all
    select 'pg_class'::regclass::oid, i.inhrelid from pg_inherits i where r.classid = 'pg_class'::regclass and i.inhparent = r.objid
    union all
    select d.refclassid, d.refobjid from pg_depend d
    where r.classid in ('pg_rewrite'::regclass, 'pg_policy'::regclass, 'pg_constraint'::regclass, 'pg_proc'::regclass)
      and d.classid = r.classid and d.objid = r.objid
      and d.refclassid in ('pg_class'::regclass, 'pg_proc'::regclass, 'pg_operator'::regclass)
    union all
    select 'pg_proc'::regclass::oid, o.oprcode::oid from pg_operator o where r.classid = 'pg_operator'::regclass and o.oid = r.objid
    union all
    select 'pg_proc'::regclass::oid, unnest(array[a.aggtransfn, a.aggfinalfn, a.aggcombinefn, a.aggserialfn, a.aggdeserialfn, a.aggmtransfn, a.aggminvtransfn, a.aggmfinalfn]::oid[])
    from pg_aggregate a where r.classid = 'pg_proc'::regclass and a.aggfnoid = r.objid
  ) s
  where s.objid <> 0
)
select 'function' as kind, p.oid::int8 as oid, n.nspname as schema, p.proname as name, p.provolatile::text as volatility, l.lanname as language,
       e.extname as extension,
       -- A SQL-standard body (BEGIN ATOMIC, 14+) leaves prosrc empty; it is in the definition read below.
       case when l.lanname = 'sql' and e.oid is null and n.nspname not in ('pg_catalog', 'information_schema') then nullif(p.prosrc, '') end as body,
       null as wrapper
from reached r join pg_proc p on r.classid = 'pg_proc'::regclass and p.oid = r.objid
join pg_namespace n on n.oid = p.pronamespace join pg_language l on l.oid = p.prolang
left join pg_depend x on x.classid = 'pg_proc'::regclass and x.objid = p.oid and x.refclassid = 'pg_extension'::regclass and x.deptype = 'e'
left join pg_extension e on e.oid = x.refobjid
union all
select 'foreign table', c.oid::int8, n.nspname, c.relname, null, null, null, null, w.fdwname
from reached r join pg_class c on r.classid = 'pg_class'::regclass and c.oid = r.objid and c.relkind = 'f'
join pg_namespace n on n.oid = c.relnamespace
join pg_foreign_table t on t.ftrelid = c.oid join pg_foreign_server s on s.oid = t.ftserver join pg_foreign_data_wrapper w on w.oid = s.srvfdw
union all
-- Dependencies on built-in objects are not recorded in pg_depend, so definitions are also read as text.
select 'definition', c.oid::int8, n.nspname, c.relname, null, null, null, pg_get_viewdef(c.oid), null
from reached r join pg_class c on r.classid = 'pg_class'::regclass and c.oid = r.objid and c.relkind in ('v', 'm')
join pg_namespace n on n.oid = c.relnamespace
where n.nspname not in ('pg_catalog', 'information_schema')
union all
-- A user SQL function's header: its argument defaults run when a call leaves them out.
select 'definition', p.oid::int8, n.nspname, p.proname, null, null, null, pg_get_functiondef(p.oid), null
from reached r join pg_proc p on r.classid = 'pg_proc'::regclass and p.oid = r.objid and p.prokind = 'f'
join pg_namespace n on n.oid = p.pronamespace join pg_language l on l.oid = p.prolang and l.lanname = 'sql'
where n.nspname not in ('pg_catalog', 'information_schema')
  and not exists (select from pg_depend x where x.classid = 'pg_proc'::regclass and x.objid = p.oid and x.deptype = 'e')
union all
select 'definition', p.oid::int8, null, p.polname, null, null, null, 'select ' || pg_get_expr(p.polqual, p.polrelid), null
from reached r join pg_policy p on r.classid = 'pg_policy'::regclass and p.oid = r.objid and p.polqual is not null
union all
select 'definition', k.oid::int8, null, k.conname, null, null, null, 'select ' || pg_get_expr(k.conbin, 0), null
from reached r join pg_constraint k on r.classid = 'pg_constraint'::regclass and k.oid = r.objid and k.conbin is not null`;

interface Reached {
  kind: 'function' | 'foreign table' | 'definition';
  oid: string;
  schema: string;
  name: string;
  volatility: string;
  language: string;
  extension: string | null;
  body: string | null;
  wrapper: string | null;
}

// postgres_fdw only sends SELECTs to its server; file_fdw, for one, can run a program on each scan.
const readOnlyWrappers = new Set(['postgres_fdw']);

/**
 * Why the statement may not run in this database, or null. Runs inside the statement's READ ONLY
 * transaction, under its statement timeout, with the statement's search path.
 */
export async function catalogRefusal(connection: postgres.ReservedSql, names: StatementNames): Promise<string | null> {
  // A statement that names nothing (`select 1`) can run only built-in literals: no round trip for it.
  if (Object.values(names).every((list) => list.length === 0)) return null;
  const judged = new Set<string>();
  let wanted = names;
  for (let level = 0; level <= maxTextLevels; level++) {
    const reached = await reachable(connection, distinct(wanted));
    const texts: Array<{ sql: string; anywhere: boolean }> = [];
    for (const object of reached) {
      const key = `${object.kind}:${object.oid}`;
      if (judged.has(key)) continue;
      judged.add(key);
      const reason =
        object.kind === 'function'
          ? refusedFunctionReason(object)
          : object.kind === 'foreign table'
            ? foreignTableReason(object)
            : null;
      if (reason) return reason;
      // View, policy and constraint texts are printed for the current search path; a SQL function's
      // body may run under a search path of its own, so its names are looked up in every schema.
      if (object.body?.trim()) texts.push({ sql: object.body, anywhere: object.kind === 'function' });
    }
    if (texts.length === 0) return null;
    const textNames = await namesInTexts(texts);
    if (typeof textNames === 'string') return textNames;
    wanted = textNames;
  }
  return `Views and SQL functions nest more than ${maxTextLevels} levels deep; the statement cannot be checked`;
}

/**
 * JIT is off for this query alone: the recursive query's row estimates are large, and compiling it
 * took 6 s of an 8 s run where the query itself needs 0.1 s. The statement keeps the server's setting.
 * The three statements go as one simple query, one round trip: with the names as a parameter, postgres.js
 * would send the query on our unprepared sessions in two (Parse and Describe, then Bind and Execute), in
 * every review.
 */
async function reachable(connection: postgres.ReservedSql, wanted: StatementNames): Promise<Reached[]> {
  const results = (await connection
    .unsafe(
      `select set_config('pg_reviewer.jit', current_setting('jit'), true), set_config('jit', 'off', true);
       ${reachableQuery(stringLiteral(JSON.stringify(wanted)))};
       select set_config('jit', current_setting('pg_reviewer.jit'), true)`,
    )
    .simple()) as unknown as [unknown, Reached[], unknown];
  return results[1];
}

/**
 * A text as an SQL string literal. E'' reads backslashes as escapes whatever standard_conforming_strings
 * says, so doubling them and the quotes leaves nothing that ends the literal or escapes out of it.
 */
const stringLiteral = (text: string): string => `E'${text.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;

function foreignTableReason(table: Reached): string | null {
  if (table.wrapper && readOnlyWrappers.has(table.wrapper)) return null;
  return (
    `Foreign table ${table.schema}.${table.name} is not allowed: its wrapper ${table.wrapper} is not known to ` +
    'only read'
  );
}

async function namesInTexts(texts: Array<{ sql: string; anywhere: boolean }>): Promise<StatementNames | string> {
  const { parse } = await import('libpg-query');
  let names = emptyNames();
  for (const text of texts) {
    try {
      const found = namesIn(nodesOf(await parse(text.sql)));
      names = mergeNames(names, text.anywhere ? everywhere(found) : found);
    } catch (error) {
      if (error instanceof TooDeeplyNestedError) return error.message;
      // check_function_bodies = off lets a body that does not parse be stored; nothing says what it would run.
      return `A view or SQL function the statement uses has a definition that cannot be parsed: ${(error as Error).message}`;
    }
  }
  return names;
}

function everywhere(names: StatementNames): StatementNames {
  const all = (list: WrittenName[]) => list.map((n) => ({ ...n, anywhere: true }));
  return {
    relations: all(names.relations),
    functions: all(names.functions),
    operators: all(names.operators),
    types: all(names.types),
  };
}

function distinct(names: StatementNames): StatementNames {
  const unique = (list: WrittenName[]) => [
    ...new Map(
      list.map((n) => [JSON.stringify(n), { schema: n.schema, name: n.name, anywhere: n.anywhere ?? false }]),
    ).values(),
  ];
  return {
    relations: unique(names.relations),
    functions: unique(names.functions),
    operators: unique(names.operators),
    types: unique(names.types),
  };
}
