import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as runTask } from '../../functions/tasks/run.js';
import { apiEvent, call } from '../helpers/api.js';
import { fetchExecution } from '../helpers/review-now.js';
import { createLocalConnection, createTaskVia, customSqlTask } from '../helpers/factories.js';
import { startLambdaEndpoint } from '../helpers/lambda-endpoint.js';
import { TEST_CONSUMER_FUNCTION } from '../helpers/environment.js';

let lambda: Awaited<ReturnType<typeof startLambdaEndpoint>>;
let connectionId: number;

beforeAll(async () => {
  lambda = await startLambdaEndpoint();
  connectionId = (await createLocalConnection()).id;
});
afterAll(async () => {
  await lambda.idle();
  await lambda.close();
});

const taskPath = (id: number | string, action: string) =>
  apiEvent('POST', `/api/v1/scheduler/tasks/${id}/${action}`, { path: { task_id: String(id) } });

describe('POST /scheduler/tasks/{id}/run', () => {
  it('starts the task at once and records a completed execution with the rows of its SQL', async () => {
    const task = await createTaskVia(
      customSqlTask(connectionId, { task_params: { custom_sql: "select 42::int8 as answer, 'ok' as word" } }),
    );
    const response = await call(runTask, taskPath(task.id, 'run'));
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ message: 'Задача запущена', execution_id: expect.any(Number) });

    await lambda.idle();
    const done = await fetchExecution(response.body.execution_id);
    expect(done).toMatchObject({
      id: response.body.execution_id,
      scheduled_task_id: task.id,
      connection_id: connectionId,
      task_type: 'custom_sql',
      trigger: 'manual',
      status: 'completed',
      error_message: null,
      attempts: 1,
    });
    expect(new Date(done.completed_at).getTime()).toBeGreaterThanOrEqual(new Date(done.started_at).getTime());
    expect(done.result.data).toMatchObject({ rows: [['42', 'ok']], row_count: 1, truncated: false });
    expect(done.result.data.columns.map((c: { name: string }) => c.name)).toEqual(['answer', 'word']);
    expect(lambda.invocations.at(-1)).toMatchObject({
      path: `/2015-03-31/functions/${TEST_CONSUMER_FUNCTION}/invocations`,
      type: 'Event',
      payload: { executionIds: [response.body.execution_id] },
    });
  });

  it('refuses an inactive task with 400 and a 404 for an unknown one', async () => {
    const task = await createTaskVia(customSqlTask(connectionId, { is_active: false }));
    const inactive = await call(runTask, taskPath(task.id, 'run'));
    expect(inactive.status).toBe(400);
    expect(inactive.body.detail).toContain('inactive');
    expect((await call(runTask, taskPath(777777, 'run'))).status).toBe(404);
  });

  it('fails the execution with a readable reason when the target refuses the connection', async () => {
    const unreachable = await createLocalConnection({ port: 1, name: 'nothing listens here' });
    const task = await createTaskVia(customSqlTask(unreachable.id));
    const response = await call(runTask, taskPath(task.id, 'run'));
    await lambda.idle();
    const failed = await fetchExecution(response.body.execution_id);
    expect(failed.status).toBe('failed');
    expect(failed.error_message).toMatch(/connection refused/i);
    expect(failed.result).toBeNull();
  });

  it('fails the execution with the server message when the target database does not exist', async () => {
    const missing = await createLocalConnection({ database: 'no_such_database_here', name: 'missing db' });
    const task = await createTaskVia(customSqlTask(missing.id));
    const response = await call(runTask, taskPath(task.id, 'run'));
    await lambda.idle();
    const failed = await fetchExecution(response.body.execution_id);
    expect(failed).toMatchObject({
      status: 'failed',
      error_message: expect.stringContaining('"no_such_database_here" does not exist'),
    });
  });
});
