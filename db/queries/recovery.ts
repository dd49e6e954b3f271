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
export async function recoverOverdueExecutions(
  db: DbOrTx,
  maxAttempts: number,
  limit = 1000,
): Promise<RecoveredExecution[]> {
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
 * not taken, marking them pushed. SKIP LOCKED lets concurrent ticks split them, so each id is
 * pushed by one tick; the caller un-marks them if the push fails.
 *
 * One pushed long ago is pushed again only when the Redis lists (`listedEntries`, the queue and the
 * processing list) hold fewer entries than there are queued executions marked pushed: Redis lost
 * some. A midnight backlog that keeps ids waiting their turn longer than `requeueAfterSeconds` is
 * then not pushed a second time. A claim whose tick died before its push counts as pushed but is
 * not listed, so its runs are pushed once their lease is over.
 */
export async function claimExecutionsToPush(
  db: DbOrTx,
  requeueAfterSeconds: number,
  listedEntries: number,
  limit = 20_000,
): Promise<number[]> {
  const rows = await db.execute<{ id: string }>(sql`
    update task_executions set enqueued_at = now()
     where id in (
       select id from task_executions
        where status = 'queued'
          and (enqueued_at is null
               or (enqueued_at < now() - make_interval(secs => ${requeueAfterSeconds})
                   and (select count(*) from task_executions where status = 'queued' and enqueued_at is not null)
                       > ${listedEntries}))
        order by id
        limit ${limit}
          for update skip locked)
    returning id`);
  return rows.map((r) => Number(r.id)).sort((a, b) => a - b);
}

/**
 * Retention: deletes up to `batch` finished executions created before the cutoff. Each task's latest
 * completed execution stays whatever its age: it is what the task's next run compares against (a
 * @yearly review, or a target that has failed for months, would otherwise lose its baseline).
 */
export async function deleteExpiredExecutions(db: DbOrTx, retentionDays: number, batch: number): Promise<number> {
  const rows = await db.execute<{ n: number }>(sql`
    with deleted as (
      delete from task_executions
       where id in (${expiredExecutions(retentionDays, batch)})
      returning 1)
    select count(*)::int as n from deleted`);
  return rows[0].n;
}

/** How many expired executions are left, counted up to `cap` (the count is for a log line). */
export async function countExpiredExecutions(db: DbOrTx, retentionDays: number, cap: number): Promise<number> {
  const rows = await db.execute<{ n: number }>(
    sql`select count(*)::int as n from (${expiredExecutions(retentionDays, cap)}) expired`,
  );
  return rows[0].n;
}

function expiredExecutions(retentionDays: number, limit: number) {
  return sql`
    select e.id from task_executions e
     where e.created_at < now() - make_interval(days => ${retentionDays})
       and e.status not in ('queued', 'running')
       and not (e.status = 'completed' and e.scheduled_task_id is not null and not exists (
             select 1 from task_executions later
              where later.scheduled_task_id = e.scheduled_task_id and later.status = 'completed' and later.id > e.id))
     order by e.created_at
     limit ${limit}`;
}
