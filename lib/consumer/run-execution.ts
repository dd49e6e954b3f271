import type { ClaimedExecution, ExecutionOutcome } from '../../db/queries/executions.js';
import type { ExecutionRow } from '../../db/schema/index.js';
import { runAnalysis } from '../analyses/index.js';
import type { ReviewResult, TaskParams, TaskType } from '../analyses/types.js';
import { describeTargetError } from '../target/open-target.js';
import { targetOptionsFor } from '../target/target-options.js';
import { log } from '../log/logger.js';
import type { TargetPool } from '../target/target-pool.js';

export type ExecutionReport = 'completed' | 'failed' | 'superseded' | 'stashed' | 'lost';

/** What became of an outcome handed to the ledger, and the status it was stored with. */
export interface OutcomeFate {
  /**
   * recorded; superseded (the tick gave this attempt up meanwhile); stashed (kept in Redis until the
   * service database takes it); lost (neither: recovery will run the execution again).
   */
  fate: 'recorded' | 'superseded' | 'stashed' | 'lost';
  status: 'completed' | 'failed';
  errorMessage: string | null;
}

/** Where one drain records outcomes (batched across its workers), and its open target connections. */
export interface ExecutionLedger {
  finish(execution: ExecutionRow, outcome: ExecutionOutcome): Promise<OutcomeFate>;
  targets: TargetPool;
}

/** Records the outcome of a review that started at `started` (performance.now()). */
export async function recordOutcome(
  execution: ExecutionRow,
  outcome: ExecutionOutcome,
  started: number,
  ledger: ExecutionLedger,
): Promise<ExecutionReport> {
  const id = execution.id;
  const { fate, status, errorMessage } = await ledger.finish(execution, outcome);
  if (fate === 'superseded') {
    log.warn('execution outcome discarded: the attempt was given up by the tick meanwhile', {
      executionId: id,
      attempt: execution.attempts,
    });
    return 'superseded';
  }
  if (fate !== 'recorded') return fate;
  log.info('execution finished', {
    executionId: id,
    status,
    durationMs: Math.round(performance.now() - started),
    error: errorMessage ?? undefined,
  });
  return status;
}

/** Runs the analysis of an execution this consumer has claimed. Never throws: a failure is the outcome. */
export async function reviewClaimedExecution(
  { execution, connection, previous }: ClaimedExecution,
  targets: TargetPool,
): Promise<ExecutionOutcome> {
  log.info('execution started', {
    executionId: execution.id,
    taskId: execution.scheduledTaskId,
    taskType: execution.taskType,
    attempt: execution.attempts,
  });
  const params = execution.taskParams as unknown as TaskParams;
  try {
    if (!connection) return failed(`Connection ${execution.connectionId} no longer exists`);
    const input = {
      taskType: execution.taskType as TaskType,
      params,
      target: targetOptionsFor(connection, params.query_timeout),
      previous: previous ? { executionId: previous.id, result: previous.result as Partial<ReviewResult> } : null,
    };
    const result: ReviewResult = await targets.use(connection, input.target, (sql) => runAnalysis({ ...input, sql }));
    return { status: 'completed', result: result as unknown as Record<string, unknown>, errorMessage: null };
  } catch (error) {
    return failed(describeTargetError(error));
  }
}

const failed = (errorMessage: string): ExecutionOutcome => ({ status: 'failed', result: null, errorMessage });
