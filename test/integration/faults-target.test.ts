import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as consumer } from '../../functions/scheduler/consumer.js';
import { handler as updateTask } from '../../functions/tasks/update.js';
import { handler as deleteTask } from '../../functions/tasks/delete.js';
import { runTick } from '../../lib/scheduling/tick.js';
import { apiEvent, call } from '../helpers/api.js';
import { queueViaApi } from '../helpers/review-now.js';
import { createLocalConnection, createTaskVia, customSqlTask } from '../helpers/factories.js';
import { executionsOf, makeTasksDue, query } from '../helpers/service-db.js';
import { targetPort } from '../helpers/target-db.js';
import { withoutConsumerStarts } from '../helpers/environment.js';
import { clearQueue } from '../helpers/queue.js';

withoutConsumerStarts();

let connectionId: number;
let admin: postgres.Sql;
beforeAll(async () => {
  connectionId = (await createLocalConnection()).id;
  admin = postgres(process.env.DATABASE_URL!, { max: 3, onnotice: () => {} });
  await admin`create table if not exists held (id int)`;
  await clearQueue();
});
afterAll(async () => {
  await admin.end();
});

/** Holds an exclusive lock on `held` so an execution reading it is mid-flight for as long as the test wants. */
async function holdLock() {
  const holder = await admin.reserve();
  await holder`begin`;
  await holder`lock table held in access exclusive mode`;
  return async () => {
    await holder`rollback`;
    holder.release();
  };
}

async function untilRunning(taskId: number) {
  const deadline = Date.now() + 20_000;
  while ((await executionsOf(taskId))[0]?.status !== 'running') {
    if (Date.now() > deadline) throw new Error('the execution never started');
    await new Promise((r) => setTimeout(r, 50));
  }
}

const reviewerBackends = () =>
  admin<{ pid: number; state: string }[]>`
    select pid, state from pg_stat_activity
     where application_name = 'pg-reviewer' and datname = current_database() and pid <> pg_backend_pid()`;

describe('faults on the reviewed database', () => {
  it('fails the execution with the reason when its connection is terminated mid-execution', async () => {
    const task = await createTaskVia(
      customSqlTask(connectionId, { task_params: { custom_sql: 'select count(*) from held', query_timeout: 30 } }),
    );
    const release = await holdLock();
    await queueViaApi(task.id);
    const drain = consumer({});
    await untilRunning(task.id);
    const [backend] = await reviewerBackends();
    await admin`select pg_terminate_backend(${backend.pid})`;
    await drain;
    await release();
    const [execution] = await executionsOf(task.id);
    expect(execution.status).toBe('failed');
    expect(execution.error_message).toMatch(
      /^(The connection to the target database was closed during the review|terminating connection due to administrator command)/,
    );
  });

  it('cancels an execution that exceeds query_timeout on the target and marks it failed', async () => {
    const task = await createTaskVia(
      customSqlTask(connectionId, { task_params: { custom_sql: 'select count(*) from held', query_timeout: 2 } }),
    );
    const release = await holdLock();
    await queueViaApi(task.id);
    const started = Date.now();
    await consumer({});
    const elapsed = Date.now() - started;
    const [execution] = await executionsOf(task.id);
    expect(execution.status).toBe('failed');
    expect(execution.error_message).toMatch(/query_timeout|statement timeout/);
    expect(elapsed).toBeLessThan(10_000);
    // Nothing of ours is left running on the target once the execution has failed.
    const deadline = Date.now() + 5_000;
    let left = await reviewerBackends();
    while (left.some((b) => b.state === 'active') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      left = await reviewerBackends();
    }
    expect(left.filter((b) => b.state === 'active')).toEqual([]);
    await release();
  });

  it('fails a review whose password is refused, readably, while the other tasks keep running', async () => {
    const wrong = await createLocalConnection({
      name: 'wrong password',
      port: targetPort,
      database: 'postgres',
      username: 'pgr_nobody',
      password: 'definitely-wrong',
    });
    const refused = await createTaskVia(customSqlTask(wrong.id));
    const fine = await createTaskVia(customSqlTask(connectionId));
    await queueViaApi(refused.id);
    await queueViaApi(fine.id);
    const report = await consumer({});
    expect(report).toMatchObject({ completed: 1, failed: 1 });
    const [failed] = await executionsOf(refused.id);
    expect(failed.status).toBe('failed');
    expect(failed.error_message).toMatch(/password authentication failed for user "pgr_nobody"/);
    expect(failed.error_message).not.toContain('definitely-wrong');
    expect((await executionsOf(fine.id))[0].status).toBe('completed');
  });
});

describe('tasks changed while an execution waits', () => {
  it('runs a queued execution with the params it was queued with when the task is edited meanwhile', async () => {
    const task = await createTaskVia(
      customSqlTask(connectionId, { task_params: { custom_sql: "select 'before' as v" } }),
    );
    await queueViaApi(task.id);
    const edited = await call(
      updateTask,
      apiEvent('PUT', `/x/${task.id}`, {
        path: { task_id: String(task.id) },
        body: { task_params: { custom_sql: "select 'after' as v" } },
      }),
    );
    expect(edited.status).toBe(200);
    await consumer({});
    const [execution] = await query<{ status: string; result: { data: { rows: unknown[][] } } }>(
      sql`select status, result from task_executions where scheduled_task_id = ${task.id}`,
    );
    expect(execution.status).toBe('completed');
    expect(execution.result.data.rows).toEqual([['before']]);
  });

  it('never runs a task deleted after its slot was pushed to the queue', async () => {
    const task = await createTaskVia(customSqlTask(connectionId, { cron_schedule: '* * * * *' }));
    await makeTasksDue([task.id], new Date(Date.now() - 1000));
    await runTick();
    const [queued] = await query<{ id: string; status: string }>(
      sql`select id, status from task_executions where scheduled_task_id = ${task.id}`,
    );
    expect(queued.status).toBe('queued');
    await call(deleteTask, apiEvent('DELETE', `/x/${task.id}`, { path: { task_id: String(task.id) } }));
    const report = await consumer({});
    expect(report.completed).toBe(0);
    const [after] = await query<{ status: string; scheduled_task_id: number | null }>(
      sql`select status, scheduled_task_id from task_executions where id = ${queued.id}`,
    );
    expect(after).toEqual({ status: 'cancelled', scheduled_task_id: null });
    await runTick({ now: new Date(Date.now() + 3_600_000) });
    const [{ n }] = await query<{ n: number }>(
      sql`select count(*)::int as n from task_executions where id > ${queued.id} and connection_id = ${connectionId} and task_type = 'custom_sql' and trigger = 'schedule' and scheduled_task_id is null`,
    );
    expect(n).toBe(0);
  });
});
