import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../client.js';

export interface RecoveredExecution {
  id: number;
  status: 'queued' | 'failed';
}

/**
 * Executions still `running` past their deadline lost their consumer (killed, timed out, crashed).
 * They are queued again while attempts remain, failed otherwise — never left running.
 */
export async function recoverOverdueExecutions(db: DbOrTx, now: Date, maxAttempts: number, limit = 1000): Promise<RecoveredExecution[]> {
  const rows = await db.execute<{ id: string; status: 'queued' | 'failed' }>(sql`
    update task_executions e
       set status = case when e.attempts < ${maxAttempts} then 'queued' else 'failed' end,
           enqueued_at = null,
           deadline_at = null,
           completed_at = case when e.attempts < ${maxAttempts} then null else now() end,
           error_message = case when e.attempts < ${maxAttempts}
             then 'Attempt ' || e.attempts || ' stopped responding and was retried'
             else 'The execution did not finish: its consumer stopped responding after ' || e.attempts || ' attempt(s)' end
     where e.id in (
       select id from task_executions
        where status = 'running' and deadline_at < ${now.toISOString()}::timestamptz
        order by id limit ${limit}
          for update skip locked)
    returning e.id, e.status`);
  return rows.map((r) => ({ id: Number(r.id), status: r.status }));
}

/**
 * Queued executions whose id never reached Redis (it was down) or was pushed long ago and not
 * taken (Redis lost its list). Pushing again is safe: a consumer claims an id at most once.
 */
export async function findExecutionsToPush(db: DbOrTx, now: Date, requeueAfterSeconds: number, limit = 10_000): Promise<number[]> {
  const rows = await db.execute<{ id: string }>(sql`
    select id from task_executions
     where status = 'queued'
       and (enqueued_at is null or enqueued_at < ${now.toISOString()}::timestamptz - make_interval(secs => ${requeueAfterSeconds}))
     order by id
     limit ${limit}`);
  return rows.map((r) => Number(r.id));
}

/** Retention: deletes finished executions older than the cut-off, a small batch at a time. */
export async function deleteExpiredExecutions(db: DbOrTx, before: Date, batch: number): Promise<number> {
  const rows = await db.execute<{ id: string }>(sql`
    delete from task_executions
     where id in (
       select id from task_executions
        where created_at < ${before.toISOString()}::timestamptz
          and status not in ('queued', 'running')
        order by created_at limit ${batch})
    returning id`);
  return rows.length;
}
