import { sql, type SQL } from 'drizzle-orm';
import { getDb } from '../../db/client.js';
import { bigintArray } from '../../db/queries/arrays.js';

/** Raw access to the test's own service database, for arranging state and asserting on rows. */
export async function query<T = Record<string, unknown>>(statement: SQL): Promise<T[]> {
  return (await getDb().execute(statement)) as unknown as T[];
}

export async function makeTasksDue(ids: number[], dueAt: Date): Promise<void> {
  await query(
    sql`update scheduled_tasks set next_run_at = ${dueAt.toISOString()}::timestamptz where id = any(${bigintArray(ids)})`,
  );
}

export async function executionsOf(taskId: number) {
  return query<{
    id: string;
    status: string;
    trigger: string;
    scheduled_for: string | null;
    attempts: number;
    error_message: string | null;
  }>(
    sql`select id, status, trigger, scheduled_for, attempts, error_message from task_executions where scheduled_task_id = ${taskId} order by id`,
  );
}

export async function bulkCreateTasks(connectionId: number, count: number, cron = '* * * * *'): Promise<number[]> {
  const rows = await query<{ id: number }>(sql`
    insert into scheduled_tasks (name, task_type, connection_id, cron_schedule, task_params, next_run_at)
    select 'bulk ' || g, 'custom_sql', ${connectionId}, ${cron}, '{"custom_sql":"select 1","query_timeout":30,"analysis_target":"queries","output_format":"json"}'::jsonb, now()
      from generate_series(1, ${count}) g
    returning id`);
  return rows.map((r) => r.id);
}
