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

/** Prepared statements of ours are named with this prefix, so every one is found and deallocated. */
export const PREPARED_PREFIX = 'pgr_index_advice_';
let preparedCounter = 0;

/**
 * The planner's generic plan of a normalized statement, whatever its $n placeholders stand for:
 * EXPLAIN (GENERIC_PLAN) on PostgreSQL 16+, and before it PREPARE with plan_cache_mode =
 * force_generic_plan (set by the caller's transaction) and EXPLAIN EXECUTE with NULL arguments.
 * Each attempt runs in a savepoint, so a statement that cannot be planned leaves the review's
 * transaction usable. Nothing is executed.
 */
export async function planStatement(tx: postgres.TransactionSql, shape: StatementShape, versionNum: number): Promise<PlanOutcome> {
  try {
    const rows = await tx.savepoint(async (sp) => {
      if (versionNum >= 160000 || shape.paramCount === 0) return sp.unsafe(`explain (${versionNum >= 160000 ? 'generic_plan, ' : ''}format json) ${shape.text}`);
      // A new name per attempt: a prepared statement keeps the plan cached when it was prepared,
      // so the "after" plan must come from a statement prepared after the hypothetical indexes.
      const name = `${PREPARED_PREFIX}${++preparedCounter}`;
      await sp.unsafe(`prepare ${name} as ${shape.text}`);
      const explained = await sp.unsafe(`explain (format json) execute ${name}(${Array(shape.paramCount).fill('null').join(', ')})`);
      await sp.unsafe(`deallocate ${name}`);
      return explained;
    });
    const document = rows[0]?.['QUERY PLAN'];
    const parsed = typeof document === 'string' ? JSON.parse(document) : document;
    const plan = parsed?.[0]?.Plan as PlanNode | undefined;
    if (!plan) return { ok: false, reason: 'EXPLAIN returned no plan' };
    return { ok: true, cost: plan['Total Cost'], plan };
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  }
}

/** Prepared statements left behind by attempts that failed between PREPARE and DEALLOCATE: they outlive transactions. */
export async function deallocateLeftovers(sql: postgres.Sql | postgres.TransactionSql): Promise<void> {
  const left = await sql`select name from pg_prepared_statements where name like ${`${PREPARED_PREFIX}%`}`;
  for (const { name } of left) await sql.unsafe(`deallocate ${name}`);
}

export function* planNodes(node: PlanNode): Generator<PlanNode> {
  yield node;
  for (const child of node.Plans ?? []) yield* planNodes(child);
}

export function indexesUsed(plan: PlanNode): string[] {
  return [...planNodes(plan)].map((n) => n['Index Name']).filter((name): name is string => typeof name === 'string');
}
