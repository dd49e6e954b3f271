import { expect } from 'vitest';
import { handler as getExecution } from '../../functions/executions/get.js';
import { handler as consumer } from '../../functions/scheduler/consumer.js';
import { handler as queueTask } from '../../functions/tasks/queue.js';
import type { ReviewResult } from '../../lib/analyses/types.js';
import { apiEvent, call } from './api.js';
import { clearQueue } from './queue.js';

/** `POST /scheduler/tasks/{id}/queue`, as a client sends it. */
export const queueViaApi = (taskId: number) =>
  call(queueTask, apiEvent('POST', `/api/v1/scheduler/tasks/${taskId}/queue`, { path: { task_id: String(taskId) } }));

/** Queues one run of the task through the API, drains it with the consumer and returns the completed execution. */
export async function reviewNow(taskId: number): Promise<{ id: number; completed_at: string; result: ReviewResult }> {
  await clearQueue();
  const queued = await queueViaApi(taskId);
  expect(await consumer({})).toMatchObject({ completed: 1 });
  const id = queued.body.execution_id as number;
  const execution = await fetchExecution(id);
  expect(execution.status).toBe('completed');
  return { id, completed_at: execution.completed_at, result: execution.result };
}

/** The execution as `GET /scheduler/executions/{id}` answers it. */
export async function fetchExecution(id: number) {
  const response = await call(
    getExecution,
    apiEvent('GET', `/api/v1/scheduler/executions/${id}`, { path: { execution_id: String(id) } }),
  );
  return response.body;
}
