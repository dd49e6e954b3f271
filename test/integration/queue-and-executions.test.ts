import { beforeAll, describe, expect, it } from 'vitest';
import { handler as getExecution } from '../../functions/executions/get.js';
import { handler as listExecutions } from '../../functions/executions/list.js';
import { handler as queueStatus } from '../../functions/queue/status.js';
import { handler as stats } from '../../functions/stats/get.js';
import { handler as queueTask } from '../../functions/tasks/queue.js';
import { handler as runTask } from '../../functions/tasks/run.js';
import { runTick } from '../../lib/scheduling/tick.js';
import { handler as consumer } from '../../functions/scheduler/consumer.js';
import { getRedis } from '../../lib/queue/redis.js';
import { apiEvent, call } from '../helpers/api.js';
import { fetchExecution } from '../helpers/review-now.js';
import { createLocalConnection, createTaskVia, customSqlTask } from '../helpers/factories.js';
import { withoutConsumerStarts } from '../helpers/environment.js';
import { clearQueue, processingKey, queueName, queuedIds } from '../helpers/queue.js';

// Nothing listens on the Lambda port here: every consumer start fails, so the test drives the
// consumer itself and sees what happens to executions when it cannot be started.
withoutConsumerStarts();

let connectionId: number;
beforeAll(async () => {
  connectionId = (await createLocalConnection()).id;
});

const taskPath = (id: number | string, action: string) =>
  apiEvent('POST', `/api/v1/scheduler/tasks/${id}/${action}`, { path: { task_id: String(id) } });

describe('POST /scheduler/tasks/{id}/run when the consumer cannot be started', () => {
  it('still answers, keeps the execution queued, and the next tick puts it on the queue', async () => {
    await clearQueue();
    const task = await createTaskVia(customSqlTask(connectionId));
    const response = await call(runTask, taskPath(task.id, 'run'));
    expect(response.status).toBe(200);
    expect((await fetchExecution(response.body.execution_id)).status).toBe('queued');
    await runTick();
    expect(await queuedIds()).toContain(String(response.body.execution_id));
    await consumer({});
    expect((await fetchExecution(response.body.execution_id)).status).toBe('completed');
  });
});

describe('POST /scheduler/tasks/{id}/queue and the consumer', () => {
  it('puts an execution on the Redis queue, shows it in queue/status, and the consumer drains it', async () => {
    await clearQueue();
    const task = await createTaskVia(customSqlTask(connectionId));
    const response = await call(queueTask, taskPath(task.id, 'queue'));
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      message: `Задача ${task.id} добавлена в очередь`,
      task_id: task.id,
      execution_id: expect.any(Number),
    });
    expect(await queuedIds()).toEqual([String(response.body.execution_id)]);
    const status = await call(queueStatus, apiEvent('GET', '/api/v1/scheduler/queue/status'));
    expect(status.status).toBe(200);
    expect(status.body).toEqual({ queue_length: 1, timestamp: expect.stringMatching(/Z$/) });

    const report = await consumer({});
    expect(report).toMatchObject({ completed: 1, failed: 0 });
    expect((await fetchExecution(response.body.execution_id)).status).toBe('completed');
    expect(await queuedIds()).toEqual([]);
  });

  it('drops entries that are not execution ids or have no row, and goes on draining', async () => {
    await clearQueue();
    const task = await createTaskVia(customSqlTask(connectionId));
    await getRedis().rpush(queueName(), 'not-a-number', '999999999');
    const queued = await call(queueTask, taskPath(task.id, 'queue'));
    const report = await consumer({});
    expect(report).toMatchObject({ completed: 1, dropped: 1, notClaimed: 1 });
    expect((await fetchExecution(queued.body.execution_id)).status).toBe('completed');
    expect(await getRedis().llen(processingKey())).toBe(0);
  });

  it('runs an id pushed twice only once', async () => {
    await clearQueue();
    const task = await createTaskVia(customSqlTask(connectionId));
    const queued = await call(queueTask, taskPath(task.id, 'queue'));
    await getRedis().rpush(queueName(), String(queued.body.execution_id));
    const report = await consumer({});
    expect(report).toMatchObject({ completed: 1, notClaimed: 1 });
    expect((await fetchExecution(queued.body.execution_id)).attempts).toBe(1);
  });
});

describe('GET /scheduler/executions', () => {
  it('lists newest first with the spec filters, task_id and limit', async () => {
    const task = await createTaskVia(customSqlTask(connectionId));
    const first = await call(queueTask, taskPath(task.id, 'queue'));
    const second = await call(queueTask, taskPath(task.id, 'queue'));
    const list = await call(
      listExecutions,
      apiEvent('GET', '/api/v1/scheduler/executions', {
        query: {
          task_id: String(task.id),
          task_type: 'custom_sql',
          status_filter: 'queued',
          connection_id: String(connectionId),
        },
      }),
    );
    expect(list.status).toBe(200);
    expect(list.body.map((e: { id: number }) => e.id)).toEqual([second.body.execution_id, first.body.execution_id]);
    const limited = await call(
      listExecutions,
      apiEvent('GET', '/api/v1/scheduler/executions', { query: { task_id: String(task.id), limit: '1' } }),
    );
    expect(limited.body).toHaveLength(1);
  });

  it('refuses a bad limit, an unknown status and a non-numeric filter', async () => {
    const limit = await call(
      listExecutions,
      apiEvent('GET', '/api/v1/scheduler/executions', { query: { limit: '5000' } }),
    );
    expect(limit.status).toBe(400);
    expect(limit.body.errors[0]).toEqual({ path: 'limit', message: 'limit must be between 1 and 1000' });
    const status = await call(
      listExecutions,
      apiEvent('GET', '/api/v1/scheduler/executions', { query: { status_filter: 'done' } }),
    );
    expect(status.body.errors[0].message).toContain('status_filter must be one of queued, running, completed, failed');
    expect(
      (await call(listExecutions, apiEvent('GET', '/api/v1/scheduler/executions', { query: { connection_id: 'x' } })))
        .status,
    ).toBe(400);
  });

  it('answers 404 for an unknown execution', async () => {
    const response = await call(
      getExecution,
      apiEvent('GET', '/api/v1/scheduler/executions/123456789', { path: { execution_id: '123456789' } }),
    );
    expect(response).toMatchObject({ status: 404, body: { detail: 'Execution 123456789 not found' } });
  });
});

describe('GET /scheduler/stats', () => {
  it('counts tasks and the last 24 hours of executions in the documented shape', async () => {
    const read = async () => (await call(stats, apiEvent('GET', '/api/v1/scheduler/stats'))).body;
    const before = await read();
    await createTaskVia(customSqlTask(connectionId, { is_active: false }));
    const unreachable = await createLocalConnection({ port: 1, name: 'stats: nothing listens' });
    const failing = await createTaskVia(customSqlTask(unreachable.id));
    const working = await createTaskVia(customSqlTask(connectionId));
    await clearQueue();
    await call(queueTask, taskPath(failing.id, 'queue'));
    await call(queueTask, taskPath(working.id, 'queue'));
    await consumer({});
    const after = await read();

    expect(Object.keys(after).sort()).toEqual(['executions_24h', 'tasks', 'timestamp']);
    expect(after.tasks).toEqual({
      total_tasks: before.tasks.total_tasks + 3,
      active_tasks: before.tasks.active_tasks + 2,
      inactive_tasks: before.tasks.inactive_tasks + 1,
    });
    expect(after.executions_24h).toEqual({
      total_executions: before.executions_24h.total_executions + 2,
      completed: before.executions_24h.completed + 1,
      failed: before.executions_24h.failed + 1,
      running: 0,
    });
    expect(after.timestamp).toMatch(/^\d{4}-\d\d-\d\dT.*Z$/);
  });
});
