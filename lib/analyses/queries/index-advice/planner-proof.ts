import type postgres from 'postgres';
import type { Candidate, WorkloadStatement } from './candidates.js';
import { indexesUsed, planNodes, planStatement, type PlanNode } from './generic-plan.js';
import { createHypothetical, resetHypothetical, type HypoPG } from './hypothetical-indexes.js';
import { equalitySelectivity } from './table-facts.js';

export interface Budget {
  deadline: number;
  stoppedEarly: boolean;
}

export const budgetExpired = (budget: Budget) => {
  if (performance.now() >= budget.deadline) budget.stoppedEarly = true;
  return budget.stoppedEarly;
};

export interface ServedStatement {
  statement: WorkloadStatement;
  costBefore: number;
  costAfter: number;
  planBefore: PlanNode;
  /** The plan with the index; null for an estimate, where no such plan exists. */
  planAfter: PlanNode | null;
}

export interface Verdict {
  candidate: Candidate;
  method: 'hypopg' | 'estimate';
  /** The HypoPG version that verified it. */
  hypopgVersion?: string;
  served: ServedStatement[];
  sizeBytes: number | null;
}

export interface Planning {
  before: Map<WorkloadStatement, PlanNode>;
  /** queryid → why the planner could not plan it. */
  unplannable: Map<string, string>;
}

/** Generic plans of every statement a candidate was built for, as the database is now. */
export async function planBefore(
  sql: postgres.Sql,
  candidates: Candidate[],
  versionNum: number,
  budget: Budget,
): Promise<Planning> {
  const planning: Planning = { before: new Map(), unplannable: new Map() };
  const statements = [...new Set(candidates.flatMap((c) => c.statements))];
  for (const statement of statements) {
    if (budgetExpired(budget)) break;
    const outcome = await planStatement(sql, statement.shape, versionNum);
    if (outcome.ok) planning.before.set(statement, outcome.plan);
    else planning.unplannable.set(statement.queryid, outcome.reason);
  }
  return planning;
}

/**
 * HypoPG: all candidates at once first, so the planner picks among them as it would among real
 * indexes; then each chosen candidate alone, so its cost is its own. Statements are planned again
 * after every change of hypothetical indexes (a new PREPARE each time: see planStatement).
 */
export async function proveWithHypoPG(
  sql: postgres.Sql,
  hypopg: HypoPG,
  candidates: Candidate[],
  planning: Planning,
  versionNum: number,
  budget: Budget,
): Promise<Verdict[]> {
  const byName = new Map<string, Candidate>();
  for (const candidate of candidates) {
    const index = await createOrSkip(sql, hypopg, candidate);
    if (index) byName.set(index.name, candidate);
  }
  const usedBy = new Map<Candidate, Set<WorkloadStatement>>();
  for (const [statement] of planning.before) {
    if (budgetExpired(budget)) break;
    const outcome = await planStatement(sql, statement.shape, versionNum);
    if (!outcome.ok) continue;
    for (const name of indexesUsed(outcome.plan)) {
      const candidate = byName.get(name);
      if (candidate) usedBy.set(candidate, (usedBy.get(candidate) ?? new Set()).add(statement));
    }
  }
  await resetHypothetical(sql, hypopg);

  const verdicts: Verdict[] = [];
  for (const [candidate, statements] of usedBy) {
    if (budgetExpired(budget)) break;
    const index = await createOrSkip(sql, hypopg, candidate);
    if (!index) continue;
    const served: ServedStatement[] = [];
    for (const statement of statements) {
      const outcome = await planStatement(sql, statement.shape, versionNum);
      const planBefore = planning.before.get(statement)!;
      if (outcome.ok && indexesUsed(outcome.plan).includes(index.name)) {
        served.push({
          statement,
          costBefore: planBefore['Total Cost'],
          costAfter: outcome.cost,
          planBefore,
          planAfter: outcome.plan,
        });
      }
    }
    await resetHypothetical(sql, hypopg);
    if (served.length > 0)
      verdicts.push({ candidate, method: 'hypopg', hypopgVersion: hypopg.version, served, sizeBytes: index.sizeBytes });
  }
  return verdicts;
}

/**
 * A column type without a btree operator class (json, point ...) cannot be indexed this way:
 * no advice, no failed review.
 */
async function createOrSkip(sql: postgres.Sql, hypopg: HypoPG, candidate: Candidate) {
  try {
    return await createHypothetical(sql, hypopg, candidate);
  } catch {
    return null;
  }
}

export interface CostSettings {
  randomPageCost: number;
  cpuTupleCost: number;
  cpuIndexTupleCost: number;
}

export async function readCostSettings(sql: postgres.Sql): Promise<CostSettings> {
  const [row] = await sql`
    /* pg-reviewer index advice */ select current_setting('random_page_cost')::float8 as random_page_cost,
           current_setting('cpu_tuple_cost')::float8 as cpu_tuple_cost,
           current_setting('cpu_index_tuple_cost')::float8 as cpu_index_tuple_cost`;
  return {
    randomPageCost: row.random_page_cost,
    cpuTupleCost: row.cpu_tuple_cost,
    cpuIndexTupleCost: row.cpu_index_tuple_cost,
  };
}

// The planner's own defaults for a parameter it knows nothing about: DEFAULT_EQ_SEL and DEFAULT_INEQ_SEL.
const UNKNOWN_EQUALITY_SELECTIVITY = 0.005;
const RANGE_SELECTIVITY = 1 / 3;

/**
 * Without HypoPG the planner cannot be asked, so the gain is estimated the way it would cost an
 * index scan: the sequential scans of the table in today's plan are replaced by an index scan
 * reading the rows the equality and range columns select (pg_stats), one random page each.
 */
export function estimateWithoutHypoPG(candidates: Candidate[], planning: Planning, costs: CostSettings): Verdict[] {
  const verdicts: Verdict[] = [];
  for (const candidate of candidates) {
    const { table } = candidate;
    const selectivity =
      candidate.equalityColumns.reduce(
        (s, c) => s * (equalitySelectivity(table, c) ?? UNKNOWN_EQUALITY_SELECTIVITY),
        1,
      ) *
      RANGE_SELECTIVITY ** candidate.rangeColumns.length;
    const rows = Math.max(1, selectivity * table.rows);
    const indexScanCost =
      Math.min(table.pages, rows) * costs.randomPageCost + rows * (costs.cpuIndexTupleCost + costs.cpuTupleCost);
    const served: ServedStatement[] = [];
    for (const statement of candidate.statements) {
      const planBefore = planning.before.get(statement);
      if (!planBefore) continue;
      const seqScans = [...planNodes(planBefore)].filter(
        (n) => /Seq Scan$/.test(n['Node Type']) && n['Relation Name'] === table.name,
      );
      if (seqScans.length === 0) continue;
      const scanCost = seqScans.reduce((sum, n) => sum + n['Total Cost'], 0);
      const costBefore = planBefore['Total Cost'];
      served.push({
        statement,
        costBefore,
        costAfter: Math.max(0, costBefore - scanCost) + indexScanCost * seqScans.length,
        planBefore,
        planAfter: null,
      });
    }
    if (served.length > 0) verdicts.push({ candidate, method: 'estimate', served, sizeBytes: null });
  }
  return verdicts;
}
