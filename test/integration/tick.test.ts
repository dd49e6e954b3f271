import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { runTick } from '../../lib/scheduling/tick.js';
import { createLocalConnection, createTaskVia, customSqlTask } from '../helpers/factories.js';
import { bulkCreateTasks, executionsOf, makeTasksDue, query, queuedIds } from '../helpers/service-db.js';
import { getRedis } from '../../lib/queue/redis.js';
import { bigintArray } from '../../db/queries/arrays.js';

let connectionId: number;
beforeAll(async () => {
  connectionId = (await createLocalConnection()).id;
});

const clearQueue = () => getRedis().del(process.env.QUEUE_NAME!);

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
    const [row] = await query<{ next_run_at: string }>(sql`select next_run_at from scheduled_tasks where id = ${task.id}`);
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
});
