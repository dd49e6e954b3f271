import type postgres from 'postgres';
import type { StatementShape } from './statement-shape.js';

/** One node of EXPLAIN (FORMAT JSON). */
export interface PlanNode {
  'Node Type': string;
  'Total Cost': number;
  'Startup Cost'?: number;
  'Plan Rows'?: number;
  'Relation Name'?: string;
  'Index Name'?: string;
  Alias?: string;
  Plans?: PlanNode[];
  [field: string]: unknown;
}

export type PlanOutcome = { ok: true; cost: number; plan: PlanNode } | { ok: false; reason: string };

/**
 * Every statement the advice step sends starts with this comment: pg_stat_statements keeps it in
 * the text, so the query review leaves the advice step's own work out of the workload it reads.
 */
export const ADVICE_MARK = '/* pg-reviewer index advice */';

/** Prepared statements of ours are named with this prefix, so every one is found and deallocated. */
export const PREPARED_PREFIX = 'pgr_index_advice_';
let preparedCounter = 0;

/**
 * The planner's generic plan of a normalized statement, whatever its $n placeholders stand for:
 * EXPLAIN (GENERIC_PLAN) on PostgreSQL 16+, and before it PREPARE with plan_cache_mode =
 * force_generic_plan (set by the caller's transaction) and EXPLAIN EXECUTE with NULL arguments.
 * Each statement runs on its own in the connection's read-only transaction mode, so one that
 * cannot be planned costs nothing but its reason. Nothing is executed.
 */
export async function planStatement(
  sql: postgres.Sql,
  shape: StatementShape,
  versionNum: number,
): Promise<PlanOutcome> {
  try {
    const rows = await explain(sql, shape, versionNum);
    const document = rows[0]?.['QUERY PLAN'];
    const parsed = typeof document === 'string' ? JSON.parse(document) : document;
    const plan = parsed?.[0]?.Plan as PlanNode | undefined;
    if (!plan) return { ok: false, reason: 'EXPLAIN returned no plan' };
    return { ok: true, cost: plan['Total Cost'], plan };
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  }
}

async function explain(sql: postgres.Sql, shape: StatementShape, versionNum: number) {
  if (versionNum >= 160000 || shape.paramCount === 0)
    return sql.unsafe(
      `${ADVICE_MARK} explain (${versionNum >= 160000 ? 'generic_plan, ' : ''}format json) ${shape.text}`,
    );
  // Prepared anew for every plan: a prepared statement keeps the generic plan it cached, so the
  // "after" plan must come from a statement prepared after the hypothetical indexes changed.
  const name = `${PREPARED_PREFIX}${++preparedCounter}`;
  await sql.unsafe(`${ADVICE_MARK} prepare ${name} as ${shape.text}`);
  try {
    // plan_cache_mode = force_generic_plan (set by the caller) makes the NULLs placeholders, not values.
    return await sql.unsafe(
      `${ADVICE_MARK} explain (format json) execute ${name}(${Array(shape.paramCount).fill('null').join(', ')})`,
    );
  } finally {
    await sql.unsafe(`deallocate ${name}`);
  }
}

/**
 * Prepared statements a lost statement left behind (a timeout between PREPARE and DEALLOCATE):
 * they outlive transactions.
 */
export async function deallocateLeftovers(sql: postgres.Sql): Promise<void> {
  const left = await sql.unsafe(`${ADVICE_MARK} select name from pg_prepared_statements where name like $1`, [
    `${PREPARED_PREFIX}%`,
  ]);
  for (const { name } of left) await sql.unsafe(`deallocate ${name}`);
}

export function* planNodes(node: PlanNode): Generator<PlanNode> {
  yield node;
  for (const child of node.Plans ?? []) yield* planNodes(child);
}

export function indexesUsed(plan: PlanNode): string[] {
  return [...planNodes(plan)].map((n) => n['Index Name']).filter((name): name is string => typeof name === 'string');
}
