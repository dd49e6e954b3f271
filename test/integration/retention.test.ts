import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { deleteExpiredHistory } from '../../lib/scheduling/retention.js';
import { runTick } from '../../lib/scheduling/tick.js';
import { createLocalConnection, createTaskVia, customSqlTask } from '../helpers/factories.js';
import { query } from '../helpers/service-db.js';
import { getDb } from '../../db/client.js';
import { withoutConsumerStarts } from '../helpers/environment.js';

process.env.EXECUTION_RETENTION_DAYS = '30';
withoutConsumerStarts();

let taskId: number;
beforeAll(async () => {
  const connection = await createLocalConnection();
  taskId = (await createTaskVia(customSqlTask(connection.id))).id;
});

const insertExecutions = (count: number, ageDays: number, status: string) =>
  query(sql`
    insert into task_executions (scheduled_task_id, connection_id, task_type, trigger, status, created_at, completed_at)
    select ${taskId}, 1, 'custom_sql', 'manual', ${status}, now() - make_interval(days => ${ageDays}), now() - make_interval(days => ${ageDays})
      from generate_series(1, ${count})`);

const countByAge = async () =>
  (
    await query<{ old: number; recent: number }>(sql`
    select (count(*) filter (where created_at < now() - interval '30 days'))::int as old,
           (count(*) filter (where created_at >= now() - interval '30 days'))::int as recent
      from task_executions`)
  )[0];

describe('retention', () => {
  it('deletes every finished execution past the retention period in one tick, and keeps the rest', async () => {
    await insertExecutions(2500, 45, 'completed');
    await insertExecutions(10, 45, 'queued'); // never finished: kept for the scheduler to deal with
    await insertExecutions(300, 10, 'completed');

    const report = await runTick();
    expect(report).toMatchObject({ expiredDeleted: 2500, expiredRemaining: 0 });
    expect(await countByAge()).toEqual({ old: 10, recent: 300 });
    expect((await runTick()).expiredDeleted).toBe(0);
    await query(sql`delete from task_executions`);
  });

  it("keeps a task's latest completed execution however old it is: the next run compares against it", async () => {
    const connection = await createLocalConnection();
    const yearly = (await createTaskVia(customSqlTask(connection.id, { cron_schedule: '@yearly' }))).id;
    const insertFor = (task: number, ageDays: number, status: string) =>
      query<{ id: string }>(sql`
        insert into task_executions (scheduled_task_id, connection_id, task_type, trigger, status, created_at, completed_at)
        values (${task}, 1, 'custom_sql', 'schedule', ${status}, now() - make_interval(days => ${ageDays}), now() - make_interval(days => ${ageDays}))
        returning id`);
    const [olderCompleted] = await insertFor(yearly, 400, 'completed');
    const [baseline] = await insertFor(yearly, 200, 'completed');
    // Its target has failed ever since: the failures expire, the baseline does not.
    await insertFor(yearly, 100, 'failed');
    await insertFor(yearly, 50, 'failed');

    const report = await runTick();

    expect(report.expiredDeleted).toBe(3);
    const left = await query<{ id: string; status: string }>(
      sql`select id, status from task_executions where scheduled_task_id = ${yearly} order by id`,
    );
    expect(left).toEqual([{ id: baseline.id, status: 'completed' }]);
    expect(olderCompleted.id).not.toBe(baseline.id);
    await query(sql`delete from task_executions`);
  });

  it('stops at its time budget and says how many expired rows remain', async () => {
    await insertExecutions(6000, 45, 'failed');
    const budgetSpent = await deleteExpiredHistory(getDb(), 30, 0);
    expect(budgetSpent).toEqual({ deleted: 5000, remaining: 1000 });
    expect(await deleteExpiredHistory(getDb(), 30)).toEqual({ deleted: 1000, remaining: 0 });
  });

  it('finds expired rows through an index on created_at, not a scan of the history', async () => {
    // A test table is small enough for a sequential scan to win; forbid it to see that an index can serve.
    const plan = await getDb().transaction(async (tx) => {
      await tx.execute(sql`set local enable_seqscan = off`);
      return tx.execute<{ 'QUERY PLAN': string }>(sql`
        explain select id from task_executions
         where created_at < now() - interval '30 days' and status not in ('queued', 'running')
         order by created_at limit 1000`);
    });
    expect(plan.map((r) => r['QUERY PLAN']).join('\n')).toMatch(/Index Scan (using|on) task_executions_created_idx/);
  });
});
