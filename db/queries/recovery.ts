import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../client.js';

// These measure real elapsed time of rows the database stamped (started, pushed, created), so they
// use the database clock; the scheduling `now` of a tick only decides which slots are due.

export interface RecoveredExecution {
  id: number;
  status: 'queued' | 'failed';
}

/**
 * Executions still `running` past their deadline lost their consumer (killed, timed out, crashed).
 * They are queued again while attempts remain, failed otherwise — never left running.
 */
export async function recoverOverdueExecutions(db: DbOrTx, maxAttempts: number, limit = 1000): Promise<RecoveredExecution[]> {
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
        where status = 'running' and deadline_at < now()
        order by id limit ${limit}
          for update skip locked)
    returning e.id, e.status`);
  return rows.map((r) => ({ id: Number(r.id), status: r.status }));
}

/**
 * Claims queued executions whose id never reached Redis (it was down) or was pushed long ago and
 * not taken (Redis lost its list), marking them pushed. SKIP LOCKED lets concurrent ticks split
 * them, so each id is pushed by one tick; the caller un-marks them if the push fails.
 */
export async function claimExecutionsToPush(db: DbOrTx, requeueAfterSeconds: number, limit = 20_000): Promise<number[]> {
  const rows = await db.execute<{ id: string }>(sql`
    update task_executions set enqueued_at = now()
     where id in (
       select id from task_executions
        where status = 'queued'
          and (enqueued_at is null or enqueued_at < now() - make_interval(secs => ${requeueAfterSeconds}))
        order by id
        limit ${limit}
          for update skip locked)
    returning id`);
  return rows.map((r) => Number(r.id)).sort((a, b) => a - b);
}

/** Retention: deletes finished executions older than `retentionDays`, a small batch at a time. */
export async function deleteExpiredExecutions(db: DbOrTx, retentionDays: number, batch: number): Promise<number> {
  const rows = await db.execute<{ id: string }>(sql`
    delete from task_executions
     where id in (
       select id from task_executions
        where created_at < now() - make_interval(days => ${retentionDays})
          and status not in ('queued', 'running')
        order by created_at limit ${batch})
    returning id`);
  return rows.length;
}
