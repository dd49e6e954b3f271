import type { ExecutionRow, TaskRow } from '../../db/schema/index.js';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function toTaskResponse(task: TaskRow) {
  return {
    id: task.id,
    name: task.name,
    task_type: task.taskType,
    connection_id: task.connectionId,
    cron_schedule: task.cronSchedule,
    timezone: task.timezone,
    description: task.description,
    task_params: task.taskParams,
    is_active: task.isActive,
    next_run_at: iso(task.nextRunAt),
    last_run_at: iso(task.lastRunAt),
    created_at: iso(task.createdAt),
    updated_at: iso(task.updatedAt),
  };
}

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
