import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../client.js';

export interface DueTask {
  id: number;
  cronSchedule: string;
  timezone: string;
  nextRunAt: Date;
}

/**
 * Locks up to `limit` due tasks. SKIP LOCKED lets ticks that overlap split the work instead of
 * waiting; the caller advances next_run_at in the same transaction, so a slot is claimed once.
 */
export async function lockDueTasks(db: DbOrTx, now: Date, limit: number): Promise<DueTask[]> {
  const rows = await db.execute<{ id: number; cron_schedule: string; timezone: string; next_run_at: string }>(sql`
    select id, cron_schedule, timezone, next_run_at
      from scheduled_tasks
     where is_active and next_run_at <= ${now.toISOString()}::timestamptz
     order by next_run_at
     limit ${limit}
       for update skip locked`);
  return rows.map((r) => ({
    id: r.id,
    cronSchedule: r.cron_schedule,
    timezone: r.timezone,
    nextRunAt: new Date(r.next_run_at),
  }));
}

/** Longer than any push takes, shorter than a tick period: a dead tick's runs are pushed by the next one. */
export const PUSH_LEASE_SECONDS = 30;

export interface ClaimedRun {
  id: number;
  status: 'queued' | 'skipped';
}

/**
 * Advances each task to its next slot and records the slot it was due for as an execution, in
 * one statement. A task whose previous execution is still queued or running gets a `skipped`
 * row for this slot instead of a second concurrent run. The unique (task, slot) key makes a
 * repeated claim of the same slot a no-op.
 *
 * Queued rows are written with a short push lease: `enqueued_at` is back-dated so that they count
 * as due for a push `PUSH_LEASE_SECONDS` after the claim. The tick that claimed them pushes their
 * ids right after commit and then stamps them pushed (`markEnqueued`); meanwhile no other tick
 * pushes them, and if this tick dies before its push, the next tick does.
 */
export async function advanceAndRecordRuns(
  db: DbOrTx,
  tasks: ReadonlyArray<{ id: number; slot: Date; next: Date }>,
  requeueAfterSeconds: number,
): Promise<ClaimedRun[]> {
  if (tasks.length === 0) return [];
  const due = JSON.stringify(
    tasks.map((t) => ({ task_id: t.id, slot: t.slot.toISOString(), next: t.next.toISOString() })),
  );
  // The overlap check runs once per task, as the task is advanced (a probe of the small partial
  // index of open executions); a per-row EXISTS referenced from three columns ran three times.
  const rows = await db.execute<{ id: string; status: 'queued' | 'skipped' }>(sql`
    with due as (
      select * from json_to_recordset(${due}::json) as d(task_id int, slot timestamptz, next timestamptz)
    ), advanced as (
      update scheduled_tasks t set next_run_at = due.next from due where t.id = due.task_id
      returning t.id, t.connection_id, t.task_type, t.task_params, due.slot,
                case when exists (select 1 from task_executions e where e.scheduled_task_id = t.id and e.status in ('queued', 'running'))
                     then 'skipped' else 'queued' end as status
    )
    insert into task_executions (scheduled_task_id, connection_id, task_type, task_params, trigger, status, scheduled_for, enqueued_at, completed_at, error_message)
    select id, connection_id, task_type, task_params, 'schedule', status, slot,
           case when status = 'queued' then now() - make_interval(secs => ${Math.max(requeueAfterSeconds - PUSH_LEASE_SECONDS, 0)}) end,
           case when status = 'skipped' then now() end,
           case when status = 'skipped' then 'Skipped: the previous execution of this task was still queued or running' end
      from advanced
    on conflict (scheduled_task_id, scheduled_for) do nothing
    returning id, status`);
  return rows.map((r) => ({ id: Number(r.id), status: r.status }));
}

/**
 * Takes a task out of scheduling because its next slot cannot be computed (a time zone the runtime
 * no longer knows, a schedule edited by hand): inactive, no next run, and the reason kept for the API.
 */
export async function deactivateUnschedulableTasks(
  db: DbOrTx,
  tasks: ReadonlyArray<{ id: number; reason: string }>,
): Promise<void> {
  if (tasks.length === 0) return;
  await db.execute(sql`
    update scheduled_tasks t
       set is_active = false, next_run_at = null, last_error = b.reason, updated_at = now()
      from json_to_recordset(${JSON.stringify(tasks)}::json) as b(id int, reason text)
     where t.id = b.id`);
}
