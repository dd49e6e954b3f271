import { createHash } from 'node:crypto';
import { and, asc, eq, getTableColumns, gt, sql } from 'drizzle-orm';
import type { PgSelect } from 'drizzle-orm/pg-core';
import type { DbOrTx } from '../client.js';
import { bigintArray } from './arrays.js';
import { scheduledTasks, taskExecutions, type ExecutionTrigger, type TaskRow } from '../schema/index.js';

export type NewTask = typeof scheduledTasks.$inferInsert;

export async function insertTask(db: DbOrTx, task: NewTask): Promise<TaskRow> {
  const [row] = await db.insert(scheduledTasks).values(task).returning();
  return row;
}

export async function findTask(db: DbOrTx, id: number): Promise<TaskRow | undefined> {
  const [row] = await db.select().from(scheduledTasks).where(eq(scheduledTasks.id, id));
  return row;
}

export interface TaskListFilter {
  isActive?: boolean;
  limit?: number;
  afterId?: number;
}

/**
 * A row's version: every committed insert or update gives the row a new xmin, and xids are unique in
 * the cluster, so the same id with the same xmin is the same row content.
 */
const rowVersion = sql<string>`${scheduledTasks}.xmin::text`;

/** Oldest first; `afterId` + `limit` page through by id (keyset paging, stable under inserts). */
function listed<T extends PgSelect>(query: T, filter: TaskListFilter): T {
  const ordered = query
    .where(
      and(
        filter.isActive === undefined ? undefined : eq(scheduledTasks.isActive, filter.isActive),
        filter.afterId === undefined ? undefined : gt(scheduledTasks.id, filter.afterId),
      ),
    )
    .orderBy(asc(scheduledTasks.id));
  return filter.limit === undefined ? ordered : ordered.limit(filter.limit);
}

export type ListedTask = TaskRow & { version: string };

export async function listTasks(db: DbOrTx, filter: TaskListFilter): Promise<ListedTask[]> {
  return listed(
    db
      .select({ ...getTableColumns(scheduledTasks), version: rowVersion })
      .from(scheduledTasks)
      .$dynamic(),
    filter,
  );
}

export interface TaskVersion {
  id: number;
  version: string;
}

/** The listed tasks' ids and row versions only: what tells which rows changed. */
export async function listTaskVersions(db: DbOrTx, filter: TaskListFilter): Promise<TaskVersion[]> {
  return listed(db.select({ id: scheduledTasks.id, version: rowVersion }).from(scheduledTasks).$dynamic(), filter);
}

export async function findTasksWithVersion(db: DbOrTx, ids: number[]): Promise<ListedTask[]> {
  return db
    .select({ ...getTableColumns(scheduledTasks), version: rowVersion })
    .from(scheduledTasks)
    .where(sql`${scheduledTasks.id} = any(${bigintArray(ids)})`);
}

/**
 * The md5 of "id:version" of each listed task, comma-separated in id order: what `listFingerprint` computes from
 * rows.
 */
export async function taskListFingerprint(db: DbOrTx, filter: TaskListFilter): Promise<string> {
  const versions = listed(
    db
      .select({ id: scheduledTasks.id, version: rowVersion.as('version') })
      .from(scheduledTasks)
      .$dynamic(),
    filter,
  ).as('versions');
  const [row] = await db
    .select({
      fingerprint: sql<string>`md5(coalesce(string_agg(${versions.id}::text || ':' || ${versions.version}, ',' order by ${versions.id}), ''))`,
    })
    .from(versions);
  return row.fingerprint;
}

export function listFingerprint(tasks: TaskVersion[]): string {
  return createHash('md5')
    .update(tasks.map((task) => `${task.id}:${task.version}`).join(','))
    .digest('hex');
}

export async function lockTask(db: DbOrTx, id: number): Promise<TaskRow | undefined> {
  const [row] = await db.select().from(scheduledTasks).where(eq(scheduledTasks.id, id)).for('update');
  return row;
}

export async function updateTaskRow(db: DbOrTx, id: number, changes: Partial<NewTask>): Promise<TaskRow> {
  const [row] = await db
    .update(scheduledTasks)
    .set({ ...changes, updatedAt: sql`now()` })
    .where(eq(scheduledTasks.id, id))
    .returning();
  return row;
}

/**
 * Deletes the task; its history stays (executions' task reference becomes null), and runs that
 * were waiting for a consumer are cancelled so a deleted task never runs again. The task is locked
 * first: a tick claiming it holds that lock until its new run is committed, so the cancel that
 * follows sees that run too. Call inside a transaction.
 */
export async function deleteTaskRow(tx: DbOrTx, id: number): Promise<boolean> {
  if (!(await lockTask(tx, id))) return false;
  await cancelQueuedRuns(tx, id, 'Cancelled: the task was deleted before this execution started');
  const deleted = await tx.delete(scheduledTasks).where(eq(scheduledTasks.id, id)).returning({ id: scheduledTasks.id });
  return deleted.length > 0;
}

/** Cancels the task's runs still waiting for a consumer (`triggers`: only those started this way). */
export async function cancelQueuedRuns(
  db: DbOrTx,
  taskId: number,
  reason: string,
  triggers?: ExecutionTrigger[],
): Promise<number> {
  const cancelled = await db
    .update(taskExecutions)
    .set({ status: 'cancelled', completedAt: sql`now()`, errorMessage: reason })
    .where(
      and(
        eq(taskExecutions.scheduledTaskId, taskId),
        eq(taskExecutions.status, 'queued'),
        triggers ? sql`${taskExecutions.trigger} = any(${`{${triggers.join(',')}}`}::text[])` : undefined,
      ),
    )
    .returning({ id: taskExecutions.id });
  return cancelled.length;
}

export async function countTasksUsingConnection(db: DbOrTx, connectionId: number): Promise<number> {
  const [row] = await db
    .select({ count: sql<number>`count(*)::int` })
    .from(scheduledTasks)
    .where(eq(scheduledTasks.connectionId, connectionId));
  return row.count;
}

export async function databaseNow(db: DbOrTx): Promise<Date> {
  const [row] = await db.execute<{ now: string }>(sql`select now() as now`);
  return new Date(row.now);
}
