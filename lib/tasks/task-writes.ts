import { getDb } from '../../db/client.js';
import { findConnection } from '../../db/queries/connections.js';
import {
  cancelQueuedRuns,
  databaseNow,
  insertTask,
  lockTask,
  updateTaskRow,
  type NewTask,
} from '../../db/queries/tasks.js';
import type { TaskRow } from '../../db/schema/index.js';
import { checkCustomSql } from '../analyses/custom-sql/check-custom-sql.js';
import type { TaskParams, TaskType } from '../analyses/types.js';
import { invalid, invalidFields, notFound } from '../http/errors.js';
import { nextRunAfter } from '../scheduling/cron.js';
import { parseTaskParams } from './task-params.js';
import type { CreateTaskBody, UpdateTaskBody } from './task-schemas.js';

// Creating and changing tasks needs the cron parser and the params rules; only the create and
// update handlers import this module, so the other task endpoints start without them.

export async function createTask(body: CreateTaskBody): Promise<TaskRow> {
  const db = getDb();
  const params = await validParams(body.task_type, body.task_params);
  if (!(await findConnection(db, body.connection_id))) {
    throw invalid(`connection_id ${body.connection_id} does not exist`, [
      { path: 'connection_id', message: 'no connection with this id' },
    ]);
  }
  const now = await databaseNow(db);
  return insertTask(db, {
    name: body.name,
    taskType: body.task_type,
    connectionId: body.connection_id,
    cronSchedule: body.cron_schedule,
    timezone: body.timezone,
    description: body.description ?? null,
    taskParams: params as unknown as Record<string, unknown>,
    isActive: body.is_active,
    nextRunAt: body.is_active ? nextRunAfter(body.cron_schedule, body.timezone, now) : null,
  });
}

/** Partial update; the schedule is recomputed when cron_schedule, timezone or is_active change. */
export async function updateTask(id: number, body: UpdateTaskBody): Promise<TaskRow> {
  return getDb().transaction(async (tx) => {
    const task = await lockTask(tx, id);
    if (!task) throw notFound(`Task ${id}`);
    const changes: Partial<NewTask> = {};
    if (body.name !== undefined) changes.name = body.name;
    if (body.description !== undefined) changes.description = body.description;
    if (body.cron_schedule !== undefined) changes.cronSchedule = body.cron_schedule;
    if (body.timezone !== undefined) changes.timezone = body.timezone;
    if (body.is_active !== undefined) changes.isActive = body.is_active;
    if (body.task_params !== undefined) {
      const merged = mergeParams(task.taskParams, body.task_params);
      changes.taskParams = (await validParams(task.taskType as TaskType, merged)) as unknown as Record<string, unknown>;
    }
    // Only a real change moves the schedule: re-sending the same values must not skip a slot that is due.
    const scheduleChanged =
      (body.cron_schedule !== undefined && body.cron_schedule !== task.cronSchedule) ||
      (body.timezone !== undefined && body.timezone !== task.timezone) ||
      (body.is_active !== undefined && body.is_active !== task.isActive);
    if (scheduleChanged) {
      const isActive = changes.isActive ?? task.isActive;
      const now = await databaseNow(tx);
      changes.nextRunAt = isActive
        ? nextRunAfter(changes.cronSchedule ?? task.cronSchedule, changes.timezone ?? task.timezone, now)
        : null;
      changes.lastError = null;
    }
    // Locked above, so a tick's claim of this task has committed: its run is cancelled here too.
    // Runs put on the queue by hand stay: `queue` accepts an inactive task on purpose.
    if (changes.isActive === false && task.isActive) {
      await cancelQueuedRuns(tx, id, 'Cancelled: the task was deactivated before this execution started', ['schedule']);
    }
    return updateTaskRow(tx, id, changes);
  });
}

async function validParams(taskType: TaskType, input: unknown): Promise<TaskParams> {
  const params = parseTaskParams(taskType, input);
  if (taskType === 'custom_sql' && params.custom_sql) {
    const check = await checkCustomSql(params.custom_sql);
    if (!check.ok) throw invalidFields('request body', [{ path: 'task_params.custom_sql', message: check.reason }]);
  }
  return params;
}

function mergeParams(stored: Record<string, unknown>, changes: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...stored, ...changes };
  for (const [key, value] of Object.entries(changes)) if (value === null) delete merged[key];
  return merged;
}
