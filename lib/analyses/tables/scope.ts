import type postgres from 'postgres';
import { splitIdentifier } from '../table-names.js';

/** Tables a review is narrowed to: schema-qualified names, and bare names that match in any schema. */
export interface TableScope {
  qualified: string[]; // "schema.table", as stored (unquoted, case kept)
  bare: string[];
}

/**
 * Reads task_params.target_tables. Unquoted identifiers fold to lower case as PostgreSQL folds them;
 * double-quoted ones keep their case. A bare "t" matches a table t in any schema.
 */
export function parseTargetTables(targetTables: string[] | undefined): TableScope | null {
  if (!targetTables || targetTables.length === 0) return null;
  const scope: TableScope = { qualified: [], bare: [] };
  for (const name of targetTables) {
    const parts = splitIdentifier(name);
    if (parts.length === 1) scope.bare.push(parts[0]);
    else if (parts.length === 2) scope.qualified.push(`${parts[0]}.${parts[1]}`);
  }
  return scope.qualified.length + scope.bare.length > 0 ? scope : null;
}

/**
 * SQL condition keeping only the tables in scope; `true` when the task names no tables.
 * `schema` and `table` are the SQL expressions of the table's schema and name.
 */
export function inScope(
  sql: postgres.ISql,
  scope: TableScope | null,
  schema: postgres.Fragment,
  table: postgres.Fragment,
): postgres.Fragment {
  if (!scope) return sql`true`;
  const qualified =
    scope.qualified.length > 0
      ? sql`${schema} || '.' || ${table} = any(${sql.array(scope.qualified)}::text[])`
      : sql`false`;
  const bare = scope.bare.length > 0 ? sql`${table}::text = any(${sql.array(scope.bare)}::text[])` : sql`false`;
  return sql`(${qualified} or ${bare})`;
}

/** Schemas that hold no user data: the catalogs, TOAST storage and other sessions' temporary tables. */
export function userSchema(sql: postgres.ISql, schema: postgres.Fragment): postgres.Fragment {
  return sql`(${schema} not in ('pg_catalog', 'information_schema') and ${schema} !~ '^pg_toast' and ${schema} !~ '^pg_temp_')`;
}

/**
 * Runs one catalog query in its own read-only transaction with JIT off and 64 MB of work_mem.
 * On 30,000 indexes the planner's estimates for catalog joins are high enough to trigger JIT,
 * whose compilation took 1.5 s of a 1.9 s query and never pays off on catalogs; and a 4 MB
 * work_mem made the index self-join spill temporary files onto the reviewed server. Both settings
 * end with the transaction, so nothing outlives the query.
 */
export async function catalogQuery<T>(
  sql: postgres.Sql,
  query: (tx: postgres.TransactionSql) => Promise<T>,
): Promise<T> {
  return (await sql.begin(async (tx) => {
    await tx`select set_config('jit', 'off', true), set_config('work_mem', '64MB', true)`;
    return query(tx);
  })) as T;
}

/** Days since the statistics counters were last reset; null when they never were (or the server does not say). */
export function statsAgeDays(statsReset: string | null, now: Date = new Date()): number | null {
  if (!statsReset) return null;
  return (now.getTime() - new Date(statsReset).getTime()) / 86_400_000;
}
