import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { runTick } from '../../lib/scheduling/tick.js';
import { createLocalConnection, createTaskVia, customSqlTask } from '../helpers/factories.js';
import { query } from '../helpers/service-db.js';
import { getDb } from '../../db/client.js';

process.env.EXECUTION_RETENTION_DAYS = '30';
process.env.LAMBDA_ENDPOINT = 'http://127.0.0.1:9';

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
  (await query<{ old: number; recent: number }>(sql`
    select (count(*) filter (where created_at < now() - interval '30 days'))::int as old,
           (count(*) filter (where created_at >= now() - interval '30 days'))::int as recent
      from task_executions`))[0];

describe('retention', () => {
  it('deletes finished executions past the retention period, 1,000 per tick, and keeps the rest', async () => {
    await insertExecutions(2500, 45, 'completed');
    await insertExecutions(10, 45, 'queued'); // never finished: kept for the scheduler to deal with
    await insertExecutions(300, 10, 'completed');

    expect((await runTick()).expiredDeleted).toBe(1000);
    expect(await countByAge()).toEqual({ old: 1510, recent: 300 });
    expect((await runTick()).expiredDeleted).toBe(1000);
    expect((await runTick()).expiredDeleted).toBe(500);
    expect((await runTick()).expiredDeleted).toBe(0);
    expect(await countByAge()).toEqual({ old: 10, recent: 300 });
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
