import type { ClaimedExecution, ExecutionOutcome } from '../../db/queries/executions.js';
import { runAnalysis } from '../analyses/index.js';
import type { ReviewResult, TaskParams, TaskType } from '../analyses/types.js';
import { log } from '../log/logger.js';
import { describeTargetError } from '../target/open-target.js';
import { targetOptionsFor } from '../target/target-options.js';
import type { TargetPool } from '../target/target-pool.js';

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
