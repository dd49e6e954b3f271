import { beforeAll, describe, expect, it } from 'vitest';
import { handler as createTask } from '../../functions/tasks/create.js';
import { handler as deleteTask } from '../../functions/tasks/delete.js';
import { handler as getTask } from '../../functions/tasks/get.js';
import { handler as listTasks } from '../../functions/tasks/list.js';
import { handler as updateTask } from '../../functions/tasks/update.js';
import { handler as listExecutions } from '../../functions/executions/list.js';
import { handler as queueTask } from '../../functions/tasks/queue.js';
import { sql } from 'drizzle-orm';
import { getDb } from '../../db/client.js';
import { observeQueries, serviceClient } from '../../bench/support/query-observer.js';
import { apiEvent, call } from '../helpers/api.js';
import { query } from '../helpers/service-db.js';
import { createLocalConnection, createTaskVia, customSqlTask } from '../helpers/factories.js';

let connectionId: number;
beforeAll(async () => {
  connectionId = (await createLocalConnection()).id;
});

const post = (body: unknown) => call(createTask, apiEvent('POST', '/api/v1/scheduler/tasks', { body }));
const put = (id: number | string, body: unknown) =>
  call(updateTask, apiEvent('PUT', `/api/v1/scheduler/tasks/${id}`, { body, path: { task_id: String(id) } }));
const get = (id: number | string) =>
  call(getTask, apiEvent('GET', `/api/v1/scheduler/tasks/${id}`, { path: { task_id: String(id) } }));

describe('POST /scheduler/tasks', () => {
  it('creates the spec example task with defaults filled and the next run computed', async () => {
    const response = await post(
      customSqlTask(connectionId, {
        task_params: {
          custom_sql: "SELECT usename, count(*) FROM pg_stat_activity WHERE state = 'active' GROUP BY usename;",
          analysis_target: 'security',
        },
      }),
    );
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({
      id: expect.any(Number),
      name: 'Daily Security Check',
      task_type: 'custom_sql',
      connection_id: connectionId,
      cron_schedule: '0 2 * * *',
      timezone: 'UTC',
      description: null,
      is_active: true,
      last_run_at: null,
      last_error: null,
      task_params: { analysis_target: 'security', query_timeout: 300, output_format: 'json' },
    });
    const next = new Date(response.body.next_run_at);
    expect(next.getUTCHours()).toBe(2);
    expect(next.getUTCMinutes()).toBe(0);
    expect(next.getTime()).toBeGreaterThan(Date.now());
    expect(next.getTime() - Date.now()).toBeLessThanOrEqual(24 * 3600_000);
    expect(response.body.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('fills the default analysis target for each task type', async () => {
    const task = await createTaskVia({
      name: 't',
      task_type: 'table_analysis',
      connection_id: connectionId,
      cron_schedule: '@daily',
    });
    expect(task.task_params.analysis_target).toBe('tables');
  });

  it('refuses an analysis target that does not fit the task type and lists the valid ones', async () => {
    const response = await post({
      name: 't',
      task_type: 'log_analysis',
      connection_id: connectionId,
      cron_schedule: '@daily',
      task_params: { analysis_target: 'tables' },
    });
    expect(response.status).toBe(400);
    expect(response.body.detail).toContain('valid: logs, security');
    expect(response.body.errors).toEqual([
      { path: 'task_params.analysis_target', message: expect.stringContaining('not valid for task_type log_analysis') },
    ]);
  });

  it('refuses a custom_sql task without SQL', async () => {
    const response = await post({
      name: 't',
      task_type: 'custom_sql',
      connection_id: connectionId,
      cron_schedule: '@daily',
      task_params: {},
    });
    expect(response.status).toBe(400);
    expect(response.body.errors[0].path).toBe('task_params.custom_sql');
  });

  it('refuses custom SQL that writes, with the reason', async () => {
    const response = await post(customSqlTask(connectionId, { task_params: { custom_sql: 'delete from pg_class' } }));
    expect(response.status).toBe(400);
    expect(response.body.errors[0]).toMatchObject({
      path: 'task_params.custom_sql',
      message: expect.stringMatching(/DELETE/i),
    });
  });

  it('names every unknown field, at the top level and in task_params', async () => {
    const response = await post({ ...customSqlTask(connectionId), colour: 'red' });
    expect(response.status).toBe(400);
    expect(response.body.errors).toContainEqual({ path: 'colour', message: 'Unknown field "colour"' });
    const nested = await post(customSqlTask(connectionId, { task_params: { custom_sql: 'select 1', retries: 3 } }));
    expect(nested.status).toBe(400);
    expect(nested.body.errors).toContainEqual({ path: 'task_params.retries', message: 'Unknown field "retries"' });
  });

  it('refuses a seconds field in the cron schedule, saying why', async () => {
    const response = await post(customSqlTask(connectionId, { cron_schedule: '*/10 * * * * *' }));
    expect(response.status).toBe(400);
    expect(response.body.errors[0]).toEqual({
      path: 'cron_schedule',
      message: expect.stringContaining('seconds field is not supported'),
    });
  });

  it('refuses an invalid cron expression, an unknown macro and an unknown time zone', async () => {
    expect((await post(customSqlTask(connectionId, { cron_schedule: '61 * * * *' }))).status).toBe(400);
    expect((await post(customSqlTask(connectionId, { cron_schedule: '@reboot' }))).body.errors[0].message).toContain(
      'Unknown cron macro',
    );
    const zone = await post(customSqlTask(connectionId, { timezone: 'Mars/Olympus' }));
    expect(zone.status).toBe(400);
    expect(zone.body.errors[0].path).toBe('timezone');
  });

  it('refuses a query_timeout below 1 second', async () => {
    const response = await post(
      customSqlTask(connectionId, { task_params: { custom_sql: 'select 1', query_timeout: 0 } }),
    );
    expect(response.status).toBe(400);
    expect(response.body.errors[0].path).toBe('task_params.query_timeout');
  });

  it('refuses a query_timeout longer than one consumer invocation can finish, naming the bound', async () => {
    const bound =
      'query_timeout must be at most 540 s: what one consumer invocation can finish (its 900 s timeout less ' +
      'the 360 s it keeps in reserve)';
    for (const query_timeout of [541, 3600]) {
      const response = await post(
        customSqlTask(connectionId, { task_params: { custom_sql: 'select 1', query_timeout } }),
      );
      expect(response.status).toBe(400);
      expect(response.body.errors).toEqual(
        query_timeout > 900
          ? [{ path: 'task_params.query_timeout', message: expect.stringMatching(/900/) }]
          : [{ path: 'task_params.query_timeout', message: bound }],
      );
    }
    const longest = await post(
      customSqlTask(connectionId, { task_params: { custom_sql: 'select 1', query_timeout: 540 } }),
    );
    expect(longest.status).toBe(201);
    const raised = await put(longest.body.id, { task_params: { query_timeout: 541 } });
    expect(raised.status).toBe(400);
    expect(raised.body.detail).toBe(`Invalid request body: task_params.query_timeout: ${bound}`);
  });

  it('refuses a connection that does not exist', async () => {
    const response = await post(customSqlTask(999999));
    expect(response.status).toBe(400);
    expect(response.body.detail).toBe('connection_id 999999 does not exist');
  });

  it('answers malformed JSON and wrong types with 400, not 500', async () => {
    const bad = await call(createTask, apiEvent('POST', '/api/v1/scheduler/tasks', { rawBody: '{"name": ' }));
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({ detail: 'Request body is missing or is not valid JSON' });
    const wrong = await post({ ...customSqlTask(connectionId), connection_id: 'one' });
    expect(wrong.status).toBe(400);
    expect(wrong.body.errors[0].path).toBe('connection_id');
  });

  it('refuses a body that is not JSON with 415', async () => {
    const response = await call(
      createTask,
      apiEvent('POST', '/api/v1/scheduler/tasks', {
        rawBody: 'name=x',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }),
    );
    expect(response.status).toBe(415);
    expect(response.body.detail).toContain('Content-Type: application/json');
  });
});

describe('GET /scheduler/tasks', () => {
  it('lists tasks and filters by is_active', async () => {
    const active = await createTaskVia(customSqlTask(connectionId, { name: 'active one' }));
    const inactive = await createTaskVia(customSqlTask(connectionId, { name: 'inactive one', is_active: false }));
    expect(inactive.next_run_at).toBeNull();
    const onlyActive = await call(
      listTasks,
      apiEvent('GET', '/api/v1/scheduler/tasks', { query: { is_active: 'true' } }),
    );
    expect(onlyActive.status).toBe(200);
    const ids = onlyActive.body.map((t: { id: number }) => t.id);
    expect(ids).toContain(active.id);
    expect(ids).not.toContain(inactive.id);
    const onlyInactive = await call(
      listTasks,
      apiEvent('GET', '/api/v1/scheduler/tasks', { query: { is_active: 'false' } }),
    );
    expect(onlyInactive.body.map((t: { id: number }) => t.id)).toEqual([inactive.id]);
  });

  it('pages by id with limit and after_id when asked, and lists everything otherwise', async () => {
    const all = (await call(listTasks, apiEvent('GET', '/api/v1/scheduler/tasks'))).body.map(
      (t: { id: number }) => t.id,
    );
    expect(all.length).toBeGreaterThanOrEqual(3);
    const first = await call(listTasks, apiEvent('GET', '/api/v1/scheduler/tasks', { query: { limit: '2' } }));
    expect(first.body.map((t: { id: number }) => t.id)).toEqual(all.slice(0, 2));
    const next = await call(
      listTasks,
      apiEvent('GET', '/api/v1/scheduler/tasks', { query: { limit: '2', after_id: String(all[1]) } }),
    );
    expect(next.body.map((t: { id: number }) => t.id)).toEqual(all.slice(2, 4));
    expect((await call(listTasks, apiEvent('GET', '/api/v1/scheduler/tasks', { query: { limit: '0' } }))).status).toBe(
      400,
    );
  });

  it(
    'shows every change since the previous listing, whoever made it, reading only changed rows, and answers an ' +
      'unchanged list with one statement',
    async () => {
      type Listed = { id: number; name: string; next_run_at: string | null; is_active: boolean };
      const list = async (query?: Record<string, string>): Promise<Listed[]> =>
        (await call(listTasks, apiEvent('GET', '/api/v1/scheduler/tasks', { query }))).body;
      const find = (tasks: Listed[], id: number) => tasks.find((task) => task.id === id);
      const edited = await createTaskVia(customSqlTask(connectionId, { name: 'to be renamed' }));
      const removed = await createTaskVia(customSqlTask(connectionId, { name: 'to be deleted' }));
      const first = await list();

      const observer = observeQueries(serviceClient(getDb()));
      const unchanged = await observer.capture(() => list());
      expect(unchanged.result).toEqual(first);
      expect(unchanged.statements).toHaveLength(1);

      await put(edited.id, { name: 'renamed' });
      // The fingerprint differs, the versions tell which row moved, and only that row is read.
      const renamed = await observer.capture(() => list());
      expect(find(renamed.result, edited.id)?.name).toBe('renamed');
      expect(renamed.statements).toHaveLength(3);
      expect(renamed.statements[2].parameters).toEqual([`{${edited.id}}`]);
      // As the tick moves a task's next run: a change made outside the API.
      await query(sql`update scheduled_tasks set next_run_at = '2030-01-01T00:00:00Z' where id = ${edited.id}`);
      expect(find(await list(), edited.id)?.next_run_at).toBe('2030-01-01T00:00:00.000Z');
      expect(
        (
          await call(
            deleteTask,
            apiEvent('DELETE', `/api/v1/scheduler/tasks/${removed.id}`, { path: { task_id: String(removed.id) } }),
          )
        ).status,
      ).toBe(204);
      expect(find(await list(), removed.id)).toBeUndefined();
      const added = await createTaskVia(customSqlTask(connectionId, { name: 'added' }));
      const afterAll = await list();
      expect(find(afterAll, added.id)?.name).toBe('added');
      expect(afterAll.map((task) => task.id)).toEqual([
        ...first.map((task) => task.id).filter((id) => id !== removed.id),
        added.id,
      ]);

      // Each filter has its own listing: pausing a task moves it from one to the other.
      expect(find(await list({ is_active: 'true' }), edited.id)).toBeDefined();
      expect(find(await list({ is_active: 'false' }), edited.id)).toBeUndefined();
      await put(edited.id, { is_active: false });
      expect(find(await list({ is_active: 'true' }), edited.id)).toBeUndefined();
      expect(find(await list({ is_active: 'false' }), edited.id)?.is_active).toBe(false);
    },
  );

  it('tags the list with an ETag and answers If-None-Match with 304 and no body until a listed task changes', async () => {
    const task = await createTaskVia(customSqlTask(connectionId, { name: 'tagged' }));
    const listWith = (headers: Record<string, string>) =>
      call(listTasks, apiEvent('GET', '/api/v1/scheduler/tasks', { headers }));
    const first = await listWith({});
    const etag = first.headers.etag;
    expect(etag).toMatch(/^"[0-9a-f]{32}"$/);

    const unchanged = await listWith({ 'if-none-match': etag });
    expect(unchanged).toEqual({ status: 304, headers: { etag }, body: undefined });
    expect((await listWith({ 'if-none-match': `"something else", W/${etag}` })).status).toBe(304);
    expect((await listWith({ 'if-none-match': '"something else"' })).status).toBe(200);

    await put(task.id, { description: 'changed' });
    const changed = await listWith({ 'if-none-match': etag });
    expect(changed.status).toBe(200);
    expect(changed.headers.etag).not.toBe(etag);
    expect(changed.body.find((t: { id: number }) => t.id === task.id).description).toBe('changed');
  });

  it('refuses an is_active filter that is not true or false', async () => {
    const response = await call(listTasks, apiEvent('GET', '/api/v1/scheduler/tasks', { query: { is_active: 'yes' } }));
    expect(response.status).toBe(400);
    expect(response.body.errors[0]).toEqual({ path: 'is_active', message: 'is_active must be true or false' });
  });
});

describe('GET /scheduler/tasks/{task_id}', () => {
  it('returns the task, 404 for an unknown id and 400 for a non-numeric one', async () => {
    const task = await createTaskVia(customSqlTask(connectionId));
    expect((await get(task.id)).body.id).toBe(task.id);
    expect(await get(987654)).toEqual({
      status: 404,
      headers: expect.any(Object),
      body: { detail: 'Task 987654 not found' },
    });
    const bad = await get('abc');
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([{ path: 'task_id', message: 'task_id must be a positive integer' }]);
  });
});

describe('PUT /scheduler/tasks/{task_id}', () => {
  it('changes only the fields sent and recomputes next_run_at when the schedule changes', async () => {
    const task = await createTaskVia(customSqlTask(connectionId, { description: 'kept' }));
    const response = await put(task.id, { cron_schedule: '30 5 * * *', timezone: 'Asia/Tokyo' });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      description: 'kept',
      cron_schedule: '30 5 * * *',
      timezone: 'Asia/Tokyo',
      name: 'Daily Security Check',
    });
    const next = new Date(response.body.next_run_at);
    // 05:30 in Tokyo (UTC+9, no DST) is 20:30 UTC.
    expect([next.getUTCHours(), next.getUTCMinutes()]).toEqual([20, 30]);
    expect(new Date(response.body.updated_at).getTime()).toBeGreaterThanOrEqual(
      new Date(response.body.created_at).getTime(),
    );
  });

  it('clears next_run_at when deactivated and sets it again when reactivated', async () => {
    const task = await createTaskVia(customSqlTask(connectionId));
    expect((await put(task.id, { is_active: false })).body.next_run_at).toBeNull();
    expect((await put(task.id, { is_active: true })).body.next_run_at).not.toBeNull();
  });

  it('merges task_params, removing a key set to null, and validates the result', async () => {
    const task = await createTaskVia(
      customSqlTask(connectionId, { task_params: { custom_sql: 'select 1', target_tables: ['a'] } }),
    );
    const response = await put(task.id, { task_params: { query_timeout: 60, target_tables: null } });
    expect(response.status).toBe(200);
    expect(response.body.task_params).toMatchObject({ custom_sql: 'select 1', query_timeout: 60 });
    expect(response.body.task_params).not.toHaveProperty('target_tables');
    expect((await put(task.id, { task_params: { custom_sql: null } })).status).toBe(400);
  });

  it('says that task_type and connection_id cannot be changed', async () => {
    const task = await createTaskVia(customSqlTask(connectionId));
    const response = await put(task.id, { task_type: 'log_analysis', connection_id: 2 });
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([
      { path: 'task_type', message: 'task_type cannot be changed after a task is created; create a new task instead' },
      {
        path: 'connection_id',
        message: 'connection_id cannot be changed after a task is created; create a new task instead',
      },
    ]);
  });

  it('keeps next_run_at when the schedule fields are sent unchanged', async () => {
    const task = await createTaskVia(customSqlTask(connectionId));
    const response = await put(task.id, {
      cron_schedule: '0 2 * * *',
      timezone: 'UTC',
      is_active: true,
      name: 'renamed',
    });
    expect(response.body).toMatchObject({ name: 'renamed', next_run_at: task.next_run_at });
  });

  it('answers 404 for an unknown task', async () => {
    expect((await put(424242, { name: 'x' })).status).toBe(404);
  });
});

describe('DELETE /scheduler/tasks/{task_id}', () => {
  it('deletes the task, keeps its history and cancels its queued runs', async () => {
    const task = await createTaskVia(customSqlTask(connectionId));
    const queued = await call(
      queueTask,
      apiEvent('POST', `/api/v1/scheduler/tasks/${task.id}/queue`, { path: { task_id: String(task.id) } }),
    );
    const removed = await call(
      deleteTask,
      apiEvent('DELETE', `/api/v1/scheduler/tasks/${task.id}`, { path: { task_id: String(task.id) } }),
    );
    expect(removed.status).toBe(204);
    expect((await get(task.id)).status).toBe(404);
    const history = await call(
      listExecutions,
      apiEvent('GET', '/api/v1/scheduler/executions', { query: { connection_id: String(connectionId) } }),
    );
    const execution = history.body.find((e: { id: number }) => e.id === queued.body.execution_id);
    expect(execution).toMatchObject({
      scheduled_task_id: null,
      connection_id: connectionId,
      task_type: 'custom_sql',
      status: 'cancelled',
    });
    const again = await call(
      deleteTask,
      apiEvent('DELETE', `/api/v1/scheduler/tasks/${task.id}`, { path: { task_id: String(task.id) } }),
    );
    expect(again.status).toBe(404);
  });
});
