import { and, asc, eq, gt, sql } from 'drizzle-orm';
import type { DbOrTx } from '../client.js';
import { scheduledTasks, taskExecutions, type TaskRow } from '../schema/index.js';

export type NewTask = typeof scheduledTasks.$inferInsert;

export async function insertTask(db: DbOrTx, task: NewTask): Promise<TaskRow> {
  const [row] = await db.insert(scheduledTasks).values(task).returning();
  return row;
}

export async function findTask(db: DbOrTx, id: number): Promise<TaskRow | undefined> {
  const [row] = await db.select().from(scheduledTasks).where(eq(scheduledTasks.id, id));
  return row;
}

/** Oldest first; `afterId` + `limit` page through by id (keyset paging, stable under inserts). */
export async function listTasks(db: DbOrTx, filter: { isActive?: boolean; limit?: number; afterId?: number }): Promise<TaskRow[]> {
  const query = db
    .select()
    .from(scheduledTasks)
    .where(
      and(
        filter.isActive === undefined ? undefined : eq(scheduledTasks.isActive, filter.isActive),
        filter.afterId === undefined ? undefined : gt(scheduledTasks.id, filter.afterId),
      ),
    )
    .orderBy(asc(scheduledTasks.id));
  return filter.limit === undefined ? query : query.limit(filter.limit);
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
 * were waiting for a consumer are cancelled so a deleted task never runs again.
 */
export async function deleteTaskRow(db: DbOrTx, id: number): Promise<boolean> {
  await db
    .update(taskExecutions)
    .set({ status: 'cancelled', completedAt: sql`now()`, errorMessage: 'Cancelled: the task was deleted before this execution started' })
    .where(and(eq(taskExecutions.scheduledTaskId, id), eq(taskExecutions.status, 'queued')));
  const deleted = await db.delete(scheduledTasks).where(eq(scheduledTasks.id, id)).returning({ id: scheduledTasks.id });
  return deleted.length > 0;
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
