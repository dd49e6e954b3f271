import { and, desc, eq, sql } from 'drizzle-orm';
import { bigintArray } from './arrays.js';
import type { DbOrTx } from '../client.js';
import { connections, taskExecutions, type ConnectionRow, type ExecutionRow, type ExecutionStatus, type ExecutionTrigger, type TaskRow } from '../schema/index.js';
import { rowFrom } from './rows.js';

/** `enqueued: true` when the caller pushes the id itself right after (else the next tick does). */
export async function insertExecution(db: DbOrTx, task: TaskRow, trigger: ExecutionTrigger, enqueued = false): Promise<ExecutionRow> {
  const [row] = await db
    .insert(taskExecutions)
    .values({ scheduledTaskId: task.id, connectionId: task.connectionId, taskType: task.taskType, taskParams: task.taskParams, trigger, enqueuedAt: enqueued ? sql`now()` : null })
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

export async function listExecutions(db: DbOrTx, filter: ExecutionFilter): Promise<ExecutionRow[]> {
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

export interface ClaimedExecution {
  execution: ExecutionRow;
  /** Undefined when the connection was deleted after the execution was queued. */
  connection: ConnectionRow | undefined;
  /** The task's latest completed execution before this one, for change tracking. */
  previous: { id: number; result: Record<string, unknown> } | undefined;
}

/**
 * Takes a queued execution for this consumer and reads what running it needs (its connection and
 * the task's previous completed result) in the same round trip. The status guard makes a
 * duplicate id on the list (a re-push, a second consumer) harmless: only one claim can succeed.
 */
export async function claimExecution(db: DbOrTx, id: number, graceSeconds: number): Promise<ClaimedExecution | undefined> {
  const rows = await db.execute<{ execution: Record<string, unknown>; connection: Record<string, unknown> | null; previous_id: string | null; previous_result: Record<string, unknown> | null }>(sql`
    with claimed as (
      update task_executions
         set status = 'running', started_at = now(), attempts = attempts + 1,
             deadline_at = now() + make_interval(secs => coalesce((task_params->>'query_timeout')::int, 300) + ${graceSeconds})
       where id = ${id} and status = 'queued'
       returning *
    ), touched as (
      update scheduled_tasks t set last_run_at = now() from claimed c where t.id = c.scheduled_task_id
    )
    select to_jsonb(c) as execution, to_jsonb(k) as connection, p.id as previous_id, p.result as previous_result
      from claimed c
      left join connections k on k.id = c.connection_id
      left join lateral (
        select e.id, e.result from task_executions e
         where e.scheduled_task_id = c.scheduled_task_id and e.status = 'completed' and e.id < c.id
         order by e.id desc
         limit 1
      ) p on true`);
  const [row] = rows;
  if (!row) return undefined;
  return {
    execution: rowFrom(taskExecutions, row.execution),
    connection: row.connection ? rowFrom(connections, row.connection) : undefined,
    previous: row.previous_id && row.previous_result ? { id: Number(row.previous_id), result: row.previous_result } : undefined,
  };
}

export interface ExecutionOutcome {
  status: 'completed' | 'failed';
  result: Record<string, unknown> | null;
  errorMessage: string | null;
}

/** Records the outcome unless the tick has already given this attempt up (then nothing is overwritten). */
export async function finishExecution(db: DbOrTx, id: number, attempt: number, outcome: ExecutionOutcome): Promise<boolean> {
  const rows = await db
    .update(taskExecutions)
    .set({ status: outcome.status, result: outcome.result, errorMessage: outcome.errorMessage, completedAt: sql`now()` })
    .where(and(eq(taskExecutions.id, id), eq(taskExecutions.status, 'running'), eq(taskExecutions.attempts, attempt)))
    .returning({ id: taskExecutions.id });
  return rows.length > 0;
}

export async function executionStatuses(db: DbOrTx, ids: readonly number[]): Promise<Map<number, ExecutionStatus>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .select({ id: taskExecutions.id, status: taskExecutions.status })
    .from(taskExecutions)
    .where(sql`${taskExecutions.id} = any(${bigintArray(ids)})`);
  return new Map(rows.map((r) => [r.id, r.status]));
}
