import { NotAssessableError, type Check, type CheckContext, type Finding } from '../../types.js';
import { readStatements } from '../statements-source.js';
import { adviceFinding, worthTaking, type WriteRate } from './advice-finding.js';
import { buildCandidates, type Candidate, type CandidateSkips, type WorkloadStatement } from './candidates.js';
import { ADVICE_MARK, deallocateLeftovers } from './generic-plan.js';
import { findHypoPG, resetHypothetical, type HypoPG } from './hypothetical-indexes.js';
import {
  estimateWithoutHypoPG,
  planBefore,
  proveWithHypoPG,
  readCostSettings,
  type Budget,
  type Planning,
  type Verdict,
} from './planner-proof.js';
import { readStatementShape, type RelationRef } from './statement-shape.js';
import { readTableFacts, relationKey, type TableFacts } from './table-facts.js';
import { MAX_STATEMENTS, PLAN_TIMEOUT_FLOOR_MS, TIME_BUDGET_CEILING_MS, TIME_BUDGET_SHARE } from './thresholds.js';
import { workloadOf, type Workload } from './workload.js';
import { quoteIdent } from '../../format.js';

/** Table write counters this run saw, for the next run's write rate. */
export const ADVICE_STATE_KEY = 'queries.index_advice';

interface AdviceState {
  taken_at: string;
  writes: Record<string, number>;
}

/**
 * query_analysis: the btree indexes the heaviest statements need, each proven by the planner with
 * a HypoPG hypothetical index where the extension is installed (estimated from pg_stats where it
 * is not), kept only when it halves the calls-weighted planner cost of the statements it serves.
 * The review runs no DDL: hypothetical indexes live in this session's memory and are reset.
 */
export const indexAdviceCheck: Check = {
  id: 'queries.index_advice',
  targets: ['queries', 'performance'],
  async run(ctx) {
    const budget: Budget = {
      deadline:
        performance.now() + Math.min(ctx.params.query_timeout * 1000 * TIME_BUDGET_SHARE, TIME_BUDGET_CEILING_MS),
      stoppedEarly: false,
    };
    const read = await readStatements(ctx);
    const workload = workloadOf(read, ctx);
    const chosen = await chooseStatements(read.statements, workload);
    const tables = await readTableFacts(ctx.sql, uniqueRelations(chosen.statements));
    const { candidates, skips } = buildCandidates(chosen.statements, tables);
    if (candidates.length === 0 && skips.unreadableTables.size > 0) throw unreadableTables(skips, ctx);

    const hypopg = await findHypoPG(ctx.sql);
    const { verdicts, planning } =
      candidates.length > 0 ? await prove(ctx, hypopg, candidates, budget) : { verdicts: [], planning: null };
    ctx.state[ADVICE_STATE_KEY] = adviceState(tables);

    const previousWrites = parseAdviceState(ctx.previousState[ADVICE_STATE_KEY]);
    const advice = verdicts
      .filter((v) => worthTaking(v))
      .map((v) => adviceFinding(v, workload, writeRate(v.candidate.table, previousWrites, read.takenAt)));
    const unplannable = new Map([...chosen.unparsed, ...(planning?.unplannable ?? [])]);
    const coverage = coverageFinding(chosen, candidates, skips, unplannable, budget, hypopg);
    return coverage ? [...advice, coverage] : advice;
  },
};

interface Chosen {
  statements: WorkloadStatement[];
  /** queryid → why its text could not be read as a statement. */
  unparsed: Map<string, string>;
  /** Statements with a readable text left out by MAX_STATEMENTS. */
  overCap: number;
}

async function chooseStatements(
  statements: Awaited<ReturnType<typeof readStatements>>['statements'],
  workload: Workload,
): Promise<Chosen> {
  const byQueryid = new Map(statements.map((s) => [s.queryid, s]));
  const chosen: Chosen = { statements: [], unparsed: new Map(), overCap: 0 };
  for (const [queryid, weight] of workload.weights) {
    const s = byQueryid.get(queryid);
    // Utility statements, inserts and texts cut by the evidence limit have no filter to index for.
    if (!s?.query || s.queryTruncated || !/^\s*(with|select|update|delete)\b/i.test(s.query)) continue;
    if (chosen.statements.length >= MAX_STATEMENTS) {
      chosen.overCap++;
      continue;
    }
    const shape = await readStatementShape(s.query);
    if (!shape.ok) chosen.unparsed.set(queryid, shape.reason);
    else if (shape.shape.uses.length > 0)
      chosen.statements.push({
        queryid,
        query: s.query,
        calls: weight.calls,
        totalMs: weight.totalMs,
        shape: shape.shape,
      });
  }
  return chosen;
}

function uniqueRelations(statements: WorkloadStatement[]): RelationRef[] {
  const relations = new Map<string, RelationRef>();
  for (const s of statements) for (const r of s.shape.relations) relations.set(relationKey(r), r);
  return [...relations.values()];
}

/**
 * Generic plans need plan_cache_mode = force_generic_plan for the session (PREPARE path); it,
 * hypothetical indexes and prepared statements outlive the step, and the consumer reuses this
 * connection for the next review, so all three are undone whatever happens.
 */
async function prove(
  ctx: CheckContext,
  hypopg: HypoPG | null,
  candidates: Candidate[],
  budget: Budget,
): Promise<{ verdicts: Verdict[]; planning: Planning }> {
  const { sql } = ctx;
  const versionNum = ctx.server.version_num;
  // The budget is checked between statements; a statement the planner takes long over is cut at
  // what is left of it (PLAN_TIMEOUT_FLOOR_MS at least), not at the review's whole query_timeout.
  const left = Math.max(PLAN_TIMEOUT_FLOOR_MS, Math.round(budget.deadline - performance.now()));
  const statementTimeout = Math.min(left, ctx.params.query_timeout * 1000);
  await sql.unsafe(`${ADVICE_MARK} set plan_cache_mode = force_generic_plan`);
  await sql.unsafe(`${ADVICE_MARK} set statement_timeout = ${statementTimeout}`);
  try {
    const planning = await planBefore(sql, candidates, versionNum, budget);
    const verdicts = hypopg
      ? await proveWithHypoPG(sql, hypopg, candidates, planning, versionNum, budget)
      : estimateWithoutHypoPG(candidates, planning, await readCostSettings(sql));
    return { verdicts, planning };
  } finally {
    // RESET returns to the connection's own settings (its statement_timeout is query_timeout).
    await sql.unsafe(`${ADVICE_MARK} reset statement_timeout`);
    if (hypopg) await resetHypothetical(sql, hypopg);
    await deallocateLeftovers(sql);
    await sql.unsafe(`${ADVICE_MARK} reset plan_cache_mode`);
  }
}

function unreadableTables(skips: CandidateSkips, ctx: CheckContext): NotAssessableError {
  const list = [...skips.unreadableTables].sort();
  const role = ctx.server.current_user;
  return new NotAssessableError(
    `${role} may not read ${list.join(', ')}, which the heaviest statements filter on: pg_stats shows only ` +
      'the columns a role may read and the planner needs SELECT to plan them ' +
      ('(pg_monitor is not enough; grant SELECT on the tables, or read pg_stats through a SECURITY DEFINER ' +
        'function as PgHero documents)'),
    `GRANT SELECT ON ${list.join(', ')} TO ${quoteIdent(role)};`,
  );
}

function adviceState(tables: Map<string, TableFacts>): AdviceState {
  const writes: Record<string, number> = {};
  for (const t of tables.values()) writes[String(t.oid)] = t.writes;
  return { taken_at: new Date().toISOString(), writes };
}

function parseAdviceState(value: unknown): AdviceState | null {
  const s = value as Partial<AdviceState> | null | undefined;
  return s && typeof s.taken_at === 'string' && s.writes && typeof s.writes === 'object' ? (s as AdviceState) : null;
}

function writeRate(table: TableFacts, previous: AdviceState | null, takenAt: string): WriteRate {
  const before = previous?.writes[String(table.oid)];
  // A counter that went down was reset: then only the cumulative count is known.
  if (previous && typeof before === 'number' && before <= table.writes) {
    return {
      writes: table.writes - before,
      sincePreviousRun: true,
      seconds: Math.max(1, (Date.parse(takenAt) - Date.parse(previous.taken_at)) / 1000),
    };
  }
  return { writes: table.writes, sincePreviousRun: false, seconds: null };
}

/**
 * Said only when the advice is incomplete: the step stopped at its time budget, statements could
 * not be planned, or more statements or candidates existed than one review examines.
 */
function coverageFinding(
  chosen: Chosen,
  candidates: Candidate[],
  skips: CandidateSkips,
  unplannable: Map<string, string>,
  budget: Budget,
  hypopg: HypoPG | null,
): Finding | null {
  if (
    !budget.stoppedEarly &&
    unplannable.size === 0 &&
    chosen.overCap === 0 &&
    skips.overCap === 0 &&
    skips.unreadableTables.size === 0
  )
    return null;
  const parts = [
    budget.stoppedEarly ? `stopped at its time budget before every candidate was planned` : null,
    unplannable.size > 0
      ? `${unplannable.size} statement${unplannable.size === 1 ? '' : 's'} could not be planned (queryid ${[...unplannable.keys()].slice(0, 10).join(', ')})`
      : null,
    chosen.overCap > 0 ? `${chosen.overCap} lighter statements were not examined (${MAX_STATEMENTS} at most)` : null,
    skips.overCap > 0 ? `${skips.overCap} candidate indexes serving the least time were not tested` : null,
    skips.unreadableTables.size > 0
      ? `tables the reviewing role may not read were left out: ${[...skips.unreadableTables].sort().join(', ')}`
      : null,
  ].filter((p): p is string => p !== null);
  return {
    check: 'queries.index_advice_coverage',
    severity: 'info',
    object: null,
    title: budget.stoppedEarly
      ? 'Index advice stopped early: some statements were not examined'
      : 'Index advice did not cover every statement',
    detail:
      `Index advice examined ${chosen.statements.length} statements and ${candidates.length} candidate ` +
      `indexes; it ${parts.join('; ')}.`,
    recommendation: null,
    evidence: {
      statements_examined: chosen.statements.length,
      candidates: candidates.length,
      stopped_early: budget.stoppedEarly,
      unplannable: Object.fromEntries([...unplannable].slice(0, 20)),
      unplannable_count: unplannable.size,
      statements_not_examined: chosen.overCap,
      candidates_not_tested: skips.overCap,
      unreadable_tables: [...skips.unreadableTables].sort(),
      method: hypopg ? 'hypopg' : 'estimate',
    },
  };
}
