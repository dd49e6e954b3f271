import { getDb } from '../../db/client.js';
import { findExecution, selectExecutions } from '../../db/queries/executions.js';
import type { ExecutionRow } from '../../db/schema/index.js';
import { notFound } from '../http/errors.js';
import { notificationsOfExecution } from '../notifications/deliveries.js';
import { toExecutionResponse } from './execution-response.js';
import type { ListExecutionsQuery } from './execution-schemas.js';

export async function listExecutions(query: ListExecutionsQuery): Promise<ExecutionRow[]> {
  return selectExecutions(getDb(), {
    connectionId: query.connection_id,
    taskId: query.task_id,
    taskType: query.task_type,
    status: query.status_filter,
    limit: query.limit,
  });
}

export async function getExecution(id: number): Promise<ExecutionRow> {
  const row = await findExecution(getDb(), id);
  if (!row) throw notFound(`Execution ${id}`);
  return row;
}

/** One execution as `GET /executions/{id}` shows it: with the notifications it caused. */
export async function getExecutionWithNotifications(id: number) {
  const [row, notifications] = await Promise.all([getExecution(id), notificationsOfExecution(id)]);
  return { ...toExecutionResponse(row), notifications };
}
