import type { ExecutionRow } from '../../db/schema/index.js';
import { iso } from '../http/responses.js';

export function toExecutionResponse(execution: ExecutionRow) {
  return {
    id: execution.id,
    scheduled_task_id: execution.scheduledTaskId,
    connection_id: execution.connectionId,
    task_type: execution.taskType,
    trigger: execution.trigger,
    status: execution.status,
    scheduled_for: iso(execution.scheduledFor),
    queued_at: iso(execution.createdAt),
    started_at: iso(execution.startedAt),
    completed_at: iso(execution.completedAt),
    attempts: execution.attempts,
    result: execution.result,
    error_message: execution.errorMessage,
  };
}
