import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { captureLogLines } from '../helpers/log-lines.js';
import { getDb } from '../../db/client.js';
import { advanceAndRecordRuns, lockDueTasks } from '../../db/queries/due-runs.js';
import { handler as getTask } from '../../functions/tasks/get.js';
import { handler as updateTask } from '../../functions/tasks/update.js';
import { apiEvent, call } from '../helpers/api.js';
import { runTick } from '../../lib/scheduling/tick.js';
import { createLocalConnection, createTaskVia, customSqlTask } from '../helpers/factories.js';
import { bulkCreateTasks, executionsOf, makeTasksDue, query } from '../helpers/service-db.js';
import { bigintArray } from '../../db/queries/arrays.js';
import { clearQueue, queuedIds } from '../helpers/queue.js';
import { queueViaApi } from '../helpers/review-now.js';
import { pushExecutionIds } from '../../lib/queue/execution-queue.js';

let connectionId: number;
beforeAll(async () => {
  connectionId = (await createLocalConnection()).id;
});

describe('the tick', () => {
  it('turns a due task into one queued execution, pushes its id and advances next_run_at past now', async () => {
    await clearQueue();
    const task = await createTaskVia(customSqlTask(connectionId, { cron_schedule: '*/5 * * * *' }));
    const now = new Date('2030-01-01T10:07:30Z');
    await makeTasksDue([task.id], new Date('2030-01-01T10:05:00Z'));

    const report = await runTick({ now });

    expect(report.claimed).toBe(1);
    const executions = await executionsOf(task.id);
    expect(executions).toHaveLength(1);
    expect(executions[0]).toMatchObject({ status: 'queued', trigger: 'schedule' });
    expect(new Date(executions[0].scheduled_for!).toISOString()).toBe('2030-01-01T10:05:00.000Z');
    expect(await queuedIds()).toContain(executions[0].id);
    const [row] = await query<{ next_run_at: string }>(
      sql`select next_run_at from scheduled_tasks where id = ${task.id}`,
    );
    expect(new Date(row.next_run_at).toISOString()).toBe('2030-01-01T10:10:00.000Z');
  });

  it('does nothing for a task that is not yet due or is inactive', async () => {
    const future = await createTaskVia(customSqlTask(connectionId));
    const inactive = await createTaskVia(customSqlTask(connectionId, { is_active: false }));
    await runTick({ now: new Date() });
    expect(await executionsOf(future.id)).toHaveLength(0);
    expect(await executionsOf(inactive.id)).toHaveLength(0);
  });

  it('runs a task once after downtime, not once per missed slot', async () => {
    const task = await createTaskVia(customSqlTask(connectionId, { cron_schedule: '@hourly' }));
    await makeTasksDue([task.id], new Date('2030-02-01T00:00:00Z'));
    await runTick({ now: new Date('2030-02-04T00:30:00Z') });
    await runTick({ now: new Date('2030-02-04T00:31:00Z') });
    expect(await executionsOf(task.id)).toHaveLength(1);
  });

  it('records a skipped slot instead of starting a task whose previous execution is still queued', async () => {
    const task = await createTaskVia(customSqlTask(connectionId, { cron_schedule: '* * * * *' }));
    await makeTasksDue([task.id], new Date('2030-03-01T00:00:00Z'));
    await runTick({ now: new Date('2030-03-01T00:00:10Z') });
    await runTick({ now: new Date('2030-03-01T00:01:10Z') });
    const executions = await executionsOf(task.id);
    expect(executions.map((e) => e.status)).toEqual(['queued', 'skipped']);
    expect(executions[1].error_message).toContain('previous execution');
  });

  it('enqueues each due run exactly once when ten ticks run at the same time over 5,000 due tasks', async () => {
    await clearQueue();
    const ids = await bulkCreateTasks(connectionId, 5000);
    const now = new Date(Date.now() + 60_000);

    await Promise.all(Array.from({ length: 10 }, () => runTick({ now })));

    const [counts] = await query<{ executions: number; tasks: number }>(sql`
      select count(*)::int as executions, count(distinct scheduled_task_id)::int as tasks
        from task_executions where scheduled_task_id = any(${bigintArray(ids)})`);
    expect(counts).toEqual({ executions: 5000, tasks: 5000 });
    const pushed = await queuedIds();
    const pushedForThese = await query<{ n: number }>(sql`
      select count(*)::int as n from task_executions where id = any(${bigintArray(pushed.map(Number))}) and scheduled_task_id = any(${bigintArray(ids)})`);
    expect(pushedForThese[0].n).toBe(5000);
    expect(new Set(pushed).size).toBe(pushed.length);
  });

  it(
    'sets a task whose next slot cannot be computed inactive with the reason, and schedules the healthy one ' +
      'beside it',
    async () => {
      await clearQueue();
      const healthy = await createTaskVia(customSqlTask(connectionId, { cron_schedule: '*/5 * * * *' }));
      const broken = await createTaskVia(customSqlTask(connectionId, { cron_schedule: '*/5 * * * *' }));
      // A time zone the runtime does not know (edited by hand, or dropped by an ICU update).
      await query(sql`update scheduled_tasks set timezone = 'Mars/Olympus_Mons' where id = ${broken.id}`);
      await makeTasksDue([healthy.id, broken.id], new Date('2030-04-01T10:05:00Z'));
      const logLines = captureLogLines();

      const report = await runTick({ now: new Date('2030-04-01T10:06:00Z') });

      expect(report).toMatchObject({ claimed: 1, deactivated: 1 });
      expect((await executionsOf(healthy.id)).map((e) => e.status)).toEqual(['queued']);
      expect(await executionsOf(broken.id)).toEqual([]);
      const shown = await call(
        getTask,
        apiEvent('GET', `/api/v1/scheduler/tasks/${broken.id}`, { path: { task_id: String(broken.id) } }),
      );
      expect(shown.body).toMatchObject({
        is_active: false,
        next_run_at: null,
        last_error: expect.stringContaining('time zone "Mars/Olympus_Mons"'),
      });
      vi.restoreAllMocks();
      expect(logLines().filter((l) => l.message === 'task set inactive: its next run cannot be computed')).toEqual([
        expect.objectContaining({ taskId: broken.id }),
      ]);

      // Corrected through the API, it is scheduled again and the reason is gone.
      const fixed = await call(
        updateTask,
        apiEvent('PUT', `/api/v1/scheduler/tasks/${broken.id}`, {
          path: { task_id: String(broken.id) },
          body: { timezone: 'UTC', is_active: true },
        }),
      );
      expect(fixed.body).toMatchObject({ is_active: true, last_error: null, next_run_at: expect.any(String) });
    },
  );

  it('pushes the runs of a tick that died between its claim and its push on the next tick', async () => {
    await clearQueue();
    // The claim commits; the tick that made it is killed before it reaches Redis.
    const run = await claimedByATickThatDied('2030-05-01T00:00');
    expect(await queuedIds()).not.toContain(run.id);

    // A tick at once leaves it to the live claimer; the next minute's tick pushes it.
    await runTick({ now: new Date('2030-05-01T00:00:40Z') });
    expect(await queuedIds()).not.toContain(run.id);
    await query(sql`update task_executions set enqueued_at = enqueued_at - interval '1 minute' where id = ${run.id}`); // a minute passes
    const next = await runTick({ now: new Date('2030-05-01T00:00:50Z') });

    expect(next.pushed).toBeGreaterThanOrEqual(1);
    expect(await queuedIds()).toContain(run.id);
  });

  it('does not push again the runs of a tick that died after its push but before marking them pushed', async () => {
    await clearQueue();
    await query(sql`update task_executions set status = 'cancelled' where status = 'queued'`);
    const run = await claimedByATickThatDied('2030-06-01T00:00');
    // Its push reached Redis; the tick was killed before it marked the run pushed.
    await pushExecutionIds([Number(run.id)]);
    await query(sql`update task_executions set enqueued_at = enqueued_at - interval '1 minute' where id = ${run.id}`); // its push lease is over

    // Earlier tests' every-minute tasks come due at this tick too: only this run's entries are counted.
    await runTick({ now: new Date('2030-06-01T00:00:50Z') });
    expect((await queuedIds()).filter((id) => Number(id) === Number(run.id))).toHaveLength(1);
  });

  it('does not push again runs that wait their turn on a long list, and pushes them once Redis has lost them', async () => {
    // Only this test's runs wait in the queue: earlier tests' leftovers would count as lost ids.
    await clearQueue();
    await query(sql`update task_executions set status = 'cancelled' where status = 'queued'`);
    const task = await createTaskVia(customSqlTask(connectionId));
    const queued: number[] = [];
    for (let i = 0; i < 3; i++) queued.push((await queueViaApi(task.id)).body.execution_id);
    const waitedLong = () =>
      query(
        sql`update task_executions set enqueued_at = now() - interval '1 hour' where id = any(${bigintArray(queued)})`,
      );

    // A backlog longer than REQUEUE_AFTER_SECONDS: the runs are still on the list.
    await waitedLong();
    expect((await runTick()).pushed).toBe(0);
    expect((await queuedIds()).map(Number)).toEqual(queued);

    // Redis restarted without its data.
    await clearQueue();
    await waitedLong();
    expect((await runTick()).pushed).toBe(3);
    expect((await queuedIds()).map(Number)).toEqual(queued);
  });

  it('stops claiming between batches when its invocation runs short, and the next tick claims the rest at once', async () => {
    await clearQueue();
    await bulkCreateTasks(connectionId, 6000);
    const now = new Date('2031-01-01T00:00:30Z');
    const [{ due }] = await query<{ due: number }>(
      sql`select count(*)::int as due from scheduled_tasks where is_active and next_run_at <= ${now.toISOString()}::timestamptz`,
    );
    // Plenty of time for the first batch of 5,000; then less than the reserve the rest of the tick needs.
    let asked = 0;
    const cutShort = await runTick({ now, remainingMs: () => (asked++ === 0 ? 60_000 : 1_000) });

    expect(cutShort).toMatchObject({ dueLeft: true, pushFailed: null });
    expect(cutShort.claimed + cutShort.skipped).toBe(5000);
    expect(await queuedIds()).toHaveLength(cutShort.claimed);

    // Nothing it claimed waits for a lease: the next tick, at once, claims the rest and pushes nothing twice.
    const next = await runTick({ now });
    expect(next).toMatchObject({ dueLeft: false, pushFailed: null });
    expect(cutShort.claimed + cutShort.skipped + next.claimed + next.skipped).toBe(due);
    const [left] = await query<{ n: number }>(
      sql`select count(*)::int as n from scheduled_tasks where is_active and next_run_at <= ${now.toISOString()}::timestamptz`,
    );
    expect(left.n).toBe(0);
    const pushed = await queuedIds();
    expect(new Set(pushed).size).toBe(pushed.length);
    expect(pushed).toHaveLength(cutShort.claimed + next.claimed);
  });
});

/**
 * The run of an every-minute task due at `minute`:00, claimed at :30 as a tick claims it (its push lease
 * taken), by a tick that then died: nothing else of that tick happened.
 */
async function claimedByATickThatDied(minute: string) {
  const task = await createTaskVia(customSqlTask(connectionId, { cron_schedule: '* * * * *' }));
  await makeTasksDue([task.id], new Date(`${minute}:00Z`));
  await getDb().transaction(async (tx) => {
    const due = await lockDueTasks(tx, new Date(`${minute}:30Z`), 100_000);
    const next = new Date(new Date(`${minute}:00Z`).getTime() + 60_000);
    await advanceAndRecordRuns(
      tx,
      due.filter((t) => t.id === task.id).map((t) => ({ id: t.id, slot: t.nextRunAt, next })),
      300,
    );
  });
  const [run] = await executionsOf(task.id);
  return run;
}
