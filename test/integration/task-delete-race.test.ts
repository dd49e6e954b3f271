import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDb } from '../../db/client.js';
import { advanceAndRecordRuns, lockDueTasks } from '../../db/queries/due-runs.js';
import { handler as deleteTask } from '../../functions/tasks/delete.js';
import { handler as updateTask } from '../../functions/tasks/update.js';
import { drainQueue } from '../../lib/consumer/drain-queue.js';
import { pushExecutionIds } from '../../lib/queue/execution-queue.js';
import { apiEvent, call } from '../helpers/api.js';
import { createLocalConnection, createTaskVia, customSqlTask } from '../helpers/factories.js';
import { makeTasksDue, query } from '../helpers/service-db.js';
import { withoutConsumerStarts } from '../helpers/environment.js';
import { clearQueue } from '../helpers/queue.js';

withoutConsumerStarts();

const admin = postgres(process.env.DATABASE_URL!, {
  max: 1,
  onnotice: () => {},
  connection: { application_name: 'delete-race-test' },
});
let connectionId: number;
beforeAll(async () => {
  connectionId = (await createLocalConnection()).id;
});
afterAll(async () => {
  await admin.end();
});

const executionsOf = (taskId: number) =>
  admin<{ id: string; status: string; started_at: Date | null; error_message: string | null }[]>`
    select id, status, started_at, error_message from task_executions where id in (
      select id from task_executions where scheduled_task_id = ${taskId} or (scheduled_task_id is null and task_params->>'custom_sql' = ${`select ${taskId} as marker`}))
     order by id`;

/**
 * A tick's claim of the task, held open: its new run is written but not committed until `commit`
 * is called. Resolves with the run's id once committed.
 */
async function heldClaim(taskId: number) {
  let commit!: () => void;
  const gate = new Promise<void>((resolve) => (commit = resolve));
  let claimed!: () => void;
  const written = new Promise<void>((resolve) => (claimed = resolve));
  const done = getDb().transaction(async (tx) => {
    const due = (await lockDueTasks(tx, new Date('2030-06-01T00:00:30Z'), 100_000)).filter((t) => t.id === taskId);
    const runs = await advanceAndRecordRuns(
      tx,
      due.map((t) => ({ id: t.id, slot: t.nextRunAt, next: new Date('2030-06-02T00:00:00Z') })),
      300,
    );
    claimed();
    await gate;
    return runs.map((r) => r.id);
  });
  await written;
  return { commit, done };
}

/** Until the API request's session waits for the claim's lock on the task (read from the server, not guessed). */
async function untilWaitingForTaskLock(): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const [row] = await admin<{ n: number }[]>`
      select count(*)::int as n from pg_stat_activity
       where datname = current_database() and application_name = 'pg-reviewer-service' and wait_event_type = 'Lock'
         and query ilike '%from "scheduled_tasks"%for update%'`;
    if (row.n > 0) return;
    if (Date.now() > deadline) throw new Error('the request never waited for the task lock');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function dueTask(): Promise<number> {
  const task = await createTaskVia(customSqlTask(connectionId, { cron_schedule: '0 0 * * *' }));
  await query(
    sql`update scheduled_tasks set task_params = task_params || jsonb_build_object('custom_sql', 'select ' || id || ' as marker') where id = ${task.id}`,
  );
  await makeTasksDue([task.id], new Date('2030-06-01T00:00:00Z'));
  return task.id;
}

describe('a task deleted or deactivated while a tick claims it', () => {
  it('DELETE waits for the claim and cancels the run it made: the run is never started', async () => {
    await clearQueue();
    const taskId = await dueTask();
    const claim = await heldClaim(taskId);
    const deleting = call(
      deleteTask,
      apiEvent('DELETE', `/api/v1/scheduler/tasks/${taskId}`, { path: { task_id: String(taskId) } }),
    );
    await untilWaitingForTaskLock();
    claim.commit();
    const runIds = await claim.done;
    expect((await deleting).status).toBe(204);

    // The tick pushes what it claimed; a consumer takes it.
    await pushExecutionIds(runIds);
    await drainQueue({ concurrency: 1 });

    const runs = await executionsOf(taskId);
    expect(runs).toEqual([
      expect.objectContaining({
        status: 'cancelled',
        started_at: null,
        error_message: 'Cancelled: the task was deleted before this execution started',
      }),
    ]);
  });

  it('PUT is_active: false waits for the claim and cancels the scheduled run it made', async () => {
    await clearQueue();
    const taskId = await dueTask();
    const claim = await heldClaim(taskId);
    const deactivating = call(
      updateTask,
      apiEvent('PUT', `/api/v1/scheduler/tasks/${taskId}`, {
        path: { task_id: String(taskId) },
        body: { is_active: false },
      }),
    );
    await untilWaitingForTaskLock();
    claim.commit();
    const runIds = await claim.done;
    expect((await deactivating).status).toBe(200);

    await pushExecutionIds(runIds);
    await drainQueue({ concurrency: 1 });

    expect(await executionsOf(taskId)).toEqual([
      expect.objectContaining({
        status: 'cancelled',
        started_at: null,
        error_message: 'Cancelled: the task was deactivated before this execution started',
      }),
    ]);
  });

  it(
    'the consumer cancels, with the reason, a scheduled run whose task is gone or inactive by the time it is ' +
      'taken',
    async () => {
      await clearQueue();
      const inactive = await dueTask();
      const deleted = await dueTask();
      const runs = await getDb().transaction(async (tx) => {
        const due = (await lockDueTasks(tx, new Date('2030-06-01T00:00:30Z'), 100_000)).filter(
          (t) => t.id === inactive || t.id === deleted,
        );
        return advanceAndRecordRuns(
          tx,
          due.map((t) => ({ id: t.id, slot: t.nextRunAt, next: new Date('2030-06-02T00:00:00Z') })),
          300,
        );
      });
      // Changed behind the API's back (by hand in the database), so nothing cancelled the runs yet.
      await admin`update scheduled_tasks set is_active = false where id = ${inactive}`;
      await admin`update task_executions set scheduled_task_id = null where scheduled_task_id = ${deleted}`;
      await pushExecutionIds(runs.map((r) => r.id));

      const report = await drainQueue({ concurrency: 2 });

      expect(report).toMatchObject({ completed: 0, failed: 0, notClaimed: 2 });
      expect(await executionsOf(inactive)).toEqual([
        expect.objectContaining({
          status: 'cancelled',
          started_at: null,
          error_message: 'Cancelled: the task was deactivated before this execution started',
        }),
      ]);
      expect(await executionsOf(deleted)).toEqual([
        expect.objectContaining({
          status: 'cancelled',
          started_at: null,
          error_message: 'Cancelled: the task was deleted before this execution started',
        }),
      ]);
    },
  );
});
