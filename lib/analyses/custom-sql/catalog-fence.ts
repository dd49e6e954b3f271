import type postgres from 'postgres';
import { refusedFunctionReason } from './function-verdict.js';
import { TooDeeplyNestedError, nodesOf } from './parse-tree.js';
import { namesIn, type StatementNames } from './statement-names.js';

// SQL functions calling SQL functions: each level costs one catalog round trip.
const maxSqlFunctionLevels = 8;

/**
 * Everything a statement can run, from the reviewed database's own catalog, before the server plans
 * it: the functions and operators it names; through views, row-level security policies,
 * partitions and domain constraints, everything they depend on (pg_depend records every function,
 * operator and relation of a view's query, nested views included); the support functions of
 * aggregates; operators' functions; explicit casts' functions. Unqualified names are resolved in
 * the search path, every overload at once.
 *
 * Why not EXPLAIN: planning already runs IMMUTABLE functions on constants, so a PL/pgSQL function
 * labelled IMMUTABLE that calls dblink_exec would run before EXPLAIN showed it.
 */
const reachableQuery = `
with recursive
wanted as (select $1::text::jsonb as w),
visible as (select (select (w->>'anySchema')::boolean from wanted) as any_schema, current_schemas(true) as path),
named_types as (
  select t.oid from jsonb_to_recordset((select w->'types' from wanted)) x(schema text, name text)
  join pg_type t on t.typname = x.name join pg_namespace n on n.oid = t.typnamespace, visible v
  where coalesce(n.nspname = x.schema, v.any_schema or n.nspname = any(v.path))
),
named(classid, objid) as (
  select 'pg_class'::regclass::oid, c.oid from jsonb_to_recordset((select w->'relations' from wanted)) x(schema text, name text)
  join pg_class c on c.relname = x.name join pg_namespace n on n.oid = c.relnamespace, visible v
  where coalesce(n.nspname = x.schema, v.any_schema or n.nspname = any(v.path))
  union all
  select 'pg_proc'::regclass::oid, p.oid from jsonb_to_recordset((select w->'functions' from wanted)) x(schema text, name text)
  join pg_proc p on p.proname = x.name join pg_namespace n on n.oid = p.pronamespace, visible v
  where coalesce(n.nspname = x.schema, v.any_schema or n.nspname = any(v.path))
  union all
  select 'pg_operator'::regclass::oid, o.oid from jsonb_to_recordset((select w->'operators' from wanted)) x(schema text, name text)
  join pg_operator o on o.oprname = x.name join pg_namespace n on n.oid = o.oprnamespace, visible v
  where coalesce(n.nspname = x.schema, v.any_schema or n.nspname = any(v.path))
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
       e.extname as extension, case when l.lanname = 'sql' and e.oid is null and n.nspname not in ('pg_catalog', 'information_schema') then p.prosrc end as body,
       null as wrapper
from reached r join pg_proc p on r.classid = 'pg_proc'::regclass and p.oid = r.objid
join pg_namespace n on n.oid = p.pronamespace join pg_language l on l.oid = p.prolang
left join pg_depend x on x.classid = 'pg_proc'::regclass and x.objid = p.oid and x.refclassid = 'pg_extension'::regclass and x.deptype = 'e'
left join pg_extension e on e.oid = x.refobjid
union all
select 'foreign table', c.oid::int8, n.nspname, c.relname, null, null, null, null, w.fdwname
from reached r join pg_class c on r.classid = 'pg_class'::regclass and c.oid = r.objid and c.relkind = 'f'
join pg_namespace n on n.oid = c.relnamespace
join pg_foreign_table t on t.ftrelid = c.oid join pg_foreign_server s on s.oid = t.ftserver join pg_foreign_data_wrapper w on w.oid = s.srvfdw`;

interface Reached {
  kind: 'function' | 'foreign table';
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
  const judged = new Set<string>();
  let wanted = names;
  // The statement's names resolve in its search path; a SQL function's body may set its own, so its names resolve in any schema.
  let anySchema = false;
  for (let level = 0; level <= maxSqlFunctionLevels; level++) {
    const reached = await reachable(connection, { ...distinct(wanted), anySchema });
    const bodies: string[] = [];
    for (const object of reached) {
      const key = `${object.kind}:${object.oid}`;
      if (judged.has(key)) continue;
      judged.add(key);
      const reason = object.kind === 'function' ? refusedFunctionReason(object) : foreignTableReason(object);
      if (reason) return reason;
      // A SQL-standard body (BEGIN ATOMIC) has an empty prosrc; its dependencies are in pg_depend, already followed.
      if (object.body?.trim()) bodies.push(object.body);
    }
    if (bodies.length === 0) return null;
    const bodyNames = await namesInBodies(bodies);
    if (typeof bodyNames === 'string') return bodyNames;
    wanted = bodyNames;
    anySchema = true;
  }
  return `SQL functions call SQL functions more than ${maxSqlFunctionLevels} levels deep; the statement cannot be checked`;
}

/**
 * JIT is off for this query alone: the recursive query's row estimates are large, and compiling it
 * took 6 s of an 8 s run where the query itself needs 0.1 s. The statement keeps the server's setting.
 */
async function reachable(connection: postgres.ReservedSql, wanted: StatementNames & { anySchema: boolean }): Promise<Reached[]> {
  const [, reached] = await Promise.all([
    connection.unsafe(`select set_config('pg_reviewer.jit', current_setting('jit'), true), set_config('jit', 'off', true)`),
    connection.unsafe<Reached[]>(reachableQuery, [JSON.stringify(wanted)]),
    connection.unsafe(`select set_config('jit', current_setting('pg_reviewer.jit'), true)`),
  ]);
  return reached;
}

function foreignTableReason(table: Reached): string | null {
  if (table.wrapper && readOnlyWrappers.has(table.wrapper)) return null;
  return `Foreign table ${table.schema}.${table.name} is not allowed: its wrapper ${table.wrapper} is not known to only read`;
}

async function namesInBodies(bodies: string[]): Promise<StatementNames | string> {
  const { parse } = await import('libpg-query');
  const nodes = [];
  for (const body of bodies) {
    try {
      nodes.push(...nodesOf(await parse(body)));
    } catch (error) {
      if (error instanceof TooDeeplyNestedError) return error.message;
      // check_function_bodies = off lets a body that does not parse be stored; nothing says what it would run.
      return `A SQL function the statement calls has a body that cannot be parsed: ${(error as Error).message}`;
    }
  }
  return namesIn(nodes);
}

function distinct(names: StatementNames): StatementNames {
  const unique = <T>(list: T[]) => [...new Map(list.map((item) => [JSON.stringify(item), item])).values()];
  return { relations: unique(names.relations), functions: unique(names.functions), operators: unique(names.operators), types: unique(names.types) };
}
