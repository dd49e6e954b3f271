import { getDb, type Db } from '../../db/client.js';
import { claimExecution, finishExecution, type ClaimedExecution, type ExecutionOutcome } from '../../db/queries/executions.js';
import { runAnalysis } from '../analyses/index.js';
import type { ReviewResult, TaskParams, TaskType } from '../analyses/types.js';
import { describeTargetError } from '../analyses/target-connection.js';
import { targetOptionsFor } from '../connections/target-options.js';
import { env } from '../env.js';
import { log } from '../log/logger.js';
import type { TargetConnections } from './target-connections.js';

export type ExecutionReport =
  | { id: number; outcome: 'completed' | 'failed'; durationMs: number }
  | { id: number; outcome: 'not_claimed' | 'superseded' };

/**
 * Claims one queued execution, runs its analysis and records the outcome. Returns `not_claimed`
 * when the id is not (or no longer) queued: another consumer has it, or it was cancelled.
 * With `targets`, the review borrows an open connection to its database instead of opening one.
 */
export async function runExecution(id: number, db: Db = getDb(), targets?: TargetConnections): Promise<ExecutionReport> {
  const claimed = await claimExecution(db, id, env().RUNNING_GRACE_SECONDS);
  if (!claimed) {
    log.info('execution not run: it is not queued (already taken, cancelled or missing)', { executionId: id });
    return { id, outcome: 'not_claimed' };
  }
  const { execution } = claimed;
  const started = performance.now();
  log.info('execution started', { executionId: id, taskId: execution.scheduledTaskId, taskType: execution.taskType, attempt: execution.attempts });

  const outcome = await analyse(claimed, targets);
  const recorded = await finishExecution(db, id, execution.attempts, outcome);
  const durationMs = Math.round(performance.now() - started);
  if (!recorded) {
    log.warn('execution outcome discarded: the attempt was given up by the tick meanwhile', { executionId: id, attempt: execution.attempts });
    return { id, outcome: 'superseded' };
  }
  log.info('execution finished', { executionId: id, status: outcome.status, durationMs, error: outcome.errorMessage ?? undefined });
  return { id, outcome: outcome.status, durationMs };
}

async function analyse({ execution, connection, previous }: ClaimedExecution, targets: TargetConnections | undefined): Promise<ExecutionOutcome> {
  const params = execution.taskParams as unknown as TaskParams;
  try {
    if (!connection) return failed(`Connection ${execution.connectionId} no longer exists`);
    const input = {
      taskType: execution.taskType as TaskType,
      params,
      target: targetOptionsFor(connection, params.query_timeout),
      previous: previous ? { executionId: previous.id, result: previous.result as Partial<ReviewResult> } : null,
    };
    const result: ReviewResult = targets ? await targets.use(connection, input.target, (sql) => runAnalysis({ ...input, sql })) : await runAnalysis(input);
    return { status: 'completed', result: result as unknown as Record<string, unknown>, errorMessage: null };
  } catch (error) {
    return failed(describeTargetError(error));
  }
}

const failed = (errorMessage: string): ExecutionOutcome => ({ status: 'failed', result: null, errorMessage });
