import type { TaskRow } from '../../db/schema/index.js';
import { iso } from '../http/responses.js';

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
    last_error: task.lastError,
    created_at: iso(task.createdAt),
    updated_at: iso(task.updatedAt),
  };
}
