import { getDb } from '../../db/client.js';
import { insertExecution, markNotEnqueued } from '../../db/queries/executions.js';
import { deleteTaskRow, findTask } from '../../db/queries/tasks.js';
import type { TaskRow } from '../../db/schema/index.js';
import { AppError, notFound } from '../http/errors.js';
import { log } from '../log/logger.js';
import { pushExecutionIds } from '../queue/execution-queue.js';
import { startConsumer } from '../consumer/start-consumer.js';

export async function getTask(id: number): Promise<TaskRow> {
  const task = await findTask(getDb(), id);
  if (!task) throw notFound(`Task ${id}`);
  return task;
}

export async function deleteTask(id: number): Promise<void> {
  const deleted = await getDb().transaction((tx) => deleteTaskRow(tx, id));
  if (!deleted) throw notFound(`Task ${id}`);
}

/** Records a manual execution and starts the consumer for it at once, bypassing the queue. */
export async function runTaskNow(id: number): Promise<{ executionId: number }> {
  const db = getDb();
  const task = await getTask(id);
  if (!task.isActive)
    throw new AppError('inactive', `Task ${id} is inactive; activate it (PUT is_active: true) before running it`);
  const execution = await insertExecution(db, task, 'manual');
  await startConsumer([execution.id]);
  return { executionId: execution.id };
}

/** Records an execution and puts its id on the Redis queue, then nudges the consumer to drain it. */
export async function queueTask(id: number): Promise<{ executionId: number }> {
  const db = getDb();
  const task = await getTask(id);
  const execution = await insertExecution(db, task, 'queue', true);
  try {
    await pushExecutionIds([execution.id]);
  } catch (error) {
    // The execution is recorded; with Redis down the next tick pushes it. The request still succeeds.
    log.warn('could not push a queued execution; the next tick will', {
      executionId: execution.id,
      error: (error as Error).message,
    });
    await markNotEnqueued(db, [execution.id]);
    return { executionId: execution.id };
  }
  await startConsumer();
  return { executionId: execution.id };
}
