import { and, desc, eq, sql } from 'drizzle-orm';
import { bigintArray } from './arrays.js';
import type { DbOrTx } from '../client.js';
import {
  connections,
  taskExecutions,
  type ConnectionRow,
  type ExecutionRow,
  type ExecutionStatus,
  type ExecutionTrigger,
  type TaskRow,
} from '../schema/index.js';
import { rowFrom } from './rows.js';

/** `enqueued: true` when the caller pushes the id itself right after (else the next tick does). */
export async function insertExecution(
  db: DbOrTx,
  task: TaskRow,
  trigger: ExecutionTrigger,
  enqueued = false,
): Promise<ExecutionRow> {
  const [row] = await db
    .insert(taskExecutions)
    .values({
      scheduledTaskId: task.id,
      connectionId: task.connectionId,
      taskType: task.taskType,
      taskParams: task.taskParams,
      trigger,
      enqueuedAt: enqueued ? sql`now()` : null,
    })
    .returning();
  return row;
}

export async function findExecution(db: DbOrTx, id: number): Promise<ExecutionRow | undefined> {
  const [row] = await db.select().from(taskExecutions).where(eq(taskExecutions.id, id));
  return row;
}

export interface ExecutionFilter {
  connectionId?: number;
  taskType?: string;
  status?: ExecutionStatus;
  taskId?: number;
  limit: number;
}

export async function selectExecutions(db: DbOrTx, filter: ExecutionFilter): Promise<ExecutionRow[]> {
  return db
    .select()
    .from(taskExecutions)
    .where(
      and(
        filter.connectionId === undefined ? undefined : eq(taskExecutions.connectionId, filter.connectionId),
        filter.taskType === undefined ? undefined : eq(taskExecutions.taskType, filter.taskType),
        filter.status === undefined ? undefined : eq(taskExecutions.status, filter.status),
        filter.taskId === undefined ? undefined : eq(taskExecutions.scheduledTaskId, filter.taskId),
      ),
    )
    .orderBy(desc(taskExecutions.id))
    .limit(filter.limit);
}

/** After a failed push: the next tick will push these again. */
export async function markNotEnqueued(db: DbOrTx, ids: readonly number[]): Promise<void> {
  if (ids.length === 0) return;
  await db
    .update(taskExecutions)
    .set({ enqueuedAt: null })
    .where(and(sql`${taskExecutions.id} = any(${bigintArray(ids)})`, eq(taskExecutions.status, 'queued')));
}

/** After a successful push: these ids are on the Redis list (see PUSH_LEASE_SECONDS). */
export async function markEnqueued(db: DbOrTx, ids: readonly number[]): Promise<void> {
  if (ids.length === 0) return;
  await db
    .update(taskExecutions)
    .set({ enqueuedAt: sql`now()` })
    .where(and(sql`${taskExecutions.id} = any(${bigintArray(ids)})`, eq(taskExecutions.status, 'queued')));
}

export interface ClaimedExecution {
  execution: ExecutionRow;
  /** Undefined when the connection was deleted after the execution was queued. */
  connection: ConnectionRow | undefined;
  /** The findings and state of the task's latest completed execution before this one, for change tracking. */
  previous: { id: number; result: Record<string, unknown> } | undefined;
}

/**
 * Takes queued executions for this consumer and reads what running them needs (the connection and
 * the task's previous completed findings and state) in one round trip, keyed by id. The status
 * guard makes a duplicate id on the list (a re-push, a second consumer) harmless: only one claim
 * of an execution can succeed, and an id that is not queued is simply absent from the result.
 * An execution whose task was deleted, or a scheduled one whose task was deactivated, is cancelled
 * with the reason instead of run (whatever raced with the delete or deactivation to queue it).
 * One whose query_timeout exceeds `longestQueryTimeoutSeconds` (what the consumer has time left to
 * give) is left queued and comes back in `deferred`, for the caller to hand back to the queue.
 */
export async function claimExecutions(
  db: DbOrTx,
  ids: readonly number[],
  graceSeconds: number,
  longestQueryTimeoutSeconds: number | null = null,
): Promise<{ claimed: Map<number, ClaimedExecution>; deferred: Set<number> }> {
  if (ids.length === 0) return { claimed: new Map(), deferred: new Set() };
  const longest =
    longestQueryTimeoutSeconds !== null && Number.isFinite(longestQueryTimeoutSeconds)
      ? Math.floor(longestQueryTimeoutSeconds)
      : null;
  const rows = await db.execute<{
    execution: Record<string, unknown>;
    connection: Record<string, unknown> | null;
    previous_id: string | null;
    previous_result: Record<string, unknown> | null;
    deferred: boolean;
  }>(sql`
    with candidates as (
      select e.id, coalesce((e.task_params->>'query_timeout')::int, 300) > ${longest}::int as too_long, case when e.scheduled_task_id is null then 'Cancelled: the task was deleted before this execution started'
                        when e.trigger = 'schedule' and not t.is_active then 'Cancelled: the task was deactivated before this execution started'
                   end as cancel_reason
        from task_executions e
        left join scheduled_tasks t on t.id = e.scheduled_task_id
       where e.id = any(${bigintArray(ids)}) and e.status = 'queued'
    ), cancelled as (
      update task_executions e
         set status = 'cancelled', completed_at = now(), enqueued_at = null, error_message = c.cancel_reason
        from candidates c
       where e.id = c.id and c.cancel_reason is not null and e.status = 'queued'
    ), claimed as (
      update task_executions
         set status = 'running', started_at = now(), attempts = attempts + 1,
             deadline_at = now() + make_interval(secs => coalesce((task_params->>'query_timeout')::int, 300) + ${graceSeconds})
       where id in (select id from candidates where cancel_reason is null and too_long is not true) and status = 'queued'
       returning *
    ), touched as (
      update scheduled_tasks t set last_run_at = now() from claimed c where t.id = c.scheduled_task_id
    )
    select to_jsonb(c) as execution, to_jsonb(k) as connection, p.id as previous_id,
           jsonb_build_object('findings', p.result->'findings', 'state', p.result->'state') as previous_result, false as deferred
      from claimed c
      left join connections k on k.id = c.connection_id
      left join lateral (
        select e.id, e.result from task_executions e
         where e.scheduled_task_id = c.scheduled_task_id and e.status = 'completed' and e.id < c.id
         order by e.id desc
         limit 1
      ) p on true
    union all
    select jsonb_build_object('id', d.id), null, null, null, true
      from candidates d
     where d.cancel_reason is null and d.too_long`);
  const claimed = new Map<number, ClaimedExecution>();
  const deferred = new Set<number>();
  for (const row of rows) {
    if (row.deferred) {
      deferred.add(Number(row.execution.id));
      continue;
    }
    const execution = rowFrom(taskExecutions, row.execution);
    claimed.set(execution.id, {
      execution,
      connection: row.connection ? rowFrom(connections, row.connection) : undefined,
      previous:
        row.previous_id && row.previous_result
          ? { id: Number(row.previous_id), result: row.previous_result }
          : undefined,
    });
  }
  return { claimed, deferred };
}

export interface ExecutionOutcome {
  status: 'completed' | 'failed';
  result: Record<string, unknown> | null;
  errorMessage: string | null;
}

/** An outcome ready to be written: its result already serialised (and bounded) by the caller. */
export interface StoredOutcome {
  id: number;
  attempt: number;
  status: 'completed' | 'failed';
  /** JSON text of the result, or null. */
  resultJson: string | null;
  errorMessage: string | null;
}

/**
 * Records outcomes in one statement, each unless the tick has already given that attempt up (then
 * nothing of it is overwritten). Returns the ids whose outcome was recorded. Results arrive as JSON
 * text and are spliced into the batch as they are: a result is serialised once, by its own
 * execution, so one that cannot be serialised never reaches the batch. With an active channel the
 * outcome is marked as owing notification events, in this same statement, until they are queued.
 */
export async function finishExecutions(
  db: DbOrTx,
  outcomes: readonly StoredOutcome[],
): Promise<{ recorded: Set<number>; notificationsPending: number[] }> {
  if (outcomes.length === 0) return { recorded: new Set(), notificationsPending: [] };
  const batch = `[${outcomes
    .map(
      (o) =>
        `{"id":${o.id},"attempt":${o.attempt},"status":${JSON.stringify(o.status)},"result":${o.resultJson ?? 'null'},"error_message":${JSON.stringify(o.errorMessage)}}`,
    )
    .join(',')}]`;
  const rows = await db.execute<{ id: string; notifications_pending: boolean }>(sql`
    update task_executions e
       set status = o.status, result = o.result, error_message = o.error_message, completed_at = now(),
           notifications_pending = exists (select 1 from notification_channels where is_active)
      from jsonb_to_recordset(${batch}::jsonb) as o(id bigint, attempt int, status text, result jsonb, error_message text)
     where e.id = o.id and e.status = 'running' and e.attempts = o.attempt
    returning e.id, e.notifications_pending`);
  return {
    recorded: new Set(rows.map((r) => Number(r.id))),
    notificationsPending: rows.filter((r) => r.notifications_pending).map((r) => Number(r.id)),
  };
}

export async function readExecutionStatuses(db: DbOrTx, ids: readonly number[]): Promise<Map<number, ExecutionStatus>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .select({ id: taskExecutions.id, status: taskExecutions.status })
    .from(taskExecutions)
    .where(sql`${taskExecutions.id} = any(${bigintArray(ids)})`);
  return new Map(rows.map((r) => [r.id, r.status]));
}

/** The events of these outcomes are queued (or there was nothing to queue): nothing is owed any more. */
export async function clearNotificationsPending(db: DbOrTx, ids: readonly number[]): Promise<void> {
  if (ids.length === 0) return;
  await db
    .update(taskExecutions)
    .set({ notificationsPending: false })
    .where(and(sql`${taskExecutions.id} = any(${bigintArray(ids)})`, eq(taskExecutions.notificationsPending, true)));
}

/** Recorded outcomes whose notification events were never queued, oldest first. */
export async function executionsWithPendingNotifications(db: DbOrTx, limit: number): Promise<number[]> {
  const rows = await db
    .select({ id: taskExecutions.id })
    .from(taskExecutions)
    .where(eq(taskExecutions.notificationsPending, true))
    .orderBy(taskExecutions.id)
    .limit(limit);
  return rows.map((r) => r.id);
}
